"""The asset listing of a large portfolio in PostgreSQL: page time and query count.

    .venv/bin/python bench/asset_listing.py [--assets 50000] [--measures 200000] [--seed S]

1. Builds a fresh database (`recovery_desk_bench_assets`, dropped, recreated and migrated;
   override with --database-url) with 5,000 cases over two branches and 50 lawyers, then
   N assets (default 50,000) over those cases, M preservation measures (default 200,000: ours
   and competitors', most active, ranked 首封 / 轮候 per asset, some lifted or lapsed) and a
   mortgage on a third of the assets — all written with COPY (recovery.lib.bulk).
2. Renders the asset listing (/admin/snippets/assets/asset/) as the head of recovery with
   Django's test client: the first page in the default order, and the "we hold the first
   seizure" + "expiring within 30 days" filtered view. Each is rendered 10 times: the median
   wall time and the number of queries (CaptureQueriesContext) are reported, and the query
   count must be the same as for a 5-asset portfolio's page (constant).
3. Prints EXPLAIN ANALYZE of the heaviest query of each page.
Goal: <= 300 ms per page. Exits 1 when a goal is missed.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pg import fresh_database  # noqa: E402

GOAL_MS = 300.0
REPEAT = 10
CASES = 5000
TODAY = date.today()


def prepare_database(url: str) -> None:
    fresh_database(url, debug=True)


def build_staff() -> object:
    """Two branches, 50 lawyers, and the head of recovery whose listing is measured."""
    from django.contrib.auth import get_user_model

    from recovery.models import Branch, Role
    from recovery.services.staff import staff_set_role

    user_model = get_user_model()
    for name in ("基准上海分行", "基准杭州分行"):
        Branch.objects.create(name=name)
    user_model.objects.bulk_create(
        [user_model(username=f"lawyer{n}", email=f"lawyer{n}@example.com") for n in range(50)]
    )
    head = user_model.objects.create_user(username="bench-head", password="x")
    staff_set_role(user=head, role=Role.HEAD, branch=None)
    return head


def clear_portfolio() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE assets_asset, recovery_case, recovery_party RESTART IDENTITY CASCADE")


def build_portfolio(*, assets: int, measures: int, seed: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from assets.models import Asset, PreservationMeasure, SecurityInterest
    from recovery.lib.bulk import bulk_insert_values
    from recovery.models import Branch, Case, Party

    rng = random.Random(seed)
    branches = list(Branch.objects.order_by("pk"))
    lawyers = list(
        get_user_model().objects.filter(username__startswith="lawyer").values_list("pk", flat=True)
    )
    with transaction.atomic():
        party_ids = bulk_insert_values(
            Party,
            [
                {
                    "kind": "company" if n % 3 == 0 else "person",
                    "name": f"债务人{n}",
                    "id_number": f"B{n:09d}",
                    "phones": "",
                    "address": "",
                    "marital_status": "unknown",
                    "legal_representative": "",
                    "notes": "",
                }
                for n in range(CASES)
            ],
        )
        case_ids = bulk_insert_values(
            Case,
            [
                {
                    "number": f"RD{n:010d}",
                    "debtor_id": party_ids[n],
                    "branch_id": branches[n % 2].pk,
                    "assignee_id": lawyers[n % len(lawyers)],
                    "status": "open",
                    "default_cause_id": None,
                    "opened_on": date(2024, 1, 1) + timedelta(days=n % 365),
                    "closed_on": None,
                    "summary": "",
                }
                for n in range(CASES)
            ],
        )
        kinds = ["real_estate", "vehicle", "deposit", "equity", "receivable", "other"]
        asset_rows = []
        for n in range(assets):
            kind = kinds[n % len(kinds)]
            case_index = rng.randrange(CASES)
            asset_rows.append(
                {
                    "case_id": case_ids[case_index],
                    "owner_id": party_ids[case_index],
                    "kind": kind,
                    "description": f"资产{n} {kind}",
                    "address": f"上海市浦东新区基准路{n}号" if kind == "real_estate" else "",
                    "certificate_number": f"沪(2020)浦东新区不动产权第{n:07d}号"
                    if kind == "real_estate"
                    else "",
                    "area": Decimal("88.50") if kind == "real_estate" else None,
                    "plate": f"沪A{n % 100000:05d}" if kind == "vehicle" else "",
                    "vin": "",
                    "bank": "基准银行" if kind == "deposit" else "",
                    "account_number": f"6222{n:012d}" if kind == "deposit" else "",
                    "frozen_amount": None,
                    "company": "",
                    "share_percent": None,
                    "counterparty": "",
                    "estimated_value": Decimal(rng.randrange(50_000, 5_000_000)) if n % 5 else None,
                    "valued_on": date(2025, 1, 1) if n % 5 else None,
                    "value_source": "appraisal" if n % 5 else "",
                    "collateral_id": None,
                    "notes": "",
                }
            )
        asset_ids = bulk_insert_values(Asset, asset_rows)

        # Spread the measures over the assets: each asset gets 0..7, ranked by registration.
        per_asset = [0] * assets
        for _ in range(measures):
            per_asset[rng.randrange(assets)] += 1
        measure_rows = []
        base = datetime(2023, 1, 1, 9, 0, tzinfo=UTC)
        for index, count in enumerate(per_asset):
            position = 0
            for m in range(count):
                registered = base + timedelta(days=rng.randrange(900), minutes=m)
                ended = rng.random() < 0.15 and not (index % 10 == 0 and m == 0)
                if not ended:
                    position += 1
                measured_on = registered.date()
                # Every portfolio, however small, has assets the filtered page shows.
                forced = index % 10 == 0 and m == 0
                measure_rows.append(
                    {
                        "asset_id": asset_ids[index],
                        "ours": forced or rng.random() < 0.3,
                        "applicant": f"债权人{rng.randrange(500)}",
                        "claim_amount": Decimal(rng.randrange(10_000, 2_000_000)),
                        "court": "基准法院",
                        "ruling_number": f"(2024)沪0115执保{index}-{m}号",
                        "kind": "seizure",
                        "stage": "in_suit",
                        "measured_on": measured_on,
                        "registered_at": registered,
                        "expires_on": TODAY + timedelta(days=10 if forced else rng.randrange(-20, 1000)),
                        "position": None if ended else position,
                        "status": rng.choice(["lifted", "lapsed"]) if ended else "active",
                        "ended_on": measured_on + timedelta(days=100) if ended else None,
                        "end_reason": "基准" if ended else "",
                        "converted_on": None,
                        "recorded_by_id": None,
                    }
                )
        bulk_insert_values(PreservationMeasure, measure_rows)
        interest_rows = [
            {
                "asset_id": asset_ids[n],
                "kind": "mortgage",
                "ours": n % 2 == 0,
                "creditor": "基准银行" if n % 2 == 0 else "他行",
                "loan_id": None,
                "secured_amount": Decimal("1000000.00"),
                "maximum_amount": False,
                "registered_on": date(2019, 1, 1) + timedelta(days=n % 1000),
                "registration_number": f"DJ{n}",
                "notes": "",
            }
            for n in range(0, assets, 3)
        ]
        bulk_insert_values(SecurityInterest, interest_rows)
    # What autovacuum would have done by the time anyone reads the listing: statistics, and the
    # visibility map that lets PostgreSQL answer from an index alone.
    with connection.cursor() as cursor:
        for table in ("recovery_case", "recovery_party", "assets_asset", "assets_preservationmeasure"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def measure_page(client, url: str) -> tuple[float, int, list[dict]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm caches (content types, permissions, templates)
    assert response.status_code == 200, response.status_code
    timings, counts, queries = [], [], []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
        queries = ctx.captured_queries
    return statistics.median(timings), max(counts), queries


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=50_000)
    parser.add_argument("--measures", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/recovery_desk_bench_assets"
    )
    args = parser.parse_args()

    prepare_database(args.database_url)
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    head = build_staff()
    client = Client()
    client.force_login(head)
    listing = reverse("wagtailsnippets_assets_asset:list")
    pages = {
        "first page, default order": listing,
        "we hold the first seizure, expiring within 30 days": listing + "?first_seizure=ours&expiring=true",
    }

    # The same pages over a 5-asset portfolio first: the query count to match.
    build_portfolio(assets=5, measures=20, seed=args.seed)
    small = {label: measure_page(client, url)[1] for label, url in pages.items()}
    clear_portfolio()

    started = time.perf_counter()
    build_portfolio(assets=args.assets, measures=args.measures, seed=args.seed)
    print(
        f"portfolio: {CASES:,} cases, {args.assets:,} assets, {args.measures:,} measures, "
        f"built in {time.perf_counter() - started:.1f} s"
    )

    failures = []
    for label, url in pages.items():
        median_ms, count, queries = measure_page(client, url)
        heaviest = max(queries, key=lambda q: float(q["time"]))
        print(
            f"\n{label} ({url}): median {median_ms:.1f} ms over {REPEAT} renders; {count} queries "
            f"(5-asset portfolio: {small[label]})"
        )
        print(f"heaviest query ({float(heaviest['time']) * 1000:.1f} ms):\n{heaviest['sql']}\n")
        print(explain(heaviest["sql"]))
        if median_ms > GOAL_MS:
            failures.append(f"{label}: {median_ms:.1f} ms > {GOAL_MS} ms")
        if count != small[label]:
            failures.append(f"{label}: {count} queries, but {small[label]} for 5 assets")
    print()
    for failure in failures:
        print("MISSED:", failure)
    print("all goals met" if not failures else "some goals missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
