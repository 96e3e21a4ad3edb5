"""One function per deadline rule, each `(trigger, events, *, as_of, calendar) -> DeadlineResult`.

`RULES` maps the contract's rule names to them; `compute_deadline` dispatches by name.
"""

from collections.abc import Callable, Sequence
from datetime import date

from recovery.checks.dates import EARLIEST_SUPPORTED_DATE, LATEST_SUPPORTED_DATE

from .calendar import RestDayCalendar, default_calendar
from .interruption import ENFORCEMENT, LIMITATION, run_interruptible
from .model import CalendarText, DeadlineResult, Event, PeriodText, Status, TraceEntry
from .periods import UnsupportedDate, add_days, add_months, add_years
from .results import SOURCE_SAFE_END, conclude, provisional_steps

SOURCE_CC_ROLLOVER = "民法典第203条"
SOURCE_CPL_ROLLOVER = "民事诉讼法第85条"
DEFAULT_GUARANTEE_MONTHS = 6  # CC 692: no (clear) agreement -> six months
# Fifty years: no guarantee agrees more; keeps every result far inside Python's calendar.
MAX_GUARANTEE_MONTHS = 600

Rule = Callable[..., DeadlineResult]


IGNORED_EVENTS = "{0}不因催收、起诉等事件中断或中止，所列{1}个事件均不予考虑。"
GUARANTEE_START = PeriodText(
    "保证期间为{0}，自主债务履行期限届满之日{1}起算（当日不计入），至对应日{2}；保证期间不发生中止、"
    "中断和延长。是否适用民法典第203条顺延无定论（未经核实），应在审慎办理日前向债务人起诉（一般保证）"
    "或向保证人主张（连带责任保证）。"
)
RENEWAL_START = PeriodText(
    "保全期限届满日为{0}（以法院文书或登记记载为准）；续行保全应在届满七日前提出，即不晚于{1}，"
    "逾期自行承担不能续行的后果。"
)


def _ignored_events(
    trigger: date, events: Sequence[Event], period_name: str, source: str
) -> list[TraceEntry]:
    """Rules other than limitation and enforcement say that they ignore the events given."""
    if not events:
        return []
    return [(trigger, source, IGNORED_EVENTS, (period_name, len(events)))]


def limitation(
    trigger: date, events: Sequence[Event] = (), *, as_of: date, calendar: RestDayCalendar | None = None
) -> DeadlineResult:
    # CC 188: three-year limitation, interrupted (CC 195) and suspended (CC 194) by events.
    return run_interruptible(
        LIMITATION, trigger, events, as_of=as_of, calendar=calendar or default_calendar()
    )


def enforcement(
    trigger: date, events: Sequence[Event] = (), *, as_of: date, calendar: RestDayCalendar | None = None
) -> DeadlineResult:
    # CPL 250: two-year enforcement application period; suspension = earlier of CC 194 and 执行程序解释 19.
    return run_interruptible(
        ENFORCEMENT, trigger, events, as_of=as_of, calendar=calendar or default_calendar()
    )


def guarantee_period(
    trigger: date,
    events: Sequence[Event] = (),
    *,
    as_of: date,
    calendar: RestDayCalendar | None = None,
    months: int | None = None,
) -> DeadlineResult:
    # CC 692: guarantee period, default six months from the main debt's due date; never suspended,
    # interrupted or extended.
    months = months or DEFAULT_GUARANTEE_MONTHS
    raw_end = add_months(trigger, months)
    agreed = (
        f"{months}个月" if months != DEFAULT_GUARANTEE_MONTHS else "6个月（未约定或约定不明的，依法为六个月）"
    )
    trace: list[TraceEntry] = [(trigger, "民法典第692条", GUARANTEE_START, (agreed, trigger, raw_end))]
    trace += _ignored_events(trigger, events, "保证期间", "民法典第692条")
    return conclude(
        "guarantee_period",
        raw_end,
        trace,
        as_of=as_of,
        calendar=calendar or default_calendar(),
        rollover_source=SOURCE_CC_ROLLOVER,
    )


def preservation_renewal(
    trigger: date, events: Sequence[Event] = (), *, as_of: date, calendar: RestDayCalendar | None = None
) -> DeadlineResult:
    # 保全规定 18: apply for renewal at least seven days before the printed expiry date; backward.
    raw_end = add_days(trigger, -7)
    trace: list[TraceEntry] = [(trigger, "保全规定第18条", RENEWAL_START, (trigger, raw_end))]
    trace += _ignored_events(trigger, events, "本期限", "保全规定第18条")
    return conclude(
        "preservation_renewal",
        raw_end,
        trace,
        as_of=as_of,
        calendar=calendar or default_calendar(),
        rollover_source="法律参考§0.2(8)",
        backward=True,
    )


