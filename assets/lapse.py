"""What is lost when a preservation deadline lapses (renewal, expiry, a competitor's first
seizure). Pure: registered with recovery's table at start-up
(`recovery.deadlines.lapse.register_lapse_consequence`, from AssetsConfig.ready)."""

from recovery.deadlines.lapse import LapseConsequence

ASSET_LAPSES: dict[str, LapseConsequence] = {
    # 保全规定 18: renewal must be applied for at least 7 days before expiry.
    "preservation_renewal": LapseConsequence(
        lost="未在保全期限届满七日前申请续行保全，自行承担不能续行保全的法律后果（保全规定第18条）。",
        follows="期限届满前仍可请求法院续行（法院也可依职权续行，民诉法解释第485条），但无保障；"
        "请立即联系法院，并核实到期日前是否已办理续行手续。",
        source="保全规定第18条；民诉法解释第485条",
        lost_en="Renewal was not applied for at least seven days before expiry: the applicant bears the "
        "risk that it cannot be renewed.",
        follows_en="The court may still renew before expiry (it may also do so on its own motion), but "
        "nothing guarantees it: contact the court now and check whether renewal was registered.",
    ),
    # 查扣冻规定 27: a seizure not renewed before its term ends loses its effect.
    "preservation_expiry": LapseConsequence(
        lost="查封、扣押、冻结期限届满未办理续行手续的，效力消灭（查扣冻规定第27条）。",
        follows="登记在先的轮候查封自动生效，其他债权人可能排序在先（查扣冻规定第26条；执行工作规定第55条）；"
        "如已续行而未登记，请补录续行；否则请重新申请查封并核实现有顺位。",
        source="查扣冻规定第26条、第27条；执行工作规定第55条",
        lost_en="The seizure or freeze has expired without renewal: it no longer has effect.",
        follows_en="The earliest waiting seizure takes effect in its place, so a competing creditor may "
        "now rank first. If it was renewed, record the renewal; otherwise apply for a new seizure and "
        "check the current ranking.",
    ),
    # 查扣冻规定 26: when the first seizure lapses, the earliest waiting seizure takes effect.
    "competitor_seizure_expiry": LapseConsequence(
        lost="他方首封的期限已届满；未续行的，其效力消灭，登记在先的轮候措施自动生效（查扣冻规定第26条）。",
        follows="请向登记机关或法院核实对方是否续封；我方轮候措施转为首封的，请记录转为首封的日期，"
        "保全期限自此跟踪。",
        source="查扣冻规定第26条、第27条",
        lost_en="The competitor's first seizure has reached its end date; unrenewed, it lapsed and the "
        "earliest waiting seizure took effect.",
        follows_en="Check with the registry or the court whether it was renewed; if our waiting seizure "
        "became the first, record the date it converted.",
    ),
    # 网拍规定 12, 26: the notice of an auction is due 30/15 days (real estate) or 15/7 days
    # (movables) before it; published late, the auction cannot be held on that day.
    "auction_notice": LapseConsequence(
        lost="拍卖公告未在法定公告期前发布的，该次拍卖不能按期举行（网拍规定第12条、第26条）。",
        follows="请向执行法院核实公告是否已发布；未发布的，须重新确定拍卖日期并按期公告，"
        "第二次拍卖仍须在流拍后三十日内举行。",
        source="网拍规定第12条、第26条",
        lost_en="The auction notice was not published the required days before the auction: the "
        "auction cannot be held on that day.",
        follows_en="Check with the enforcing court whether the notice went out; if not, a new date "
        "must be set and announced in time, and a second auction must still fall within 30 days of "
        "the failure.",
    ),
    # 网拍规定 26: after a failed auction the property is re-auctioned within 30 days.
    "reauction_latest": LapseConsequence(
        lost="流拍后三十日内未再次拍卖（网拍规定第26条）。",
        follows="请督促执行法院尽快再次拍卖或依法变卖；必要时申请以流拍保留价以物抵债"
        "（拍卖变卖规定第16条），并记录法院的安排。",
        source="网拍规定第26条；拍卖变卖规定第16条",
        lost_en="The property was not re-auctioned within 30 days of the failed auction.",
        follows_en="Press the enforcing court to re-auction or sell without delay; if needed, apply to "
        "take the property in payment at the failed auction's reserve price, and record the court's "
        "schedule.",
    ),
}
