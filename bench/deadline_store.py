"""Deadlines of a whole portfolio in PostgreSQL: recompute-and-store time, and the docket query.

    .venv/bin/python bench/deadline_store.py [--cases 100000] [--stored 1000000] [--seed S]

1. Builds a fresh database (`recovery_desk_bench_deadlines`, dropped and recreated; override
   with --database-url) with N cases (default 100,000): one debtor each, 1-3 loans, 20% with a
   guarantor, 0-3 collection actions (some without proof), 10% with a lawsuit.
2. Times `deadlines_recompute()` over every case (read facts, run the engine, store every
   deadline) — goal <= 60 s — and again with nothing changed.
3. Fills the deadline table up to --stored rows (default 1,000,000) with generated ones, then
   times "my open deadlines due within 30 days" (the dashboard's query) and "all open deadlines
   due within 7 days" (a head's view), prints their plans (EXPLAIN ANALYZE) and checks that they
   use the index on act_by — goal <= 50 ms each.
Exits 1 when a goal is missed.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pg import fresh_database  # noqa: E402

GOAL_RECOMPUTE_SECONDS = 60.0
GOAL_QUERY_MS = 50.0
TODAY = date(2026, 11, 23)


def prepare_database(url: str) -> None:
    fresh_database(url)


def build_portfolio(cases: int, seed: int) -> None:
    from django.contrib.auth import get_user_model

    from litigation.models import Lawsuit
    from recovery.models import Branch, Case, CaseParty, CollectionAction, Loan, LoanParty, Party

    rng = random.Random(seed)
    branch = Branch.objects.create(name="基准分行")
    get_user_model().objects.bulk_create(
        [get_user_model()(username=f"lawyer{n}", email=f"lawyer{n}@example.com") for n in range(50)]
    )
    users = list(get_user_model().objects.filter(username__startswith="lawyer"))

    batch = 5000
    for start in range(0, cases, batch):
        stop = min(cases, start + batch)
        debtors = Party.objects.bulk_create(
            [Party(kind="person", name=f"债务人{n}", id_number=f"B{n:09d}") for n in range(start, stop)]
        )
        guarantors = Party.objects.bulk_create(
            [
                Party(kind="person", name=f"保证人{n}", id_number=f"G{n:09d}")
                for n in range(start, stop)
                if n % 5 == 0
            ]
        )
        guarantor_by_case = {start + 5 * i + (-start % 5): g for i, g in enumerate(guarantors)}
        new_cases = Case.objects.bulk_create(
            [
                Case(
                    number=f"RD{n:010d}",
                    debtor=debtor,
                    branch=branch,
                    assignee=users[n % len(users)],
                    opened_on=date(2024, 1, 1),
                )
                for n, debtor in zip(range(start, stop), debtors, strict=True)
            ]
        )
        loans, links, actions, suits, guarantees = [], [], [], [], []
        for n, case in zip(range(start, stop), new_cases, strict=True):
            links.append(CaseParty(case=case, party=case.debtor, role="borrower"))
            guarantor = None
            if n in guarantor_by_case:
                guarantor = CaseParty(case=case, party=guarantor_by_case[n], role="guarantor")
                links.append(guarantor)
            for i in range(rng.randint(1, 3)):
                due = date(2021, 1, 1) + timedelta(days=rng.randrange(5 * 365))
                loans.append(
                    Loan(
                        case=case,
                        contract_no=f"HT{n:09d}-{i}",
                        amount=Decimal("100000.00"),
                        principal_outstanding=Decimal("80000.00"),
                        disbursed_on=due - timedelta(days=365),
                        due_on=due,
                        handed_over_on=due + timedelta(days=90),
                        branch=branch,
                    )
                )
                if guarantor is not None and i == 0:  # guarantees the case's first loan only
                    guarantees.append(
                        LoanParty(
                            case_party=guarantor,
                            loan=loans[-1],
                            guarantee_type=rng.choice(["joint", "general"]),
                        )
                    )
            for _ in range(rng.randint(0, 3)):
                sent = date(2022, 1, 1) + timedelta(days=rng.randrange(4 * 365))
                delivered = rng.random() < 0.8
                actions.append(
                    CollectionAction(
                        case=case,
                        kind="notice",
                        acted_on=sent,
                        reached=delivered,
                        delivered_on=sent + timedelta(days=3) if delivered else None,
                        tracking_number="EMS" if rng.random() < 0.7 else "",
                    )
                )
            if n % 10 == 0:
                suits.append(
                    Lawsuit(
                        case=case,
                        court="基准法院",
                        cause_of_action="金融借款合同纠纷",
                        claim_amount=Decimal("80000"),
                        filed_on=date(2025, 1, 1) + timedelta(days=rng.randrange(300)),
                    )
                )
        Loan.objects.bulk_create(loans)
        CaseParty.objects.bulk_create(links)
        for guarantee in guarantees:  # the ids bulk_create just set
            guarantee.case_party_id, guarantee.loan_id = guarantee.case_party.pk, guarantee.loan.pk
        LoanParty.objects.bulk_create(guarantees)
        CollectionAction.objects.bulk_create(actions)
        Lawsuit.objects.bulk_create(suits)


def fill_deadlines(total: int) -> int:
    """Generated rows up to `total`, spread over ten years of act_by, a quarter done."""
    from django.db import connection

    from recovery.models import Case, Deadline

    existing = Deadline.objects.count()
    missing = max(0, total - existing)
    first_case = Case.objects.order_by("pk").values_list("pk", flat=True).first()
    last_case = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    span = last_case - first_case + 1
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO recovery_deadline (case_id, key, kind, rule, party_role, subject, trigger, raw_end,
                legal_end, safe_end, act_by, status, calendar_provisional, steps, facts, done, done_note,
                at_risk, at_risk_note, done_once_proven, computed_at, fingerprint)
            SELECT %s + (i %% %s), 'bench:' || i, 'limitation', 'limitation', 'borrower', 'bench', d, d, d, d,
                d, 'running', false, '[]', '[]', (i %% 4 = 0), '', false, '', '', now(), ''
            FROM (SELECT i, date '2021-01-01' + (i %% 3650) AS d FROM generate_series(1, %s) AS i) AS rows
            """,
            [first_case, span, missing],
        )
        cursor.execute("ANALYZE recovery_deadline")
        cursor.execute("ANALYZE recovery_case")
    return Deadline.objects.count()


