"""What a deceased obligor's estate does to the deadlines against him, pure.

- CC 194 para 1 (三): the limitation is suspended while, after succession opened, no heir or
  estate administrator is determined: an obstacle from the death to the day the first one was;
- 总则编解释 38 para 2: a demand made to the estate administrator (to an heir, where all heirs
  administer jointly) interrupts the limitation against the deceased;
- CPL 267 para 1 (三): enforcement is suspended while the heirs have not yet taken over; the
  enforcement deadline reads the death (`PartyDeath`) and says so (enforcement_death_note).
The events are the deceased's own (`against` is his party id): a co-borrower who is alive is
not prevented from being asked to pay, so the suspension is not shared (see docket)."""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from .facts import OBSTACLE_KINDS, FactEvent, PartyDeath
from .model import EventKind, cn_date

SOURCE_SUSPENSION = "民法典第194条第1款第3项"
SOURCE_ADMINISTRATOR = "总则编解释第38条第2款"
SOURCE_ENFORCEMENT = "民事诉讼法第267条第1款第3项"

# The models' values (recovery.models.AdministratorKind, RecipientKind; a test checks them).
ALL_HEIRS = "all_heirs"
HEIR_KINDS = frozenset({"statutory_heir", "testamentary_heir"})  # a legatee is no heir (CC 194)
# CC 1145, 1146: who administers, in Chinese whoever reads (AdministratorKind's values).
ADMINISTRATOR_LABELS = {
    "executor": "遗嘱执行人",
    "elected": "继承人推选的遗产管理人",
    ALL_HEIRS: "继承人共同担任",
    "civil_affairs": "民政部门或者村民委员会",
    "court_appointed": "人民法院指定的遗产管理人",
}

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class HeirFacts:
    party_id: int
    name: str
    kind: str
    accepted_on: date | None
    renounced: bool


@dataclass(frozen=True, slots=True)
class EstateFacts:
    """An Estate row and its recipients, as the deadlines need them."""

    deceased_id: int
    deceased_name: str
    died_on: date
    administrator_id: int | None = None
    administrator_name: str = ""
    administrator_kind: str = ""
    administrator_known_on: date | None = None
    heirs: tuple[HeirFacts, ...] = field(default_factory=tuple)

    @property
    def administrator(self) -> str:
        return self.administrator_name or ADMINISTRATOR_LABELS.get(self.administrator_kind, "遗产管理人")

    def heirs_in(self) -> list[HeirFacts]:
        """The heirs who did not renounce (CC 1124: they are deemed to accept)."""
        return [heir for heir in self.heirs if heir.kind in HEIR_KINDS and not heir.renounced]


def estate_death(estate: EstateFacts) -> PartyDeath:
    """When an heir or administrator was first determined, per CC 194 para 1 (三).

    The earliest of the day the administrator became known and the day an heir accepted.
    An administrator or heir recorded without that date makes the day unknown: the docket
    then counts no suspension (the earlier, safer result) and asks for the date."""
    dated: list[tuple[date, str]] = []
    undated: list[str] = []
    if estate.administrator_id is not None or estate.administrator_kind:
        who = f"遗产管理人（{estate.administrator}）"
        if estate.administrator_known_on is not None:
            dated.append((estate.administrator_known_on, who))
        else:
            undated.append(who)
    for heir in estate.heirs_in():
        if heir.accepted_on is not None:
            dated.append((heir.accepted_on, f"继承人{heir.name}接受继承"))
        else:
            undated.append(f"继承人{heir.name}")
    first = min(dated, key=lambda pair: pair[0]) if dated else None
    return PartyDeath(
        estate.deceased_id,
        estate.deceased_name,
        estate.died_on,
        first[0] if first else None,
        first[1] if first else "",
        "、".join(undated),
    )


def estate_events(death: PartyDeath) -> list[FactEvent]:
    """CC 194 para 1 (三): the obstacle from the death to the day an heir or administrator was
    determined (open while none is). None when the day is unknown (see estate_death)."""
    if death.undated:
        return []
    started = FactEvent(
        EventKind.OBSTACLE_STARTED,
        death.died_on,
        f"{death.name}于{death.died_on.isoformat()}死亡，继承开始后未确定继承人或遗产管理人",
        death.party_id,
    )
    if death.determined_on is None:
        return [started]
    ended = FactEvent(
        EventKind.OBSTACLE_ENDED,
        death.determined_on,
        f"{death.determined_on.isoformat()}确定{death.determined_by}",
        death.party_id,
    )
    return [started, ended]


