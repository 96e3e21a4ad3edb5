"""Deadlines of a whole portfolio in PostgreSQL: recompute-and-store and the docket queries, against floors.

    .venv/bin/python bench/deadline_store.py [--cases 100000] [--stored 1000000] [--seed S]

Absolute seconds differ twofold between machines (issue #13), so every figure is printed with
a floor measured in the same run, their ratio and the goal ratio.

1. Builds a fresh database (`recovery_desk_bench_deadlines`, dropped and recreated; override
   with --database-url, whose name must contain "bench") with N cases (default 100,000): one
   debtor each, 1-3 loans, 20% with a guarantor, 0-3 collection actions (some without proof),
   10% with a lawsuit.
2. Times `deadlines_recompute()` over every case (read facts, run the engine, store every
   deadline), then again with nothing changed (it must write nothing). Floors:
     fact read   the SELECTs the first recompute ran for facts (cases, parties, loans,
                 guarantees, actions, lawsuits, assets, the calendar; recorded as it ran, not
                 those of the deadlines it compares with nor the alerts') run again one
                 after another with every row fetched, the median of 3 runs
     COPY        every row the recompute wrote (deadlines, and the alerts it planned), copied
                 with `COPY ... FROM STDIN` into identical, indexed tables (`CREATE TABLE ...
                 (LIKE ... INCLUDING ALL)`); only the FROM and the commit are timed, the median
                 of 3 runs (as bench/import_handover.py)
     floor       fact read + COPY
   Goals: recompute <= 3.1 x the floor; the re-run with nothing changed <= 4.7 x the fact
   read alone.
3. Fills the deadline table up to --stored rows (default 1,000,000) with generated ones (then
   VACUUM ANALYZE, as autovacuum would), then times "my open deadlines due within 30 days"
   (the dashboard's query) and "all open deadlines due within 7 days" (a head's view), the
   median of 20 runs with the rows fetched, and checks that they use the index on act_by.
   Floor: a count(*) of every open deadline in the query's own act-by range (the same WHERE
   on the deadline table, without the join, the order and the limit) by an index-only scan of
   deadline_open_by_act_by: the least any plan pays to walk the range the query's index scan
   walks (the dashboard's query walks nearly all of it to find one lawyer's 100; the head's
   view stops after 200), without fetching a row. Goals: the dashboard's query <= 60 x its
   floor, the head's view <= 170 x; each floor must be an index-only scan.

The goals are the old absolute ones taken at the floors measured here (2 cores, PostgreSQL 15,
December 2026, default sizes): the recompute's floor was 19.0 s (fact read 12.6 s, COPY of
220,288 rows 6.4 s), so the old 60 s is 3.1 x; the re-run had no goal and is held to the same
60 s, 4.7 x its fact read. The recompute reached 47.1 s (2.48 x), the re-run 39.3 s (3.12 x):
the rest is the work above the floor (facts built from the rows, the engine, fingerprints). The docket
queries' floors were 0.83 ms and 0.29 ms, so the old 50 ms is 60 x and 170 x; they reached
11.9 ms and 4.2 ms (14.4 x each).
Exits 1 when a goal is missed, 2 when the recompute is wrong.
"""

import argparse
import os
import random
import re
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from floors import (  # noqa: E402
    copy_seconds,
    explain,
    goals_verdict,
    load_average,
    recorded_selects,
    replay_seconds,
    table_marks,
    time_alone,
    verdict,
    written_rows,
)
from pg import fresh_database  # noqa: E402

