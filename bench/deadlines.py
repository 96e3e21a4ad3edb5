"""Throughput of the pure deadline engine on one core, against a floor measured in the same run.

    .venv/bin/python bench/deadlines.py [--claims N] [--seed S] [--repeat R] [--render-steps]

Generates N claims (default 1,000,000) with a fixed seed: a rule (mostly limitation and
enforcement, the event-driven ones), a trigger in 2015-2025 and 0-6 random events. Times only
the engine (`compute_deadline` on typed Event objects, default calendar, steps included), not
the claim generation, and prints claims per second. The explanation is recorded but worded
only when read; --render-steps also words it, to show that cost (the goal is for the run
without it).

The floor is the same job over the same claims done the cheapest way plain Python on this
interpreter allows, one function call per claim as the engine's: look the rule's period up in
a dict; for limitation and enforcement walk the claim's events in date order (sorted as the
engine sorts them) and keep the last interruption (demand, announcement, account debit, partial
payment, acknowledgement, end of proceedings) after the trigger; add the period once to that
day by plain date arithmetic (`date.replace` for years, month arithmetic clamped to the month's
end, `+ timedelta` for days); look the last day up once in one set of rest days (built before
the clock starts); build one tuple (rule, last day, rest day?, expired?). Any correct engine
does at least this for every claim, and more: suits, obstacles and expiry before an event,
the 20-year long stop, rolling over runs of rest days, the working-day act-by date, provisional
years and the explanation. So the floor is faster than any engine can be, and engine/floor
(the engine's rate as a share of the floor's) is at most 1. Before timing, the floor's last
day is checked against the engine's on the claims where the two must agree (no event after
the trigger, or a rule that ignores events).

Goal: engine/floor >= 0.09. It replaces the absolute goal of 100,000 claims/s, which is that
share of the floor as measured on the machine where the goals were set (best of three at the
default size on 2 December 2026, load about 1: 1,107,000 claims/s; 100,000 / 1,107,000 =
0.0903, rounded down to 0.09 so that the ratio is not stricter than the old goal was there). The absolute
figures and the old goal are still printed, for continuity. Exits 1 when the goal is missed.

The machine may be shared, so the run is repeated (--repeat), the engine and the floor taking
turns in each round, and both wall-clock and CPU time (time.process_time, which excludes time
the process spent waiting for a core) are reported; the verdict uses the best CPU-time run of
each.
"""

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from operator import attrgetter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recovery.deadlines import (  # noqa: E402
    EVENT_RULES,
    Event,
    EventKind,
    RestDayCalendar,
    compute_deadline,
    default_calendar,
)

GOAL_SHARE_OF_FLOOR = 0.09
OLD_GOAL_CLAIMS_PER_SECOND = 100_000  # the absolute goal the ratio replaces, still printed
# Weighted towards the rules that replay events, the expensive ones.
RULE_WEIGHTS = {
    "limitation": 50,
    "enforcement": 20,
    "guarantee_period": 10,
    "preservation_renewal": 5,
    "appeal_judgment": 5,
    "appeal_ruling": 5,
    "pre_suit_preservation": 5,
}
EVENT_KINDS = list(EventKind)

# The floor's table: each rule's period as (years, months, days); the periods of rules.py.
FLOOR_PERIODS: dict[str, tuple[int, int, int]] = {
    "limitation": (3, 0, 0),  # CC 188
    "enforcement": (2, 0, 0),  # CPL 250
    "guarantee_period": (0, 6, 0),  # CC 692, the default six months
    "preservation_renewal": (0, 0, -7),  # 保全规定 18: seven days before
    "appeal_judgment": (0, 0, 15),  # CPL 171
    "appeal_ruling": (0, 0, 10),  # CPL 171
    "pre_suit_preservation": (0, 0, 30),  # CPL 104
}
# The events after which limitation and enforcement run anew (CC 195; 时效规定 8, 14).
FLOOR_RESTARTS = frozenset(
    {
        EventKind.DEMAND_DELIVERED,
        EventKind.ANNOUNCEMENT,
        EventKind.ACCOUNT_DEBIT,
        EventKind.PARTIAL_PAYMENT,
        EventKind.DEBTOR_ACKNOWLEDGED,
        EventKind.PROCEEDINGS_ENDED,
    }
)
_event_day = attrgetter("on")
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

Claim = tuple[str, date, list[Event]]
FloorResult = tuple[str, date, bool, bool]


def generate_claims(count: int, seed: int) -> list[Claim]:
    rng = random.Random(seed)
    rules = rng.choices(list(RULE_WEIGHTS), weights=list(RULE_WEIGHTS.values()), k=count)
    first_trigger = date(2015, 1, 1).toordinal()
    claims = []
    for rule in rules:
        trigger = date.fromordinal(first_trigger + rng.randrange(11 * 365))
        events = [
            Event(rng.choice(EVENT_KINDS), trigger + timedelta(days=rng.randrange(-30, 1500)))
            for _ in range(rng.randint(0, 6))
        ]
        claims.append((rule, trigger, events))
    return claims


