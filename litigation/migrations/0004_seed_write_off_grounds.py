"""Seed the write-off grounds law.md §8.2 reads (呆账办法 annex 1 items (一)–(四) and the
cross-default rule of arts 9–10), as litigation.writeoff_rules has them on this date (a test
checks they agree). The head of recovery adds others in the admin, marked unverified."""

from django.db import migrations

LEGAL_OPINION = "法律意见书（说明诉讼情况或未诉讼的原因）"
COLLECTION_REPORT = "内部清收报告"

GROUNDS = [
    (
        "bankruptcy",
        "借款人被宣告破产、关闭、解散或撤销",
        "呆账办法附件1第（一）项",
        False,
        ["法院破产裁定或破产管理人证明", COLLECTION_REPORT, LEGAL_OPINION],
    ),
    (
        "death",
        "借款人死亡、被宣告失踪或死亡、丧失民事行为能力或劳动能力",
        "呆账办法附件1第（二）项",
        False,
        [
            "死亡证明，或法院宣告失踪、宣告死亡、认定丧失民事行为能力的判决",
            "向其财产或遗产及保证人追偿的证据",
            LEGAL_OPINION,
        ],
    ),
    (
        "disaster",
        "遭受重大自然灾害或意外事故，未获保险赔偿或赔偿不足",
        "呆账办法附件1第（三）项",
        False,
        ["自然灾害或意外事故的证明", "保险赔偿情况的证明", COLLECTION_REPORT, LEGAL_OPINION],
    ),
    (
        "licence_revoked",
        "借款人已完全停止经营活动，被注销或吊销营业执照",
        "呆账办法附件1第（四）项",
        False,
        ["营业执照被注销或吊销的证明", COLLECTION_REPORT, LEGAL_OPINION],
    ),
    (
        "cross_default",
        "同一借款人另一笔债务已取得终结（中止）执行或终结本次执行程序裁定",
        "呆账办法第9条、第10条",
        True,
        ["另一笔债务的终结（中止）执行或终结本次执行程序裁定", COLLECTION_REPORT, LEGAL_OPINION],
    ),
]


def seed(apps, schema_editor):
    WriteOffGround = apps.get_model("litigation", "WriteOffGround")
    for order, (code, name, article, cross_default, evidence) in enumerate(GROUNDS, start=1):
        WriteOffGround.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "article": article,
                "verified": True,
                "cross_default": cross_default,
                "evidence_items": "\n".join(evidence),
                "active": True,
                "sort_order": order * 10,
            },
        )


def unseed(apps, schema_editor):
    WriteOffGround = apps.get_model("litigation", "WriteOffGround")
    WriteOffGround.objects.filter(code__in=[code for code, *_rest in GROUNDS], write_offs__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("litigation", "0003_write_offs")]

    operations = [migrations.RunPython(seed, unseed)]