def administrator_demands(estate: EstateFacts, events: Iterable[FactEvent]) -> list[FactEvent]:
    """总则编解释 38 para 2: each demand delivered to the estate administrator after the death —
    to the administrator named, from the day he was known, or, where all heirs administer
    jointly, to any heir who did not renounce — as a demand on the deceased."""
    receivers: dict[int, tuple[str, date]] = {}
    if estate.administrator_id is not None:
        since = estate.administrator_known_on or estate.died_on
        receivers[estate.administrator_id] = (f"遗产管理人{estate.administrator}", since)
    elif estate.administrator_kind == ALL_HEIRS:
        for heir in estate.heirs_in():
            receivers[heir.party_id] = (f"共同担任遗产管理人的继承人{heir.name}", estate.died_on)
    mapped: list[FactEvent] = []
    for event in events:
        if event.kind != EventKind.DEMAND_DELIVERED or event.against not in receivers:
            continue
        who, since = receivers[event.against]
        if event.on <= estate.died_on or event.on < since:
            continue
        label = f"{event.label}（向{who}提出，视为向{estate.deceased_name}主张，{SOURCE_ADMINISTRATOR}）"
        mapped.append(replace(event, label=label, against=estate.deceased_id))
    return mapped


def death_note(death: PartyDeath) -> dict[str, str]:
    """The step that explains the suspension on the deceased's limitation."""
    died = f"{death.name}于{cn_date(death.died_on)}死亡，继承开始后未确定继承人或遗产管理人"
    if death.undated:
        text = (
            f"{died}；已登记{death.undated}，但未登记其确定日期，无法确定障碍消除之日："
            "按不发生中止保守计算，请登记该日期。"
        )
        return {"date": death.died_on.isoformat(), "source": SOURCE_SUSPENSION, "text": text}
    if death.determined_on is None:
        text = (
            f"{died}，至今尚未确定：障碍存在于诉讼时效期间最后六个月内的，诉讼时效中止，障碍消除前暂无届满日。"
            "可申请人民法院指定遗产管理人（民法典第1146条），确定后请登记日期。"
        )
        return {"date": death.died_on.isoformat(), "source": SOURCE_SUSPENSION, "text": text}
    text = (
        f"{died}，至{cn_date(death.determined_on)}确定{death.determined_by}：该障碍存在于诉讼时效期间"
        "最后六个月内的，诉讼时效中止，自障碍消除之日起满六个月届满；此前已消除的，不发生中止。"
    )
    return {"date": death.determined_on.isoformat(), "source": SOURCE_SUSPENSION, "text": text}


def enforcement_death_note(death: PartyDeath) -> dict[str, str]:
    """CPL 267 para 1 (三): enforcement is suspended on a party's death until the heirs take over."""
    text = (
        f"被执行人{death.name}于{cn_date(death.died_on)}死亡，需要等待继承人继承权利或者承担义务的，"
        "人民法院应当裁定中止执行；可申请变更、追加其继承人或遗产管理人为被执行人，在遗产范围内承担责任"
        "（变更追加规定第10条）。"
    )
    if death.determined_on is not None:
        text += f"已于{cn_date(death.determined_on)}确定{death.determined_by}。"
    return {"date": death.died_on.isoformat(), "source": SOURCE_ENFORCEMENT, "text": text}


def period_events(events: list[FactEvent], trigger: date) -> list[FactEvent]:
    """The events as a period starting on `trigger` sees them: an obstacle that began on or
    before the trigger and lasted past it exists from the period's first day (CC 194 asks only
    whether it exists in the last six months), one removed by then is left out; other events
    are as given (the engine explains those before the start)."""
    if not any(event.kind in OBSTACLE_KINDS for event in events):
        return events
    kept: list[FactEvent] = []
    open_starts: dict[int | None, list[FactEvent]] = {}
    # Starts before ends of the same day: an obstacle removed the day it arose still pairs.
    for event in sorted(events, key=lambda event: (event.on, event.kind == EventKind.OBSTACLE_ENDED)):
        if event.kind == EventKind.OBSTACLE_STARTED:
            open_starts.setdefault(event.against, []).append(event)
        elif event.kind == EventKind.OBSTACLE_ENDED and open_starts.get(event.against):
            start = open_starts[event.against].pop(0)
            if event.on > trigger:
                kept += [_from_start(start, trigger), event]
        else:
            kept.append(event)
    kept += [_from_start(start, trigger) for starts in open_starts.values() for start in starts]
    return sorted(kept, key=lambda event: event.on)


def _from_start(start: FactEvent, trigger: date) -> FactEvent:
    if start.on > trigger:
        return start
    return replace(start, on=trigger + _ONE_DAY, label=f"{start.label}（起算时已存在）")
