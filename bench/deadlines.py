"""Throughput of the pure deadline engine on one core.

    .venv/bin/python bench/deadlines.py [--claims N] [--seed S]

Generates N claims (default 1,000,000) with a fixed seed: a rule (mostly limitation and
enforcement, the event-driven ones), a trigger in 2015-2025 and 0-6 random events. Times only
the engine (`compute_deadline` on typed Event objects, default calendar, steps included), not
the claim generation, and prints claims per second. The explanation is recorded but worded
only when read; --render-steps also words it, to show that cost. Goal: >= 100,000 claims/s.

The machine may be shared, so the run is repeated (--repeat) and both wall-clock and CPU time
(time.process_time, which excludes time the process spent waiting for a core) are reported;
the verdict uses the best CPU-time run.
"""

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recovery.deadlines import Event, EventKind, compute_deadline, default_calendar  # noqa: E402

GOAL_CLAIMS_PER_SECOND = 100_000
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


def generate_claims(count: int, seed: int) -> list[tuple[str, date, list[Event]]]:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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

    print(f"{args.claims:,} claims with {events_total:,} events")
    best_cpu_seconds = float("inf")
    for run in range(1, args.repeat + 1):
        wall_started, cpu_started = time.perf_counter(), time.process_time()
        if args.render_steps:
            for rule, trigger, events in claims:
                compute_deadline(rule, trigger, events, as_of=as_of, calendar=calendar).steps  # noqa: B018
        else:
            for rule, trigger, events in claims:
                compute_deadline(rule, trigger, events, as_of=as_of, calendar=calendar)
        wall, cpu = time.perf_counter() - wall_started, time.process_time() - cpu_started
        best_cpu_seconds = min(best_cpu_seconds, cpu)
        print(
            f"run {run}: {wall:.2f} s wall ({args.claims / wall:,.0f} claims/s), "
            f"{cpu:.2f} s CPU ({args.claims / cpu:,.0f} claims/s)"
        )

    rate = args.claims / best_cpu_seconds
    verdict = "met" if rate >= GOAL_CLAIMS_PER_SECOND else "NOT met"
    print(f"best: {rate:,.0f} claims/s on one core; goal {GOAL_CLAIMS_PER_SECOND:,} claims/s {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