def floor_deadline(
    rule: str, trigger: date, events: Sequence[Event], as_of: date, rest_days: frozenset[date]
) -> FloorResult:
    """The least work a correct engine does for one claim; see the module docstring."""
    years, months, days = FLOOR_PERIODS[rule]
    start = trigger
    if rule in EVENT_RULES:
        for event in sorted(events, key=_event_day) if len(events) > 1 else events:
            if event.kind in FLOOR_RESTARTS and event.on > trigger:
                start = event.on
    if years:
        try:
            end = start.replace(year=start.year + years)
        except ValueError:  # 29 February into a common year
            end = date(start.year + years, 2, 28)
    elif months:
        month_index = start.month - 1 + months
        year, month = start.year + month_index // 12, month_index % 12 + 1
        last_day = 29 if month == 2 and year % 4 == 0 else _DAYS_IN_MONTH[month - 1]  # 1901-2099
        end = date(year, month, min(start.day, last_day))
    else:
        end = start + timedelta(days=days)
    return (rule, end, end in rest_days, end < as_of)


def all_rest_days(calendar: RestDayCalendar, claims: Sequence[Claim]) -> frozenset[date]:
    """Every rest day of the years the claims' last days can fall in, as one set."""
    first = min(trigger for _, trigger, _ in claims).year - 1
    last = max(max([trigger, *(event.on for event in events)]) for _, trigger, events in claims).year + 4
    rest_days: set[date] = set()
    for year in range(first, last + 1):
        rest_days |= calendar.rest_days(year)
    return frozenset(rest_days)


def check_floor(
    claims: Sequence[Claim], as_of: date, calendar: RestDayCalendar, rest_days: frozenset[date]
) -> int:
    """Where the floor must find the engine's raw last day, it does; returns how many were compared."""
    compared = 0
    for rule, trigger, events in claims:
        if rule in EVENT_RULES and any(event.on > trigger for event in events):
            continue
        expected = compute_deadline(rule, trigger, events, as_of=as_of, calendar=calendar).raw_end
        floor_end = floor_deadline(rule, trigger, events, as_of, rest_days)[1]
        assert floor_end == expected, f"floor {floor_end} != engine {expected} for {rule} {trigger}"
        compared += 1
    return compared


def timed(job: Callable[[], None]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `job`."""
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    job()
    return time.perf_counter() - wall_started, time.process_time() - cpu_started


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--render-steps",
        action="store_true",
        help="also word every explanation step (as the calculator does)",
    )
    args = parser.parse_args()

    print(f"generating {args.claims:,} claims (seed {args.seed})…", flush=True)
    claims = generate_claims(args.claims, args.seed)
    calendar = default_calendar()
    as_of = date(2025, 6, 15)
    events_total = sum(len(events) for _, _, events in claims)
    rest_days = all_rest_days(calendar, claims)
    compared = check_floor(claims[:20_000], as_of, calendar, rest_days)

    def engine() -> None:
        if args.render_steps:
            for rule, trigger, events in claims:
                compute_deadline(rule, trigger, events, as_of=as_of, calendar=calendar).steps  # noqa: B018
        else:
            for rule, trigger, events in claims:
                compute_deadline(rule, trigger, events, as_of=as_of, calendar=calendar)

    def floor() -> None:
        for rule, trigger, events in claims:
            floor_deadline(rule, trigger, events, as_of, rest_days)

    print(f"{args.claims:,} claims with {events_total:,} events")
    print(f"floor checked against the engine's raw last day on {compared:,} claims")
    best_engine = best_floor = float("inf")
    for run in range(1, args.repeat + 1):
        wall, cpu = timed(engine)
        floor_wall, floor_cpu = timed(floor)
        best_engine, best_floor = min(best_engine, cpu), min(best_floor, floor_cpu)
        print(
            f"run {run}: engine {wall:.2f} s wall ({args.claims / wall:,.0f} claims/s), "
            f"{cpu:.2f} s CPU ({args.claims / cpu:,.0f} claims/s); "
            f"floor {floor_cpu:.2f} s CPU ({args.claims / floor_cpu:,.0f} claims/s, {floor_wall:.2f} s wall)"
        )

    rate, floor_rate = args.claims / best_engine, args.claims / best_floor
    share = rate / floor_rate
    old_verdict = "met" if rate >= OLD_GOAL_CLAIMS_PER_SECOND else "not met"
    print(
        f"best: engine {rate:,.0f} claims/s on one core (old absolute goal "
        f"{OLD_GOAL_CLAIMS_PER_SECOND:,} claims/s {old_verdict} on this machine)"
    )
    print(f"floor: {floor_rate:,.0f} claims/s (period added to the last interruption, one rest-day lookup)")
    met = share >= GOAL_SHARE_OF_FLOOR
    print(
        f"ratio: engine/floor {share:.3f} "
        f"(the engine takes {best_engine / best_floor:.1f}x the floor's time); "
        f"goal >= {GOAL_SHARE_OF_FLOOR} {'met' if met else 'NOT met'}"
    )
    if args.render_steps:
        # Wording every step only shows what it costs; the goal is for the docket's recomputation.
        print("(--render-steps: the goal applies to the run without it)")
        return 0
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