def time_query(queryset, repeat: int = 20) -> tuple[float, str]:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/recovery_desk_bench_deadlines"
    )
    args = parser.parse_args()

    prepare_database(args.database_url)
    started = time.perf_counter()
    build_portfolio(args.cases, args.seed)
    print(f"portfolio of {args.cases:,} cases built in {time.perf_counter() - started:.1f} s")

    from django.contrib.auth import get_user_model

    from recovery.models import Deadline
    from recovery.services.deadlines import deadlines_recompute

    started = time.perf_counter()
    summary = deadlines_recompute(today=TODAY)
    recompute = time.perf_counter() - started
    print(
        f"recompute + store: {recompute:.1f} s for {summary.cases:,} cases, {summary.created:,} deadlines "
        f"({summary.cases / recompute:,.0f} cases/s)"
    )
    started = time.perf_counter()
    again = deadlines_recompute(today=TODAY)
    unchanged = time.perf_counter() - started
    print(
        f"recompute, nothing changed: {unchanged:.1f} s "
        f"({again.unchanged:,} unchanged, {again.updated} written)"
    )

    stored = fill_deadlines(args.stored)
    print(f"deadline table: {stored:,} rows")
    lawyer = get_user_model().objects.get(username="lawyer7")
    mine = (
        Deadline.objects.due_within(TODAY, 30)
        .filter(case__assignee=lawyer)
        .select_related("case", "party")
        .order_by("act_by")[:100]
    )
    all_week = Deadline.objects.due_within(TODAY, 7).select_related("case").order_by("act_by")[:200]
    failures = []
    if recompute > GOAL_RECOMPUTE_SECONDS:
        failures.append(f"recompute took {recompute:.1f} s > {GOAL_RECOMPUTE_SECONDS} s")
    for label, queryset in (("my deadlines, next 30 days", mine), ("all deadlines, next 7 days", all_week)):
        median_ms, plan = time_query(queryset)
        uses_index = "deadline_open_by_act_by" in plan
        print(f"\n{label}: median {median_ms:.2f} ms over 20 runs; index used: {uses_index}\n{plan}")
        if median_ms > GOAL_QUERY_MS:
            failures.append(f"{label}: {median_ms:.1f} ms > {GOAL_QUERY_MS} ms")
        if not uses_index:
            failures.append(f"{label}: the plan does not use deadline_open_by_act_by")
    print()
    for failure in failures:
        print("MISSED:", failure)
    print("all goals met" if not failures else "some goals missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
