"""Floors the PostgreSQL benchmarks measure in the same run as their figure (issue #13).

Absolute seconds differ twofold between the machines here, so a benchmark states its goal as a
ratio: its figure against the cheapest way the same database could do the same work, measured
minutes apart on the same machine. What the floors share lives here:

* a statement run alone (`time_alone`): a page's heaviest query, a docket query's index range;
* the statements a service ran, recorded (`recorded_selects`) and run again (`replay_seconds`):
  the reads a recompute cannot avoid;
* every row a run wrote, copied with `COPY ... FROM STDIN` into identical, indexed tables
  (`table_marks`, `written_rows`, `copy_seconds`): the writes it cannot avoid;
* an admin page rendered through the real view with its queries captured (`measure_page`).

Django must be set up before any of these is called (they import it lazily, as the benchmarks do).
"""

import io
import os
import re
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

Marks = dict[str, tuple[int, int | None]]


def load_average() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def verdict(ratio: float, goal: float) -> str:
    return f"goal <= {goal:.1f} x  {'met' if ratio <= goal else 'MISSED'}"


def goals_verdict(failures: Sequence[str]) -> int:
    """Print each missed goal and the verdict; the exit status: 1 when a goal was missed."""
    for failure in failures:
        print("MISSED:", failure)
    print("all goals met" if not failures else "some goals missed")
    return 1 if failures else 0


def serve_plain_http(secret_key: str) -> None:
    """Settings for rendering pages as in production (DEBUG off) to the test client over plain
    http; call before Django is set up."""
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secret_key)
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["SESSION_COOKIE_SECURE"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"


# --- one statement alone -----------------------------------------------------------------


def time_alone(sql: str, params: Sequence[Any] | None = None, *, repeat: int = 7) -> float:
    """Seconds to run `sql` and fetch its rows, the median of `repeat` runs after a warm one."""
    from django.db import connection

    # A query run through a server-side cursor (`.iterator()`) is captured as its DECLARE.
    sql = re.sub(r'^DECLARE "[^"]+" NO SCROLL CURSOR WITH(OUT)? HOLD FOR ', "", sql)
    timings = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # warm
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall() if cursor.description else None
            timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def explain(sql: str, params: Sequence[Any] | None = None) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


# --- the reads a service made ----------------------------------------------------------------


@contextmanager
def recorded_selects(*, leaving_out: Sequence[str] = ()) -> Iterator[list[tuple[str, Any]]]:
    """Record (sql, params) of every SELECT run on the default connection inside the block,
    except those naming any of `leaving_out` and those that allocate ids for a COPY (a write's
    part, in its floor's COPY). A wrapper costs a function call per statement, nothing more."""
    from django.db import connection

    selects: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        text = sql.lstrip()
        if (
            text[:6].upper() == "SELECT"
            and "nextval(" not in text
            and "pg_get_serial_sequence" not in text
            and not any(name in text for name in leaving_out)
        ):
            selects.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield selects


def replay_seconds(selects: Sequence[tuple[str, Any]], *, repeat: int = 3) -> float:
    """Seconds to run these statements again one after another and fetch every row, the
    median of `repeat` runs."""
    from django.db import connection

    runs = []
    with connection.cursor() as cursor:
        for _run in range(repeat):
            started = time.perf_counter()
            for sql, params in selects:
                cursor.execute(sql, params)
                cursor.fetchall()
            runs.append(time.perf_counter() - started)
    return statistics.median(runs)


# --- the rows a run wrote ------------------------------------------------------------------------


def table_marks() -> Marks:
    """Each table of the public schema: (rows, largest id or None when it has no id)."""
    from django.db import connection

    marks: Marks = {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.table_name, bool_or(c.column_name = 'id')
            FROM information_schema.tables t
            JOIN information_schema.columns c USING (table_schema, table_name)
            WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
              AND t.table_name NOT LIKE 'bench\\_%'
            GROUP BY t.table_name
            """
        )
        tables = cursor.fetchall()
        for table, has_id in tables:
            largest = "max(id)" if has_id else "NULL"
            cursor.execute(f'SELECT count(*), {largest} FROM "{table}"')  # noqa: S608  table names from information_schema, no input
            count, top = cursor.fetchone()
            marks[table] = (count, top)
    return marks


def written_rows(before: Marks, after: Marks) -> dict[str, tuple[int, str]]:
    """The tables whose rows grew: table -> (rows added, the condition that selects them)."""
    written: dict[str, tuple[int, str]] = {}
    for table, (count, top) in after.items():
        count_before, top_before = before.get(table, (0, None))
        if count <= count_before:
            continue
        if top is not None:
            condition = f"id > {top_before or 0}"
        elif count_before == 0:
            condition = "true"
        else:  # no id to tell the new rows by: not in the floor (none such here)
            print(f"  note: {table} grew by {count - count_before} rows without an id; left out")
            continue
        written[table] = (count - count_before, condition)
    return written


def copy_seconds(written: dict[str, tuple[int, str]], *, repeat: int = 3) -> float:
    """COPY the rows a run wrote into identical, indexed tables; the seconds of the
    COPY ... FROM STDIN statements and their commit, the median of `repeat` runs."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    buffers: dict[str, bytes] = {}
    with raw.cursor() as cursor:
        for table, (_count, condition) in written.items():
            cursor.execute(f'DROP TABLE IF EXISTS "bench_{table}"')
            cursor.execute(f'CREATE TABLE "bench_{table}" (LIKE "{table}" INCLUDING ALL)')
            out = io.BytesIO()
            cursor.copy_expert(f'COPY (SELECT * FROM "{table}" WHERE {condition}) TO STDOUT', out)  # noqa: S608  table names and the condition are the bench's own
            buffers[table] = out.getvalue()
        raw.commit()
        runs = []
        for _run in range(repeat):
            for table in buffers:
                cursor.execute(f'TRUNCATE "bench_{table}"')
            raw.commit()
            started = time.perf_counter()
            for table, data in buffers.items():
                cursor.copy_expert(f'COPY "bench_{table}" FROM STDIN', io.BytesIO(data))
            raw.commit()
            runs.append(time.perf_counter() - started)
        for table in buffers:
            cursor.execute(f'DROP TABLE "bench_{table}"')
        raw.commit()
    return statistics.median(runs)


# --- an admin page ---------------------------------------------------------------------------


def render(client: Any, url: str, *, listing: bytes) -> tuple[float, list[dict]]:
    """Wall seconds of one GET of `url` and the queries it ran. The page must contain `listing`
    (a link every listed row has): an empty listing takes another path, with fewer queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    assert response.content.count(listing) > 0, url
    return elapsed, ctx.captured_queries


def measure_page(client: Any, url: str, *, listing: bytes, repeat: int = 7) -> tuple[float, list[dict]]:
    """The median wall seconds of `repeat` renders (after a warm one: content types,
    permissions, templates) and the queries of the last."""
    render(client, url, listing=listing)
    timings, queries = [], []
    for _ in range(repeat):
        elapsed, queries = render(client, url, listing=listing)
        timings.append(elapsed)
    return statistics.median(timings), queries


def heaviest_alone(queries: list[dict], *, repeat: int = 7) -> tuple[float, str]:
    """A page's floor: each of its queries run again alone; the slowest's seconds and SQL."""
    return max((time_alone(query["sql"], repeat=repeat), query["sql"]) for query in queries)
