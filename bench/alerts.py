"""Deadline alerts at a large bank: 10,000 digests composed and handed to an SMTP server.

    .venv/bin/python bench/alerts.py [--recipients 10000] [--cases-per-recipient 2] [--seed S] [--profile]

1. Builds a fresh database (`rd_bench_alerts`, dropped, recreated and migrated; override with
   --database-url) with N lawyers (default 10,000), each assigned K cases (default 2, one loan
   each, due on one of three days of January 2023, so that each case's limitation falls due
   a few days after the measured day), every deadline computed by the real recompute; one
   lawyer in ten reads English, the others Chinese. DEBUG is off.
2. Starts a local SMTP sink (aiosmtpd, its own process on a free 127.0.0.1 port; it records
   each message's envelope recipient and To header) and measures its intake: 10,000 small
   pre-built messages sent through smtplib over one connection — the floor.
3. Runs the real beat job the way the day goes: `alerts_hourly` at 07:00 plans and records
   every alert (nobody's digest hour), then `alerts_hourly` at 08:00 re-plans (nothing new)
   and hands every recipient to the delivery tasks, run in this process as one eager worker
   (recovery/tasks.py, recovery/services/alerts.py, Django's SMTP backend pointed at the sink).
   The 08:00 run is timed: mails per second.
4. Checks: the sink received exactly one digest per lawyer, to that lawyer (envelope and To),
   and every alert is marked sent, once.
Goal: >= 200 mails/s (also printed as a share of the floor). Exits 1 when a goal is missed.
"""

import argparse
import cProfile
import os
import pstats
import random
import smtplib
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from floors import goals_verdict  # noqa: E402

GOAL_MAILS_PER_SECOND = 200.0
# make-up loans fall due 2023-01-01..03: their limitations' act-by dates are 2025-12-31 and
# the first working days after it; on this day each is 3-7 days away (one threshold each).
TODAY = date(2025, 12, 27)


# --- the sink ----------------------------------------------------------------------------


def serve_sink(port: int, log_path: str) -> None:
    """The SMTP sink's process: accept every message, write `envelope recipients<TAB>To` per
    message to `log_path` before answering 250 (so a sender that got its 250 finds the line)."""
    from email.parser import BytesHeaderParser

    from aiosmtpd.controller import Controller

    log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    parser = BytesHeaderParser()

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            headers = parser.parsebytes(envelope.content)
            log.write(f"{','.join(envelope.rcpt_tos)}\t{headers['To']}\n")
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # until the benchmark closes our stdin
    finally:
        controller.stop()
        log.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(port: int, log_path: Path) -> subprocess.Popen:
    sink = subprocess.Popen(
        [sys.executable, __file__, "--serve-sink", str(port), str(log_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    return sink


def received(log_path: Path) -> list[tuple[str, str]]:
    lines = log_path.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t", 1)) for line in lines]  # type: ignore[misc]


def measure_floor(port: int, count: int) -> float:
    """The sink's own intake: `count` small pre-built messages over one smtplib connection."""
    messages = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = "floor@example.com"
        message["To"] = f"floor{n}@example.com"
        message["Subject"] = f"floor {n}"
        message.set_content("x")
        messages.append(message)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        started = time.perf_counter()
        for message in messages:
            smtp.send_message(message)
        elapsed = time.perf_counter() - started
    return count / elapsed


# --- the bank ----------------------------------------------------------------------------


def build_bank(*, recipients: int, cases_per_recipient: int, seed: int) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from recovery.models import AlertPreference, Branch, Case, CaseParty, Loan, Party, StaffProfile
    from recovery.services.deadlines import deadlines_recompute

    rng = random.Random(seed)
    user_model = get_user_model()
    branch = Branch.objects.create(name="基准分行")
    password = make_password(None)
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"lawyer{n}", email=f"lawyer{n}@example.com", password=password)
            for n in range(recipients)
        ],
        batch_size=2000,
    )
    StaffProfile.objects.bulk_create(
        [StaffProfile(user=user, role="lawyer", branch=branch) for user in users], batch_size=2000
    )
    AlertPreference.objects.bulk_create(
        [AlertPreference(user=user, language="en") for user in users[::10]], batch_size=2000
    )
    total = recipients * cases_per_recipient
    debtors = Party.objects.bulk_create(
        [Party(kind="person", name=f"债务人{n}", id_number=f"B{n:09d}") for n in range(total)],
        batch_size=2000,
    )
    cases = Case.objects.bulk_create(
        [
            Case(
                number=f"RD{n:010d}",
                debtor=debtor,
                branch=branch,
                assignee=users[n % recipients],
                opened_on=date(2024, 1, 2),
            )
            for n, debtor in enumerate(debtors)
        ],
        batch_size=2000,
    )
    CaseParty.objects.bulk_create(
        [CaseParty(case=case, party=case.debtor, role="borrower") for case in cases], batch_size=2000
    )
    Loan.objects.bulk_create(
        [
            Loan(
                case=case,
                contract_no=f"HT{n:09d}",
                amount=Decimal("100000.00"),
                principal_outstanding=Decimal("80000.00"),
                disbursed_on=date(2022, 1, 1),
                due_on=date(2023, 1, 1) + timedelta(days=rng.randrange(3)),
                handed_over_on=date(2023, 6, 1),
                branch=branch,
            )
            for n, case in enumerate(cases)
        ],
        batch_size=2000,
    )
    # Computed long before they fall due, as the nightly recompute would have.
    deadlines_recompute(today=TODAY - timedelta(days=200))