# The old goals (60 s, 50 ms) at the floors measured here: see the docstring.
GOAL_RECOMPUTE_OVER_FLOOR = 3.1
GOAL_UNCHANGED_OVER_READ = 4.7
GOAL_QUERY_OVER_FLOOR = {"my deadlines, next 30 days": 60.0, "all deadlines, next 7 days": 170.0}
QUERY_REPEAT = 20
TODAY = date(2026, 11, 23)
# What the recompute reads that is not a fact: the deadlines it compares with, and what the
# alerts of new and moved deadlines read (alerts, policies, their recipients).
NOT_FACTS = ('"recovery_deadline"', '"recovery_alert', '"auth_user"', '"recovery_staffprofile"')


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
                at_risk, at_risk_note, done_once_proven, computed_at, fingerprint, lapse_decision,
                lapse_reason)
            SELECT %s + (i %% %s), 'bench:' || i, 'limitation', 'limitation', 'borrower', 'bench', d, d, d, d,
                d, 'running', false, '[]', '[]', (i %% 4 = 0), '', false, '', '', now(), '', '', ''
            FROM (SELECT i, date '2021-01-01' + (i %% 3650) AS d FROM generate_series(1, %s) AS i) AS rows
            """,
            [first_case, span, missing],
        )
        # What autovacuum would have done by the time anyone reads the docket: statistics, and
        # the visibility map that lets the floor's count read the index alone.
        cursor.execute("VACUUM ANALYZE recovery_deadline")
        cursor.execute("VACUUM ANALYZE recovery_case")
    return Deadline.objects.count()


def time_query(queryset, repeat: int = QUERY_REPEAT) -> tuple[float, str]:
    """Milliseconds of the query (median of `repeat` runs, rows fetched) and its plan."""
    sql, params = queryset.query.sql_with_params()
    return time_alone(sql, params, repeat=repeat) * 1000, explain(sql, params)


def time_range_floor(queryset, repeat: int = QUERY_REPEAT) -> tuple[float, str]:
    """The docket query's floor in milliseconds, and its plan: a count of every deadline in the
    query's own act-by range (the same WHERE on the deadline table, without the join, the order
    and the limit) by an index-only scan of deadline_open_by_act_by."""
    sql, params = queryset.order_by().values_list("act_by").query.sql_with_params()
    counted = f"SELECT count(*) FROM ({sql}) AS range"  # noqa: S608  the ORM's own SQL, parameters apart
    return time_alone(counted, params, repeat=repeat) * 1000, explain(counted, params)


def recompute_with_floor(*, cases: int) -> tuple[list[str], list[str]]:
    """Time the recompute of every case, its re-run with nothing changed, and their floors;
    print them; return (failures, problems)."""
    from recovery.services.deadlines import deadlines_recompute

    before = table_marks()
    with recorded_selects(leaving_out=NOT_FACTS) as facts:
        started = time.perf_counter()
        summary = deadlines_recompute(today=TODAY)
        recompute = time.perf_counter() - started
    written = written_rows(before, table_marks())
    started = time.perf_counter()
    again = deadlines_recompute(today=TODAY)
    unchanged = time.perf_counter() - started

    print("the fact read (the recompute's SELECTs, run again)…", flush=True)
    read = replay_seconds(facts)
    print("COPY of the rows the recompute wrote…", flush=True)
    copy = copy_seconds(written)
    floor = read + copy
    total = sum(count for count, _condition in written.values())
    first_ratio, again_ratio = recompute / floor, unchanged / read
    print(f"\nrows the recompute wrote: {', '.join(f'{t} {n:,}' for t, (n, _c) in sorted(written.items()))}")
    print(f"{'':28}{'wall s':>8}{'cases/s':>9}")
    print(f"{'fact read':28}{read:8.2f}{cases / read:9,.0f}   {len(facts):,} SELECTs, rows fetched")
    print(f"{'COPY':28}{copy:8.2f}{'':9}   {total:,} rows into {len(written)} indexed tables")
    print(f"{'floor':28}{floor:8.2f}{'':9}   fact read + COPY")
    read_from = sorted(
        {table for sql, _params in facts for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)}
    )
    print(f"  the fact read's tables: {', '.join(read_from)}")
    print(
        f"{'recompute + store':28}{recompute:8.1f}{cases / recompute:9,.0f}   "
        f"{first_ratio:6.2f} x floor  {verdict(first_ratio, GOAL_RECOMPUTE_OVER_FLOOR)}"
    )
    print(
        f"{'recompute, nothing changed':28}{unchanged:8.1f}{cases / unchanged:9,.0f}   "
        f"{again_ratio:6.2f} x read   {verdict(again_ratio, GOAL_UNCHANGED_OVER_READ)}"
    )
    problems = []
    if summary.cases != cases or not summary.created:
        problems.append(f"recompute: {summary.cases:,} cases, {summary.created:,} deadlines created")
    if again.created or again.updated or again.deleted or again.unchanged != summary.created:
        problems.append(
            f"re-run: {again.created} created, {again.updated} updated, {again.deleted} deleted, "
            f"{again.unchanged:,} of {summary.created:,} unchanged"
        )
    failures = []
    if first_ratio > GOAL_RECOMPUTE_OVER_FLOOR:
        failures.append(f"recompute: {first_ratio:.2f} x its floor > {GOAL_RECOMPUTE_OVER_FLOOR}")
    if again_ratio > GOAL_UNCHANGED_OVER_READ:
        failures.append(f"re-run: {again_ratio:.2f} x the fact read > {GOAL_UNCHANGED_OVER_READ}")
    return failures, problems


def docket_queries_with_floor(stored: int) -> list[str]:
    """Time the two docket queries and their floors; print them; return the failures."""
    from django.contrib.auth import get_user_model

    from recovery.models import Deadline

    lawyer = get_user_model().objects.get(username="lawyer7")
    next_30, next_7 = Deadline.objects.due_within(TODAY, 30), Deadline.objects.due_within(TODAY, 7)
    mine = next_30.filter(case__assignee=lawyer).select_related("case", "party").order_by("act_by")[:100]
    # label: (the query, the act-by range its index scan walks)
    queries = {
        "my deadlines, next 30 days": (mine, next_30),
        "all deadlines, next 7 days": (next_7.select_related("case").order_by("act_by")[:200], next_7),
    }
    failures = []
    print(f"\ndocket queries on {stored:,} deadlines (median of {QUERY_REPEAT} runs, rows fetched):")
    print(f"{'':28}{'query ms':>9}{'floor ms':>9}{'ratio':>7}")
    for label, (queryset, walked) in queries.items():
        query_ms, plan = time_query(queryset)
        floor_ms, floor_plan = time_range_floor(walked)
        ratio, goal = query_ms / floor_ms, GOAL_QUERY_OVER_FLOOR[label]
        print(f"{label:28}{query_ms:9.2f}{floor_ms:9.3f}{ratio:7.1f}   {verdict(ratio, goal)}")
        print("  plan:\n    " + plan.replace("\n", "\n    "))
        print("  floor's plan:\n    " + floor_plan.replace("\n", "\n    "))
        if ratio > goal:
            failures.append(f"{label}: {ratio:.1f} x its floor > {goal}")
        if "deadline_open_by_act_by" not in plan:
            failures.append(f"{label}: the plan does not use deadline_open_by_act_by")
        if "Index Only Scan using deadline_open_by_act_by" not in floor_plan:
            failures.append(f"{label}: the floor is not an index-only scan of deadline_open_by_act_by")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/recovery_desk_bench_deadlines"
    )
    args = parser.parse_args()

    print(f"load average: {load_average()}", flush=True)
    # As in production: DEBUG off (with DEBUG on Django keeps every query).
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-deadline-store-not-secret")
    fresh_database(args.database_url)
    started = time.perf_counter()
    build_portfolio(args.cases, args.seed)
    print(f"portfolio of {args.cases:,} cases built in {time.perf_counter() - started:.1f} s", flush=True)

    failures, problems = recompute_with_floor(cases=args.cases)
    stored = fill_deadlines(args.stored)
    failures += docket_queries_with_floor(stored)
    print(f"\nload average: {load_average()}")
    if problems:
        print("\nthe recompute is wrong:\n  " + "\n  ".join(problems))
        return 2
    return goals_verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
