"""The case listing of a large docket in PostgreSQL: query count, and page time against its heaviest query.

    .venv/bin/python bench/case_listing.py [--cases 50000] [--small 2000] [--seed S] [--explain] [--profile]

1. Builds a fresh database (`rd_bench_listing`, dropped, recreated and migrated; override with
   --database-url) of N cases (default 50,000) over 10 branches, each with 20 lawyers and a
   manager: one debtor each (a guarantor for one case in five), 1-3 loans, a default cause
   for most, 2% unassigned, 1% shared with a second lawyer, statuses spread over the docket's;
   every deadline computed by the real recompute. DEBUG is off. All rows are written with COPY.
2. Renders the Wagtail case listing (/admin/snippets/recovery/case/, the real view, Django's
   test client) as a lawyer and as that lawyer's branch manager: the first page, a deep page
   (the last), a search (a debtor's name) and a filter (open cases overdue 1-3 years). Each is
   rendered REPEAT times (median wall time); the queries of one render are captured
   (CaptureQueriesContext).
3. Query count: must be the same for every page of a user, and the same as for a docket of
   --small cases (default 2,000) built the same way.
4. Floor: each captured query run again alone (cursor.execute, median of REPEAT runs); the
   slowest is the page's floor. Prints page time, floor, their ratio, and the heaviest query's
   plan (EXPLAIN ANALYZE).
5. Shell: the listing of a user of the same role in a branch with no cases (Wagtail's admin
   page, menu, filters and header with no rows; the median of REPEAT renders). No page can
   take less than the shell plus its heaviest query: "least" is that sum over the floor, and
   where it exceeds 2.0 the page's goal cannot be met by any listing code on the Wagtail
   admin; the line says so.
Goal: every page <= 2.0 x its floor, query count constant. Exits 1 when a goal is missed.
"""

import argparse
import cProfile
import logging
import pstats
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

from floors import (  # noqa: E402
    explain,
    goals_verdict,
    heaviest_alone,
    load_average,
    measure_page,
    render,
    serve_plain_http,
)
from pg import fresh_database  # noqa: E402

GOAL_RATIO = 2.0
REPEAT = 7
BRANCHES = 10
LAWYERS_PER_BRANCH = 20
TODAY = date(2026, 11, 23)
STATUSES = ["open"] * 6 + ["litigation", "judged", "enforcement", "round_closed", "suspended", "closed"]
PER_PAGE = 50
LISTED = b"/admin/snippets/recovery/case/inspect/"  # a link every listed case has