# --- the run -------------------------------------------------------------------------------


def check(log_path: Path, recipients: int) -> list[str]:
    from recovery.models import Alert, AlertStatus

    problems = []
    mails = received(log_path)
    if len(mails) != recipients:
        problems.append(f"the sink received {len(mails)} messages, expected {recipients}")
    wrong = [(envelope, to) for envelope, to in mails if envelope != to]
    if wrong:
        problems.append(f"{len(wrong)} messages' To differs from their envelope, e.g. {wrong[0]}")
    per_address = Counter(envelope for envelope, _to in mails)
    expected = {f"lawyer{n}@example.com" for n in range(recipients)}
    if set(per_address) != expected:
        problems.append(f"{len(expected - set(per_address))} lawyers got no digest")
    if twice := [address for address, count in per_address.items() if count > 1]:
        problems.append(f"{len(twice)} lawyers got more than one digest, e.g. {twice[0]}")
    statuses = Counter(Alert.objects.values_list("status", flat=True))
    if set(statuses) != {AlertStatus.SENT}:
        problems.append(f"alerts not all sent: {dict(statuses)}")
    if Alert.objects.exclude(attempts=1).exists() or Alert.objects.filter(sent_at=None).exists():
        problems.append("some alert's attempts != 1 or has no sent_at")
    per_user = Alert.objects.values("recipient_id").distinct().count()
    if per_user != recipients:
        problems.append(f"alerts went to {per_user} users, expected {recipients}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--cases-per-recipient", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/rd_bench_alerts")
    parser.add_argument("--profile", action="store_true", help="print where the 08:00 run spends its time")
    parser.add_argument("--serve-sink", nargs=2, metavar=("PORT", "LOG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sink:
        serve_sink(int(args.serve_sink[0]), args.serve_sink[1])
        return 0

    port = free_port()
    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    floor_log, run_log = log_dir / "alerts-floor.log", log_dir / "alerts-run.log"
    for log in (floor_log, run_log):
        log.unlink(missing_ok=True)

    # As in production: DEBUG off, mail over SMTP (to the sink), Celery tasks run by this
    # process (no broker: the tasks are eager, one worker).
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-alerts-not-secret")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("CELERY_RESULT_BACKEND", None)
    os.environ.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), EMAIL_USE_TLS="false")
    os.environ.update(EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="")
    from pg import fresh_database

    fresh_database(args.database_url)
    from django.db import connection

    from recovery.models import Alert
    from recovery.tasks import alerts_hourly

    started = time.perf_counter()
    build_bank(recipients=args.recipients, cases_per_recipient=args.cases_per_recipient, seed=args.seed)
    with connection.cursor() as cursor:
        for table in ("recovery_case", "recovery_deadline", "auth_user", "recovery_alertpreference"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"bank: {args.recipients:,} lawyers, {args.recipients * args.cases_per_recipient:,} cases, "
        f"built in {time.perf_counter() - started:.1f} s"
    )

    sink = start_sink(port, floor_log)
    try:
        floor = measure_floor(port, args.recipients)
        sink.stdin.close()
        sink.wait(timeout=30)
        floor_count = len(received(floor_log))
        print(
            f"floor: the sink took {floor_count:,} pre-built messages at {floor:.0f} mails/s (one connection)"
        )

        sink = start_sink(port, run_log)
        started = time.perf_counter()
        alerts_hourly(TODAY.isoformat(), 7)
        planning = time.perf_counter() - started
        alerts = Alert.objects.count()
        print(f"07:00 run: planned and recorded {alerts:,} alerts in {planning:.1f} s (nobody's hour)")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE recovery_alert")
        profile = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profile:
            profile.enable()
        handed = alerts_hourly(TODAY.isoformat(), 8)
        elapsed = time.perf_counter() - started
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    finally:
        if sink.stdin and not sink.stdin.closed:
            sink.stdin.close()
        sink.wait(timeout=30)

    rate = handed / elapsed
    print(
        f"08:00 run: {handed:,} recipients' digests composed and sent in {elapsed:.1f} s: {rate:.0f} mails/s"
    )
    print(
        f"ratio: {rate / floor:.2f} of the sink's intake ({floor:.0f} mails/s); "
        f"the goal {GOAL_MAILS_PER_SECOND:.0f} mails/s is {GOAL_MAILS_PER_SECOND / floor:.2f} of it"
    )
    failures = check(run_log, args.recipients)
    if floor_count != args.recipients:
        failures.append(f"floor: the sink recorded {floor_count} messages, expected {args.recipients}")
    if handed != args.recipients:
        failures.append(f"the job handed on {handed} recipients, expected {args.recipients}")
    if rate < GOAL_MAILS_PER_SECOND:
        failures.append(f"{rate:.0f} mails/s < {GOAL_MAILS_PER_SECOND:.0f} mails/s")
    print()
    return goals_verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