EXPIRY_START = PeriodText(
    "保全措施于{0}期限届满（以法院文书或登记记载为准）；届满前未办理续行手续的，其效力消灭，"
    "该日本身不因休息日顺延。"
)
EXPIRY_SAFE_END = CalendarText("{0}为休息日；为稳妥起见，台账和提醒以此前最后一个工作日{1}为准。")


def preservation_expiry(
    trigger: date, events: Sequence[Event] = (), *, as_of: date, calendar: RestDayCalendar | None = None
) -> DeadlineResult:
    # 查扣冻规定 27: unless renewed, the measure lapses at the end of its printed expiry date (never moved).
    calendar = calendar or default_calendar()
    safe_end = calendar.roll_back(trigger)
    trace: list[TraceEntry] = [(trigger, "查扣冻规定第27条", EXPIRY_START, (trigger,))]
    trace += _ignored_events(trigger, events, "保全期限", "查扣冻规定第27条")
    if safe_end != trigger:
        trace.append((safe_end, SOURCE_SAFE_END, EXPIRY_SAFE_END, (trigger, safe_end)))
    years = sorted({trigger.year, safe_end.year})
    provisional = any(calendar.is_provisional(year) for year in years)
    if provisional:
        trace += provisional_steps(calendar, years, safe_end, trigger, trigger)
    status = Status.EXPIRED if as_of > trigger else Status.RUNNING
    return DeadlineResult(
        "preservation_expiry", trigger, trigger, safe_end, status, provisional, tuple(trace)
    )


def _fixed_period(
    rule: str,
    *,
    days: int = 0,
    months: int = 0,
    years: int = 0,
    before: bool = False,
    source: str,
    text: str,
    rollover_source: str = SOURCE_CPL_ROLLOVER,
) -> Rule:
    """A plain period of days, months or years (or N days before, if `before`), without events.

    `text` may name {trigger} and {end}; they are worded as Chinese dates when read.
    """
    template = PeriodText(text.replace("{trigger}", "{0}").replace("{end}", "{1}"))

    def compute(
        trigger: date, events: Sequence[Event] = (), *, as_of: date, calendar: RestDayCalendar | None = None
    ) -> DeadlineResult:
        if before:
            raw_end = add_days(trigger, -days)
        elif days:
            raw_end = add_days(trigger, days)
        elif months:
            raw_end = add_months(trigger, months)
        else:
            raw_end = add_years(trigger, years)
        trace: list[TraceEntry] = [(trigger, source, template, (trigger, raw_end))]
        trace += _ignored_events(trigger, events, "本期限", source)
        return conclude(
            rule,
            raw_end,
            trace,
            as_of=as_of,
            calendar=calendar or default_calendar(),
            rollover_source=rollover_source,
            backward=before,
        )

    compute.__name__ = rule
    compute.__doc__ = f"{source}: {rule}"
    return compute


