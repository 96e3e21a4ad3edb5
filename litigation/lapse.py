"""What is lost when a litigation deadline lapses (appeal periods, enforcement application,
suit after pre-suit preservation). Pure: registered with recovery's table at start-up
(`recovery.deadlines.lapse.register_lapse_consequence`, from LitigationConfig.ready)."""

from recovery.deadlines.lapse import LapseConsequence

LITIGATION_LAPSES: dict[str, LapseConsequence] = {
    # CPL 171: 15 days to appeal a judgment; unappealed, it takes effect.
    "appeal_judgment": LapseConsequence(
        lost="上诉期间届满未上诉，一审判决发生法律效力（民事诉讼法第171条第1款）。",
        follows="判决生效后不能再上诉；请登记生效日期和履行期限，申请执行期间（民事诉讼法第250条）由此起算；"
        "确有法定事由的，可在判决生效后六个月内申请再审（民事诉讼法第216条）。",
        source="民事诉讼法第171条、第216条、第250条",
        lost_en="The appeal period has ended without an appeal: the first-instance judgment takes effect.",
        follows_en="It can no longer be appealed. Record the date it took effect and the performance "
        "period: the enforcement application period runs from it. A retrial can be sought only on "
        "statutory grounds, within six months of effectiveness.",
    ),
    # CPL 171: 10 days to appeal a ruling.
    "appeal_ruling": LapseConsequence(
        lost="上诉期间届满未上诉，一审裁定发生法律效力（民事诉讼法第171条第2款）。",
        follows="裁定生效后不能再上诉；确有法定事由的，可在生效后六个月内申请再审（民事诉讼法第216条）。",
        source="民事诉讼法第171条、第216条",
        lost_en="The appeal period has ended without an appeal: the ruling takes effect.",
        follows_en="It can no longer be appealed; a retrial only on statutory grounds, within six months.",
    ),
    # CPL 250: two years to apply for enforcement; late, the debtor may object (民诉法解释 481).
    "enforcement": LapseConsequence(
        lost="申请执行期间届满（民事诉讼法第250条），被执行人可以对申请执行时效提出异议，异议成立的，"
        "人民法院裁定不予执行（民诉法解释第481条）。",
        follows="逾期仍可申请执行，被执行人未提出异议或自愿履行后不得请求返还；"
        "仅对债务人取得判决而未在期间内申请执行的，不能再向抵押人主张抵押权（担保解释第44条）。",
        source="民事诉讼法第250条；民诉法解释第481条；担保解释第44条",
        lost_en="The enforcement application period has ended: the judgment debtor can object to "
        "enforcement as time-barred, and the court then refuses to enforce.",
        follows_en="A late application is still accepted; a debtor who does not object, or pays "
        "voluntarily, cannot reclaim. The mortgage against a third-party mortgagor can no longer be "
        "enforced.",
    ),
    # CPL 104: no suit within 30 days of pre-suit preservation: the court must lift it.
    "pre_suit_preservation": LapseConsequence(
        lost="采取诉前保全措施后三十日内未起诉或者申请仲裁，人民法院应当解除保全（民事诉讼法第104条）。",
        follows="保全措施的顺位随之丧失，其他债权人的轮候查封可能递进为首封；如已起诉而尚未登记，请立即补录；"
        "否则请尽快起诉并重新申请诉讼保全。",
        source="民事诉讼法第104条；保全规定第17条",
        lost_en="No suit was filed within 30 days of the pre-suit preservation: the court must lift it.",
        follows_en="The seizure's rank is lost and a competitor's waiting seizure may move first. If the "
        "suit was filed but not recorded, record it now; otherwise sue and apply for preservation again.",
    ),
    # 呆账办法 art. 19: responsibility for a loss caused by fault, within 2 years of write-off.
    "write_off_fault": LapseConsequence(
        lost="核销后二年内未认定因主观过错造成损失的责任（呆账办法第19条）。",
        follows="应立即完成责任认定并按规定追究，记录认定日期；逾期情况应向内部审计和财务部门说明。",
        source="呆账办法第19条",
        lost_en="Two years have passed since the write-off without the responsibility for the loss "
        "being determined.",
        follows_en="Determine and pursue the responsibility now and record the date; explain the delay "
        "to internal audit and the finance department.",
    ),
}
