"""Periods that events interrupt and suspend: limitation (CC 188-195) and the enforcement
application period (CPL 250, which borrows the same rules).

The events are replayed in date order against the running period:
- an interruption restarts the full period from its day (that day not counted; CC 195, 201);
- a suit (or its equivalents) stops the period until the proceedings end, then it restarts;
- an obstacle existing at any time in the last six months suspends it (CC 194);
- events on or before the trigger, or after the period has ended, change nothing.
The explanation is recorded as templates and worded only when read (see model.TraceEntry).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter

from .calendar import RestDayCalendar
from .model import DeadlineResult, Event, EventKind, PeriodText, Status, TraceEntry
from .periods import add_months, add_years
from .results import conclude, open_ended

_ONE_DAY = timedelta(days=1)
_event_day = attrgetter("on")

SOURCE_INTERRUPTION = "民法典第195条"
SOURCE_SUSPENSION = "民法典第194条"
SOURCE_EXPIRY = "民法典第192条"
SOURCE_WAIVER = "时效规定第19条"

# Each interrupting event with its article and a lawyer's label (contract: event types).
_INTERRUPTIONS: dict[str, tuple[str, str]] = {
    EventKind.DEMAND_DELIVERED: ("民法典第195条", "权利人的履行请求送达义务人（时效规定第8条）"),
    EventKind.ANNOUNCEMENT: ("时效规定第8条", "义务人下落不明，权利人登报公告主张权利（时效规定第8条第4项）"),
    EventKind.ACCOUNT_DEBIT: ("时效规定第8条", "金融机构从义务人账户扣收欠款本息（时效规定第8条第3项）"),
    EventKind.PARTIAL_PAYMENT: ("时效规定第14条", "义务人部分履行，视为同意履行义务（时效规定第14条）"),
    EventKind.DEBTOR_ACKNOWLEDGED: (
        "民法典第195条",
        "义务人同意履行义务（还款计划、请求延期等，时效规定第14条）",
    ),
}
_LABELS: dict[str, str] = {
    **{kind: label for kind, (_, label) in _INTERRUPTIONS.items()},
    EventKind.SUIT_FILED: "权利人起诉或提出具有同等效力的申请（时效规定第10、11条）",
    EventKind.PROCEEDINGS_ENDED: "有关程序终结",
    EventKind.OBSTACLE_STARTED: "不能行使请求权的障碍发生",
    EventKind.OBSTACLE_ENDED: "障碍消除",
}

# Templates: {0} is always the event's label, {1} the period's name.
START = PeriodText(
    "{0}期间为{1}年，自{2}起算，开始当日不计入（民法典第201条），{3}；按年计算至对应日{4}（民法典第202条）。"
)
BEFORE_TRIGGER = "{0}发生在起算日当日或之前，期间尚未开始，不影响计算。"
AFTER_EXPIRY = "{0}发生在{1}届满（{2}）之后，不能使已届满的期间重新计算，日期不变。"
AFTER_EXPIRY_ACKNOWLEDGED = (
    AFTER_EXPIRY + "但义务人在期间届满后同意履行的，不得再以期间届满为由抗辩（民法典第192条；"
    "在催收通知单上签字盖章可认定放弃时效抗辩，时效规定第19条）。是否由此另起新期间属实务做法，"
    "未经核实，应尽快起诉。"
)
INTERRUPTED = PeriodText("{0}，{1}中断，从该日起重新计算{2}年（当日不计入），届满日为{3}。")
WHILE_PENDING = "{0}；但自{2}起的程序尚未终结，{1}不进行，本事件不改变日期。"
SUIT_FILED = "{0}，{1}中断；在有关程序终结前不重新计算，暂无届满日。"
PROCEEDINGS_ENDED = PeriodText("{0}，{1}从程序终结时起重新计算{2}年，届满日为{3}。")
PROCEEDINGS_ENDED_NO_SUIT = PeriodText("{0}（未记录起诉日期），{1}从程序终结时起重新计算{2}年，届满日为{3}。")
OBSTACLE_STARTED = "{0}；若障碍存在于{1}期间的最后六个月内，{1}中止，障碍消除前暂无届满日。"
OBSTACLE_OVERLAPS = "{0}，与尚未消除的障碍重叠；须待全部障碍消除后才计算中止后的届满日。"
OBSTACLE_UNMATCHED = "{0}，但此前没有记录对应的障碍发生日期，按不发生中止处理（取较早日期）。"
OBSTACLE_OTHERS_REMAIN = "{0}，但仍有其他障碍未消除，{1}继续中止。"
OBSTACLE_DURING_PROCEEDINGS = "{0}；障碍期间有关程序尚未终结，{1}本不进行，不另计中止。"
OBSTACLE_TOO_EARLY = "{0}：障碍自{2}至{3}，不在{1}期间的最后六个月（{4}起）内，不发生中止。"
SUSPENDED = PeriodText(
    "{0}：障碍自{2}至{3}存在于{1}期间的最后六个月内，{1}中止；自障碍消除之日起满六个月，期间届满：{4}。"
)
SUSPENDED_EARLIER_OF_TWO = PeriodText(
    "{0}：障碍自{2}至{3}存在于{1}期间的最后六个月内，{1}中止。按民法典第194条，障碍消除后满六个月届满：{4}；"
    "按执行程序解释第19条，中止时（{5}）剩余的{6}日在障碍消除后继续计算：{7}。两者冲突，取较早者{8}"
    "（中止开始当日按已经过计算，取较早读法，未经核实）。"
)
LONG_STOP = PeriodText(
    "自权利受到损害之日（按起算日{0}计）起超过二十年的，人民法院不予保护；二十年期间不适用中止、中断"
    "（总则编解释第35条），故期间最迟至{1}。延长须经法院依申请决定，此处不予考虑；最后一日能否顺延无定论，"
    "请按审慎办理日办理（未经核实）。"
)


@dataclass(frozen=True, slots=True)
class InterruptiblePeriod:
    """What differs between limitation and the enforcement application period."""

    rule: str
    years: int
    name: str
    start_source: str
    start_note: str
    continue_after_obstacle: bool  # 执行程序解释 19: the remaining time continues after the obstacle
    long_stop_years: int | None  # CC 188 para 2: no protection 20 years after the damage


# CC 188: three-year limitation, running from the due date (or the last instalment's, CC 189).
LIMITATION = InterruptiblePeriod(
    rule="limitation",
    years=3,
    name="诉讼时效",
    start_source="民法典第188条",
    start_note=(
        "以到期日（分期履行的为最后一期履行期限届满日，民法典第189条）为知道权利受损之日；"
        "部分法院自次日起算、届满晚一日，此处取较早日期（未经核实）"
    ),
    continue_after_obstacle=False,
    long_stop_years=20,
)
# CPL 250: two-year enforcement application period from the last day of the performance period.
ENFORCEMENT = InterruptiblePeriod(
    rule="enforcement",
    years=2,
    name="申请执行时效",
    start_source="民事诉讼法第250条",
    start_note="自法律文书规定履行期间的最后一日起计算，其中止、中断适用诉讼时效的规定",
    continue_after_obstacle=True,
    long_stop_years=None,
)


def run_interruptible(
    period: InterruptiblePeriod,
    trigger: date,
    events: Sequence[Event],
    *,
    as_of: date,
    calendar: RestDayCalendar,
) -> DeadlineResult:
    name, years = period.name, period.years
    long_stop = add_years(trigger, period.long_stop_years) if period.long_stop_years else None
    raw_end = add_years(trigger, years)
    run = _Run(
        period,
        raw_end,
        [(trigger, period.start_source, START, (name, years, trigger, period.start_note, raw_end))],
    )
    trace = run.trace
    roll_forward = calendar.roll_forward
    long_stop_applied = False

    for event in sorted(events, key=_event_day) if len(events) > 1 else events:
        day, kind = event.on, event.kind
        label = _LABELS[kind]
        if day <= trigger:
            trace.append((day, period.start_source, BEFORE_TRIGGER, (label,)))
            continue
        # After legal_end (raw_end rolled forward) a running period is over; an obstacle that
        # began in time, or a pending suit, keeps it open.
        if (
            run.suit_since is None
            and run.open_obstacles == 0
            and day > run.raw_end
            and day > (legal_end := roll_forward(run.raw_end))
        ):
            if kind == EventKind.DEBTOR_ACKNOWLEDGED:
                trace.append((day, SOURCE_WAIVER, AFTER_EXPIRY_ACKNOWLEDGED, (label, name, legal_end)))
            else:
                trace.append((day, SOURCE_EXPIRY, AFTER_EXPIRY, (label, name, legal_end)))
            continue
        if run.replay(kind, day, label) and long_stop is not None and run.raw_end > long_stop:
            run.raw_end = long_stop
            long_stop_applied = True

    if run.suit_since is not None:
        return open_ended(period.rule, Status.PENDING_PROCEEDINGS, trace)
    if run.open_obstacles:
        return open_ended(period.rule, Status.SUSPENDED, trace)
    if long_stop_applied and long_stop is not None:
        trace.append((long_stop, "民法典第188条", LONG_STOP, (trigger, long_stop)))
    return conclude(
        period.rule, run.raw_end, trace, as_of=as_of, calendar=calendar, rollover_source="民法典第203条"
    )


class _Run:
    """The running period's state while its events are replayed in date order."""

    __slots__ = ("period", "raw_end", "trace", "suit_since", "open_obstacles", "obstacle_since")

    def __init__(self, period: InterruptiblePeriod, raw_end: date, trace: list[TraceEntry]) -> None:
        self.period = period
        self.raw_end = raw_end
        self.trace = trace
        self.suit_since: date | None = None  # a suit is pending: the period does not run
        self.open_obstacles = 0  # overlapping obstacles: suspended until the last one is removed
        self.obstacle_since: date | None = None

    def replay(self, kind: str, day: date, label: str) -> bool:
        """Apply one event that falls inside the period; True when it moved the raw end."""
        interruption = _INTERRUPTIONS.get(kind)
        if interruption is not None:
            return self._interrupt(interruption[0], day, label)
        if kind == EventKind.SUIT_FILED:
            self._file_suit(day, label)
            return False
        if kind == EventKind.PROCEEDINGS_ENDED:
            self._end_proceedings(day, label)
            return True
        if kind == EventKind.OBSTACLE_STARTED:
            self._start_obstacle(day, label)
            return False
        return self._end_obstacle(day, label)

    def _interrupt(self, source: str, day: date, label: str) -> bool:
        name, years = self.period.name, self.period.years
        if self.suit_since is not None:
            self.trace.append((day, source, WHILE_PENDING, (label, name, self.suit_since)))
            return False
        self.raw_end = add_years(day, years)
        self.trace.append((day, source, INTERRUPTED, (label, name, years, self.raw_end)))
        return True

    def _file_suit(self, day: date, label: str) -> None:
        name = self.period.name
        if self.suit_since is not None:
            self.trace.append((day, SOURCE_INTERRUPTION, WHILE_PENDING, (label, name, self.suit_since)))
        else:
            self.suit_since = day
            self.trace.append((day, SOURCE_INTERRUPTION, SUIT_FILED, (label, name)))

    def _end_proceedings(self, day: date, label: str) -> None:
        name, years = self.period.name, self.period.years
        self.raw_end = add_years(day, years)
        template = PROCEEDINGS_ENDED if self.suit_since is not None else PROCEEDINGS_ENDED_NO_SUIT
        self.suit_since = None
        self.trace.append((day, SOURCE_INTERRUPTION, template, (label, name, years, self.raw_end)))

    def _start_obstacle(self, day: date, label: str) -> None:
        self.open_obstacles += 1
        if self.open_obstacles == 1:
            self.obstacle_since = day
            self.trace.append((day, SOURCE_SUSPENSION, OBSTACLE_STARTED, (label, self.period.name)))
        else:
            self.trace.append((day, SOURCE_SUSPENSION, OBSTACLE_OVERLAPS, (label,)))

    def _end_obstacle(self, day: date, label: str) -> bool:
        name = self.period.name
        if self.open_obstacles == 0:
            self.trace.append((day, SOURCE_SUSPENSION, OBSTACLE_UNMATCHED, (label,)))
            return False
        self.open_obstacles -= 1
        if self.open_obstacles:
            self.trace.append((day, SOURCE_SUSPENSION, OBSTACLE_OTHERS_REMAIN, (label, name)))
            return False
        since, self.obstacle_since = self.obstacle_since, None
        # The first obstacle set obstacle_since, and it is cleared only here, with the last one.
        assert since is not None  # noqa: S101  an invariant of this class, not input validation
        if self.suit_since is not None:
            self.trace.append((day, SOURCE_SUSPENSION, OBSTACLE_DURING_PROCEEDINGS, (label, name)))
            return False
        new_raw_end = _suspension(self.period, since, day, self.raw_end, label, self.trace)
        if new_raw_end is None:
            return False
        self.raw_end = new_raw_end
        return True