# CPL 104: sue within 30 days after the pre-suit preservation measure was taken.
pre_suit_preservation = _fixed_period(
    "pre_suit_preservation",
    days=30,
    source="民事诉讼法第104条",
    text="诉前保全措施于{trigger}采取，申请人应在三十日内起诉或申请仲裁，否则法院应解除保全：至{end}。"
    "“采取保全措施”之日以裁定、实施、登记中最早有据可查的日期为准（未经核实）。",
)
# CPL 171 para 1: fifteen days to appeal a first-instance judgment, from service.
appeal_judgment = _fixed_period(
    "appeal_judgment",
    days=15,
    source="民事诉讼法第171条",
    text="判决书于{trigger}送达，上诉期十五日（各方自各自收到之日起算，民诉法解释第244条）：至{end}。",
)
# CPL 171 para 2: ten days to appeal a first-instance ruling, from service.
appeal_ruling = _fixed_period(
    "appeal_ruling",
    days=10,
    source="民事诉讼法第171条",
    text="裁定书于{trigger}送达，上诉期十日：至{end}。",
)
# CPL 128: fifteen days to answer the complaint (jurisdiction objections too, CPL 130).
answer_period = _fixed_period(
    "answer_period",
    days=15,
    source="民事诉讼法第128条",
    text="起诉状副本于{trigger}收到，答辩期十五日（管辖权异议亦应在此期间提出，民事诉讼法第130条）：至{end}。",
)
# CPL 174: fifteen days to answer an appeal.
appeal_answer = _fixed_period(
    "appeal_answer",
    days=15,
    source="民事诉讼法第174条",
    text="上诉状副本于{trigger}收到，答辩期十五日：至{end}。",
)
# CPL 216: six months to apply for retrial after the judgment takes effect (a fixed period).
retrial_application = _fixed_period(
    "retrial_application",
    months=6,
    source="民事诉讼法第216条",
    text="裁判于{trigger}发生法律效力，再审申请期六个月，为不变期间（民诉法解释第127条）：至{end}。",
)
# CPL 227: fifteen days from receipt to object to a payment order.
payment_order_objection = _fixed_period(
    "payment_order_objection",
    days=15,
    source="民事诉讼法第227条",
    text="支付令于{trigger}收到，债务人应在十五日内清偿或提出书面异议：至{end}。",
)
# 保全规定 25; CPL 111: five days from service to ask for reconsideration of a preservation ruling.
preservation_reconsideration = _fixed_period(
    "preservation_reconsideration",
    days=5,
    source="保全规定第25条",
    text="保全裁定于{trigger}送达，可在五日内申请复议一次：至{end}。",
)
# CPL 236: ten days from service to seek review of a ruling on an objection to an enforcement act.
enforcement_review = _fixed_period(
    "enforcement_review",
    days=10,
    source="民事诉讼法第236条",
    text="执行异议裁定于{trigger}送达，可在十日内向上一级法院申请复议：至{end}。",
)
# CPL 238: fifteen days from service of the ruling on a third-party objection to sue.
third_party_objection_suit = _fixed_period(
    "third_party_objection_suit",
    days=15,
    source="民事诉讼法第238条",
    text="案外人异议裁定于{trigger}送达，可在十五日内提起诉讼：至{end}。",
)
# 民诉法解释 509: fifteen days from receipt to object to a distribution plan.
distribution_objection = _fixed_period(
    "distribution_objection",
    days=15,
    source="民诉法解释第509条",
    text="分配方案于{trigger}收到，应在十五日内提出书面异议：至{end}。",
)
# 民诉法解释 163: apply for enforcement within five days after the performance period, or the
# pre-enforcement preservation is lifted.
pre_enforcement_preservation = _fixed_period(
    "pre_enforcement_preservation",
    days=5,
    source="民诉法解释第163条",
    text="法律文书指定的履行期间于{trigger}届满，应在五日内申请执行，否则法院应解除保全：至{end}。",
)
# CC 188 para 2: no protection twenty years after the damage; not suspended or interrupted.
limitation_20_years = _fixed_period(
    "limitation_20_years",
    years=20,
    source="民法典第188条",
    text="权利于{trigger}受到损害，自该日起超过二十年的，人民法院不予保护：至{end}。二十年期间不适用中止、中断"
    "（总则编解释第35条），延长须经法院依申请决定，此处不予考虑；最后一日能否顺延无定论，请按审慎办理日办理（未经核实）。",
    rollover_source=SOURCE_CC_ROLLOVER,
)
# 网拍规定 12: publish the auction notice at least 30 days before for real estate (backward).
auction_notice_real_estate = _fixed_period(
    "auction_notice_real_estate",
    days=30,
    before=True,
    source="网拍规定第12条",
    text="不动产或其他财产权拍卖定于{trigger}开始，应在拍卖三十日前公告：不晚于{end}。",
)
# 网拍规定 12: publish the auction notice at least 15 days before for movables (backward).
auction_notice_movable = _fixed_period(
    "auction_notice_movable",
    days=15,
    before=True,
    source="网拍规定第12条",
    text="动产拍卖定于{trigger}开始，应在拍卖十五日前公告：不晚于{end}。",
)

# 网拍规定 26: after a failed first auction, publish the second auction's notice at least 15 days
# before for real estate and other property rights (backward).
reauction_notice_real_estate = _fixed_period(
    "reauction_notice_real_estate",
    days=15,
    before=True,
    source="网拍规定第26条",
    text="不动产或其他财产权的再次拍卖定于{trigger}开始，应在拍卖十五日前公告：不晚于{end}。",
)
# 网拍规定 26: the second auction's notice for movables at least 7 days before (backward).
reauction_notice_movable = _fixed_period(
    "reauction_notice_movable",
    days=7,
    before=True,
    source="网拍规定第26条",
    text="动产的再次拍卖定于{trigger}开始，应在拍卖七日前公告：不晚于{end}。",
)
# 网拍规定 26: a failed auction is auctioned again on the same platform within 30 days.
reauction_latest = _fixed_period(
    "reauction_latest",
    days=30,
    source="网拍规定第26条",
    text="网络司法拍卖于{trigger}流拍，应在三十日内在同一网络司法拍卖平台再次拍卖：至{end}。",
)
# 呆账办法 art. 19: determine responsibility for a loss caused by fault within 2 years of write-off.
write_off_fault_determination = _fixed_period(
    "write_off_fault_determination",
    years=2,
    source="呆账办法第19条",
    text="呆账于{trigger}核销，对因主观过错造成损失的责任应在核销后二年内认定追究：至{end}。",
    rollover_source=SOURCE_CC_ROLLOVER,
)

