"""Throughput of the distribution waterfall (assets.waterfall.distribute) on one core, against a
floor measured in the same run.

    .venv/bin/python bench/waterfall.py [--assets N] [--seed S] [--repeat R]

Generates N assets (default 100,000) with 1–20 claims each from a fixed seed, then times only
the pure function over them (best of R rounds, default 3) and prints assets per second.
No Django: the waterfall module is imported on its own.

The floor is the same job over the same assets done the cheapest way plain Python on this
interpreter allows, one function call per asset as the engine's: take the costs off the
proceeds, sort the asset's claims by rank (statutory priority, then security interests, then
seizures, then the rest; within a kind by registration or seizure date) and hand the proceeds
out in that order in Decimal, one pass, each claim paid what is left up to its amount, into one
list of (claim, paid); what remains is the surplus. Any correct waterfall does at least this
for every asset, and more: validating and converting the amounts, grouping claims into tiers,
splitting a tier pro rata with its leftover fen, the debtor type's rules for ordinary
creditors, and the steps explaining each tier. So the floor is faster than any waterfall can
be, and waterfall/floor (the waterfall's rate as a share of the floor's) is at most 1. Before
timing, the floor's surplus is checked against the waterfall's on natural-person assets, where
every claim ranks and the two must agree.

Goal: waterfall/floor >= 0.075. It replaces the absolute goal of 20,000 assets/s, which is that
share of the floor as measured on the machine where the goals were set (best of three at the
default size on 2 December 2026, load about 1: 254,600 assets/s; 20,000 / 254,600 = 0.0786,
rounded down to 0.075 so that the ratio is not stricter than the old goal was there). The absolute
figures and the old goal are still printed, for continuity. Exits 1 when the goal is missed.

CPU time (time.process_time) is measured, since on a shared machine wall time also counts
other jobs' turns; the waterfall and the floor take turns in each round.
"""

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assets.waterfall import Claim, ClaimKind, DebtorType, SeizureStatus, distribute  # noqa: E402

GOAL_SHARE_OF_FLOOR = 0.075
OLD_GOAL_ASSETS_PER_SECOND = 20_000  # the absolute goal the ratio replaces, still printed
KINDS = [ClaimKind.PRIORITY, ClaimKind.MORTGAGE, ClaimKind.PLEDGE, ClaimKind.SEIZURE, ClaimKind.TITLE_ONLY]
KIND_WEIGHTS = [1, 3, 1, 6, 3]
STATUSES = [SeizureStatus.ACTIVE, SeizureStatus.LIFTED, SeizureStatus.LAPSED]
EPOCH = date(2015, 1, 1)

# The floor's ranking: the kind's place in the paying order, then the claim's date.
FLOOR_KIND_ORDER = {
    ClaimKind.PRIORITY: 0,
    ClaimKind.MORTGAGE: 1,
    ClaimKind.PLEDGE: 1,
    ClaimKind.SEIZURE: 2,
    ClaimKind.TITLE_ONLY: 3,
}
_UNDATED = date.max
_ZERO = Decimal("0.00")


def random_asset(rng: random.Random) -> dict[str, Any]:
    claims = []
    for number in range(rng.randint(1, 20)):
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        amount = Decimal(rng.randint(0, 500_000_000)).scaleb(-2)  # up to 5m yuan, in fen
        # Few distinct dates, so same-day ties (pro rata) occur often.
        some_day = EPOCH + timedelta(days=rng.randint(0, 60) * 30)
        claims.append(
            Claim(
                kind=kind,
                amount=amount,
                creditor=f"债权人{number}",
                registered_on=some_day
                if kind in (ClaimKind.MORTGAGE, ClaimKind.PLEDGE) and rng.random() < 0.8
                else None,
                seized_on=some_day if kind is ClaimKind.SEIZURE else None,
                status=rng.choices(STATUSES, [8, 1, 1])[0]
                if kind is ClaimKind.SEIZURE
                else SeizureStatus.ACTIVE,
            )
        )
    total = sum(claim.amount for claim in claims)
    return {
        "debtor_type": rng.choice([DebtorType.LEGAL_PERSON, DebtorType.NATURAL_PERSON]),
        # From nothing to more than everything is owed, so every branch is exercised.
        "proceeds": (total * Decimal(rng.uniform(0, 1.3))).quantize(Decimal("0.01")),
        "costs": Decimal(rng.randint(0, 10_000_000)).scaleb(-2),
        "claims": claims,
    }


