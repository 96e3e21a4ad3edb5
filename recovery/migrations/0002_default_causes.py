"""The nine typical default causes (domain.md §2) with a starting strategy each; editable in
the admin afterwards, so this only inserts what is missing."""

from django.db import migrations

CAUSES = [
    ("able_unwilling", "有能力但不愿还款", "尽快起诉并申请诉前或诉中财产保全，查控存款、房产、车辆；同步向保证人主张权利。"),
    ("temporary_shortfall", "暂时资金周转困难", "核实经营与现金流，可谈判还款计划并取得书面还款承诺（中断诉讼时效），同时落实追加担保。"),
    ("lasting_incapacity", "长期丧失还款能力", "评估可执行财产与担保，优先处置抵押物、追索保证人；无财产可执行时准备终本及核销材料。"),
    ("disaster", "遭受自然灾害或意外事故", "了解受灾与保险理赔情况，必要时协商展期或重组；注意诉讼时效中止事由的证据留存。"),
    ("business_stopped", "停业、转产或经营异常", "查明资产去向与关联企业，及时保全设备、应收账款和股权，防止资产转移。"),
    ("insolvent_many_creditors", "资不抵债、多头债务", "抢先查封取得首封，关注其他债权人保全与破产申请动态，及时申报债权或申请参与分配。"),
    ("ill_or_dead", "重病或死亡", "确认继承人、遗产范围及是否放弃继承，向继承人或遗产管理人在遗产范围内主张清偿；审查夫妻共同债务。"),
    ("disappeared", "下落不明、失联", "按“三三三”方法核实联系方式后登报公告催收（中断时效）；起诉时申请公告送达并查控财产。"),
    ("deliberate_refusal", "恶意逃废债务", "固定转移财产证据，申请保全与失信、限高措施，考虑撤销权诉讼或拒执罪线索移送。"),
]


def add_causes(apps, schema_editor):
    DefaultCause = apps.get_model("recovery", "DefaultCause")
    for order, (code, name, strategy) in enumerate(CAUSES, start=1):
        DefaultCause.objects.get_or_create(code=code, defaults={"name": name, "strategy": strategy, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("recovery", "0001_initial")]
    operations = [migrations.RunPython(add_causes, migrations.RunPython.noop)]