RULES: dict[str, Rule] = {
    "limitation": limitation,
    "guarantee_period": guarantee_period,
    "enforcement": enforcement,
    "pre_suit_preservation": pre_suit_preservation,
    "appeal_judgment": appeal_judgment,
    "appeal_ruling": appeal_ruling,
    "preservation_renewal": preservation_renewal,
    "preservation_expiry": preservation_expiry,
    "answer_period": answer_period,
    "appeal_answer": appeal_answer,
    "retrial_application": retrial_application,
    "payment_order_objection": payment_order_objection,
    "preservation_reconsideration": preservation_reconsideration,
    "enforcement_review": enforcement_review,
    "third_party_objection_suit": third_party_objection_suit,
    "distribution_objection": distribution_objection,
    "pre_enforcement_preservation": pre_enforcement_preservation,
    "limitation_20_years": limitation_20_years,
    "auction_notice_real_estate": auction_notice_real_estate,
    "auction_notice_movable": auction_notice_movable,
    "reauction_notice_real_estate": reauction_notice_real_estate,
    "reauction_notice_movable": reauction_notice_movable,
    "reauction_latest": reauction_latest,
    "write_off_fault_determination": write_off_fault_determination,
}
_INTERRUPTIBLE = {"limitation": LIMITATION, "enforcement": ENFORCEMENT}
EVENT_RULES = frozenset(_INTERRUPTIBLE)
"""The rules on which events have an effect; all others ignore them and say so."""


def check_supported(trigger: date, events: Sequence[Event], as_of: date, months: int | None = None) -> None:
    """The engine's entry guard: every input date in the supported range, months bounded."""
    if not EARLIEST_SUPPORTED_DATE <= trigger <= LATEST_SUPPORTED_DATE:
        raise UnsupportedDate(_out_of_range("trigger", trigger))
    if not EARLIEST_SUPPORTED_DATE <= as_of <= LATEST_SUPPORTED_DATE:
        raise UnsupportedDate(_out_of_range("as_of", as_of))
    for event in events:
        if not EARLIEST_SUPPORTED_DATE <= event.on <= LATEST_SUPPORTED_DATE:
            raise UnsupportedDate(_out_of_range(f"event {event.kind}", event.on))
    if months is not None and not 1 <= months <= MAX_GUARANTEE_MONTHS:
        raise UnsupportedDate(f"months: {months} is outside 1..{MAX_GUARANTEE_MONTHS}")


def _out_of_range(name: str, day: date) -> str:
    first, last = EARLIEST_SUPPORTED_DATE.isoformat(), LATEST_SUPPORTED_DATE.isoformat()
    return f"{name}: {day.isoformat()} is outside the supported dates {first}..{last}"


def compute_deadline(
    rule: str,
    trigger: date,
    events: Sequence[Event] = (),
    *,
    as_of: date,
    months: int | None = None,
    calendar: RestDayCalendar | None = None,
) -> DeadlineResult:
    """Run rule `rule` (a key of RULES; KeyError otherwise). `months` only affects guarantee_period.

    Raises UnsupportedDate when a date lies outside the supported range or `months` outside
    1..MAX_GUARANTEE_MONTHS: inside them no period can overflow the calendar, and a result
    past the range (e.g. 2119 for a 20-year period from 2099) is computed and marked provisional.
    """
    check_supported(trigger, events, as_of, months)
    period = _INTERRUPTIBLE.get(rule)
    if period is not None:  # the hot path of the docket's nightly recomputation
        return run_interruptible(
            period, trigger, events, as_of=as_of, calendar=calendar or default_calendar()
        )
    if rule == "guarantee_period":
        return guarantee_period(trigger, events, as_of=as_of, calendar=calendar, months=months)
    return RULES[rule](trigger, events, as_of=as_of, calendar=calendar)