def _floor_rank(claim: Claim) -> tuple[int, date]:
    return (FLOOR_KIND_ORDER[claim.kind], claim.registered_on or claim.seized_on or _UNDATED)


def floor_distribute(
    *, debtor_type: DebtorType, proceeds: Decimal, costs: Decimal, claims: Sequence[Claim]
) -> tuple[Decimal, Decimal, list[tuple[Claim, Decimal]]]:
    """The least work a correct waterfall does for one asset; see the module docstring."""
    costs_paid = costs if costs <= proceeds else proceeds
    remaining = proceeds - costs_paid
    paid = []
    for claim in sorted(claims, key=_floor_rank):
        amount = claim.amount
        share = amount if amount <= remaining else remaining
        remaining -= share
        paid.append((claim, share))
    return costs_paid, remaining, paid


def check_floor(assets: Sequence[dict[str, Any]]) -> int:
    """On natural-person assets the floor leaves the waterfall's surplus; returns how many were compared."""
    compared = 0
    for asset in assets:
        if asset["debtor_type"] is not DebtorType.NATURAL_PERSON:
            continue
        expected = distribute(**asset).surplus
        floor_surplus = floor_distribute(**asset)[1]
        assert floor_surplus == expected, f"floor surplus {floor_surplus} != waterfall {expected}"
        compared += 1
    return compared


def timed(job: Callable[[], None]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of `job`."""
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    job()
    return time.process_time() - cpu_started, time.perf_counter() - wall_started


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20240506)
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds; the best one is reported")
    options = parser.parse_args()

    rng = random.Random(options.seed)
    assets = [random_asset(rng) for _ in range(options.assets)]
    claim_count = sum(len(asset["claims"]) for asset in assets)
    compared = check_floor(assets[:5_000])
    print(f"floor checked against the waterfall's surplus on {compared:,} natural-person assets")

    def waterfall() -> None:
        for asset in assets:
            distribute(**asset)

    def floor() -> None:
        for asset in assets:
            floor_distribute(**asset)

    # The best of several rounds, as timeit does: slower rounds measure interference, not code.
    rounds, floor_rounds = [], []
    for _ in range(options.repeat):
        rounds.append(timed(waterfall))
        floor_rounds.append(timed(floor))
    cpu, wall = min(rounds)
    floor_cpu, floor_wall = min(floor_rounds)

    rate, floor_rate = options.assets / cpu, options.assets / floor_cpu
    print(
        f"{options.assets:,} assets ({claim_count:,} claims), best of {options.repeat}: "
        f"{cpu:.2f} s CPU ({wall:.2f} s wall), {rate:,.0f} assets/s, "
        f"{claim_count / cpu:,.0f} claims/s on one core "
        f"(old absolute goal {OLD_GOAL_ASSETS_PER_SECOND:,} assets/s "
        f"{'met' if rate >= OLD_GOAL_ASSETS_PER_SECOND else 'not met'} on this machine)"
    )
    print(
        f"floor: {floor_cpu:.2f} s CPU ({floor_wall:.2f} s wall), {floor_rate:,.0f} assets/s "
        "(claims sorted by rank, proceeds handed out in one pass in Decimal)"
    )
    share = rate / floor_rate
    met = share >= GOAL_SHARE_OF_FLOOR
    print(
        f"ratio: waterfall/floor {share:.3f} (the waterfall takes {cpu / floor_cpu:.1f}x the floor's time); "
        f"goal >= {GOAL_SHARE_OF_FLOOR} {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