def build_staff() -> dict[str, object]:
    """Ten branches, each with twenty lawyers and a manager; returns the measured users."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from recovery.models import Branch
    from recovery.services.staff import staff_set_role

    user_model = get_user_model()
    password = make_password(None)
    for b in range(BRANCHES):
        branch = Branch.objects.create(name=f"基准分行{b}")
        for n in range(LAWYERS_PER_BRANCH):
            lawyer = user_model.objects.create(
                username=f"lawyer{b}-{n}", email=f"lawyer{b}-{n}@example.com", password=password
            )
            staff_set_role(user=lawyer, role="lawyer", branch=branch)
        manager = user_model.objects.create(username=f"manager{b}", email=f"manager{b}@example.com")
        staff_set_role(user=manager, role="manager", branch=branch)
    # The same roles in a branch with no cases: their listing is the Wagtail shell alone.
    empty = Branch.objects.create(name="基准空分行")
    for role in ("lawyer", "manager"):
        shell_user = user_model.objects.create(username=f"shell-{role}", email=f"shell-{role}@example.com")
        staff_set_role(user=shell_user, role=role, branch=empty)
    return {
        "lawyer": user_model.objects.get(username="lawyer0-0"),
        "manager": user_model.objects.get(username="manager0"),
    }


def clear_docket() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE recovery_case, recovery_party RESTART IDENTITY CASCADE")


def build_docket(*, cases: int, seed: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from recovery.lib.bulk import bulk_insert_values
    from recovery.models import Branch, Case, CaseParty, DefaultCause, Loan, Party
    from recovery.services.deadlines import deadlines_recompute

    rng = random.Random(seed)
    branches = list(Branch.objects.order_by("pk").values_list("pk", flat=True))
    users = get_user_model().objects.filter(username__startswith="lawyer").order_by("pk")
    lawyers = [list(users.filter(staff_profile__branch_id=b).values_list("pk", flat=True)) for b in branches]
    causes = list(DefaultCause.objects.values_list("pk", flat=True))
    party = {
        "phones": "",
        "address": "",
        "marital_status": "unknown",
        "legal_representative": "",
        "notes": "",
    }
    with transaction.atomic():
        debtor_ids = bulk_insert_values(
            Party,
            [
                {
                    **party,
                    "kind": "company" if n % 4 == 0 else "person",
                    "name": f"债务人{n}",
                    "id_number": f"B{n:09d}",
                }
                for n in range(cases)
            ],
        )
        guarantor_ids = bulk_insert_values(
            Party,
            [
                {**party, "kind": "person", "name": f"保证人{n}", "id_number": f"G{n:09d}"}
                for n in range(0, cases, 5)
            ],
        )
        rows = []
        for n in range(cases):
            branch = n % BRANCHES
            rows.append(
                {
                    "number": f"RD{n:010d}",
                    "debtor_id": debtor_ids[n],
                    "branch_id": branches[branch],
                    "assignee_id": None
                    if n % 50 == 7
                    else lawyers[branch][(n // BRANCHES) % LAWYERS_PER_BRANCH],
                    # The measured lawyer's cases (every 200th) are open, so that the filtered
                    # page lists some of them in a small docket too.
                    "status": "open" if n % 200 == 0 else rng.choice(STATUSES),
                    "default_cause_id": rng.choice(causes) if causes and n % 4 else None,
                    "opened_on": date(2022, 1, 1) + timedelta(days=rng.randrange(4 * 365)),
                    "closed_on": None,
                    "summary": "",
                }
            )
        case_ids = bulk_insert_values(Case, rows)
        links = [
            {"case_id": case_ids[n], "party_id": debtor_ids[n], "role": "borrower", "notes": ""}
            for n in range(cases)
        ]
        links += [
            {"case_id": case_ids[5 * g], "party_id": guarantor, "role": "guarantor", "notes": ""}
            for g, guarantor in enumerate(guarantor_ids)
        ]
        bulk_insert_values(CaseParty, links)
        loans = []
        for n in range(cases):
            for i in range(rng.randint(1, 3)):
                due = date(2020, 1, 1) + timedelta(days=rng.randrange(6 * 365))
                if n % 200 == 0:  # the measured lawyer's: about two years overdue (the filter)
                    due = date.today() - timedelta(days=700 + i)
                loans.append(
                    {
                        "case_id": case_ids[n],
                        "contract_no": f"HT{n:09d}-{i}",
                        "amount": Decimal("100000.00"),
                        "principal_outstanding": Decimal(rng.randrange(1_000, 100_000)),
                        "interest_outstanding": Decimal("0"),
                        "penalty_interest": Decimal("0"),
                        "disbursed_on": due - timedelta(days=365),
                        "due_on": due,
                        "last_payment_on": None,
                        "security_types": "",
                        "handed_over_on": due + timedelta(days=90),
                        "branch_id": rows[n]["branch_id"],
                    }
                )
        bulk_insert_values(Loan, loans)
        # One case in a hundred is shared with a second lawyer of its branch (the first
        # lawyer of branch 0, measured below, among them).
        through = Case.shared_with.through
        shared = [
            through(
                case_id=case_ids[n], user_id=lawyers[n % BRANCHES][((n // BRANCHES) + 1) % LAWYERS_PER_BRANCH]
            )
            for n in range(3, cases, 100)
        ]
        through.objects.bulk_create(shared)
    deadlines_recompute(today=TODAY - timedelta(days=30))
    # What autovacuum would have done by the time anyone reads the listing.
    with connection.cursor() as cursor:
        for table in (
            "recovery_case",
            "recovery_party",
            "recovery_loan",
            "recovery_caseparty",
            "recovery_case_shared_with",
            "recovery_deadline",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def pages_for(user: object, *, visible: int) -> dict[str, str]:
    from django.urls import reverse

    listing = reverse("wagtailsnippets_recovery_case:list")
    last = max(1, -(-visible // PER_PAGE))
    return {
        "first page": listing,
        f"deep page ({last})": f"{listing}?p={last}",
        "search": f"{listing}?q=债务人1",
        "filter": f"{listing}?status=open&overdue=y1_3",
    }


def shell_seconds(user: object) -> float:
    """The median wall seconds of `user`'s listing, which shows no case."""
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    url = reverse("wagtailsnippets_recovery_case:list")
    client.get(url)
    runs = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(url)
        runs.append(time.perf_counter() - started)
        assert response.status_code == 200 and LISTED not in response.content, url
    return statistics.median(runs)