def _suspension(
    period: InterruptiblePeriod,
    since: date,
    removed: date,
    raw_end: date,
    label: str,
    trace: list[TraceEntry],
) -> date | None:
    """CC 194 (and for enforcement also 执行程序解释 19) for an obstacle from `since` to `removed`.

    Returns the new raw end, or None when the obstacle was not in the last six months.
    """
    name = period.name
    last_six_months_from = add_months(raw_end, -6) + _ONE_DAY
    if removed < last_six_months_from:
        too_early = (label, name, since, removed, last_six_months_from)
        trace.append((removed, SOURCE_SUSPENSION, OBSTACLE_TOO_EARLY, too_early))
        return None
    # A suspension never shortens the period, hence max() where month-end clamping could bite.
    six_months_after = max(raw_end, add_months(removed, 6))
    if not period.continue_after_obstacle:
        trace.append((removed, SOURCE_SUSPENSION, SUSPENDED, (label, name, since, removed, six_months_after)))
        return six_months_after
    # 执行程序解释 19: the suspension only runs inside the last six months; the time that was
    # left then continues after the obstacle. The obstacle's first day is counted as elapsed,
    # the earlier of the two possible readings.
    suspended_from = max(since, last_six_months_from)
    remaining_days = max(0, (raw_end - suspended_from).days)
    continued_end = removed + timedelta(days=remaining_days)
    new_raw_end = min(six_months_after, continued_end)
    args = (
        label,
        name,
        since,
        removed,
        six_months_after,
        suspended_from,
        remaining_days,
        continued_end,
        new_raw_end,
    )
    trace.append((removed, "执行程序解释第19条", SUSPENDED_EARLIER_OF_TWO, args))
    return new_raw_end