def query_counts(clients: dict, visible: dict[str, int]) -> dict[tuple[str, str], int]:
    counts = {}
    for who, client in clients.items():
        for label, url in pages_for(who, visible=visible[who]).items():
            render(client, url, listing=LISTED)
            counts[who, label.split(" (")[0]] = len(render(client, url, listing=LISTED)[1])
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/rd_bench_listing")
    parser.add_argument("--explain", action="store_true", help="print the heaviest query's plan")
    parser.add_argument(
        "--profile", action="store_true", help="print where one render of each page spends its time"
    )
    args = parser.parse_args()

    # As in production: DEBUG off (plain http to the test client).
    serve_plain_http("bench-case-listing-not-secret")

    fresh_database(args.database_url)
    from django.test import Client

    from recovery.selectors.access import cases_visible_to

    # No setup_test_environment(): its template instrumentation (a context copy per template
    # rendered, for response.context) would be timed with the page.
    logging.getLogger("axes").setLevel(logging.WARNING)  # one line per sign-in otherwise
    users = build_staff()
    from django.contrib.auth import get_user_model

    shell_users = {who: get_user_model().objects.get(username=f"shell-{who}") for who in users}
    clients = {}
    for who, user in users.items():
        clients[who] = Client()
        clients[who].force_login(user)

    build_docket(cases=args.small, seed=args.seed)
    small_visible = {who: cases_visible_to(user).count() for who, user in users.items()}
    small = query_counts(clients, small_visible)
    clear_docket()

    started = time.perf_counter()
    build_docket(cases=args.cases, seed=args.seed)
    print(f"docket: {args.cases:,} cases built in {time.perf_counter() - started:.1f} s")
    visible = {who: cases_visible_to(user).count() for who, user in users.items()}

    failures = []
    shells: dict[str, float] = {}
    print(f"load average: {load_average()}")
    print(f"{'page':<34} {'queries':>7} {'page ms':>8} {'floor ms':>9} {'ratio':>6} {'least':>6}")
    for who, client in clients.items():
        counts = set()
        shell = shells[who] = shell_seconds(shell_users[who])
        for label, url in pages_for(who, visible=visible[who]).items():
            page, queries = measure_page(client, url, listing=LISTED, repeat=REPEAT)
            floor, heaviest = heaviest_alone(queries, repeat=REPEAT)
            ratio = page / floor
            name = f"{who} ({visible[who]:,} cases): {label}"
            # No page can take less than the shell plus its heaviest query.
            least = (shell + floor) / floor
            beyond = "  (unreachable on the Wagtail admin)" if least > GOAL_RATIO else ""
            print(
                f"{name:<34} {len(queries):>7} {page * 1000:>8.1f} {floor * 1000:>9.1f} {ratio:>6.2f}"
                f" {least:>6.2f}{beyond}"
            )
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(client.get, url)
                pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
            if args.explain:
                print(f"heaviest query:\n{heaviest}\n{explain(heaviest)}\n")
            counts.add(len(queries))
            expected = small[who, label.split(" (")[0]]
            if len(queries) != expected:
                failures.append(f"{name}: {len(queries)} queries, {expected} for {args.small:,} cases")
            if ratio > GOAL_RATIO:
                failures.append(f"{name}: {ratio:.2f} x its heaviest query > {GOAL_RATIO}")
        if len(counts) != 1:
            failures.append(f"{who}: the query count differs between pages: {sorted(counts)}")
    print(f"load average: {load_average()}")
    print(f"shell: {', '.join(f'{who} {seconds * 1000:.1f} ms' for who, seconds in shells.items())}")
    print()
    return goals_verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
