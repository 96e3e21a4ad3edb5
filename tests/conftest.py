import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from recovery.checks.identity import resident_id_with_check
from recovery.models import Branch, Case, CaseParty, CollectionAction, Loan, Party, PartyKind, PartyRole, Role
from recovery.services.cases import case_open
from recovery.services.staff import staff_set_role


@pytest.fixture(scope="session", autouse=True)
def _require_postgres(django_db_setup, django_db_blocker):
    """CI sets REQUIRE_POSTGRES: the suite must fail rather than quietly run on SQLite."""
    if os.environ.get("REQUIRE_POSTGRES"):
        from django.db import connection

        assert connection.vendor == "postgresql", (
            f"REQUIRE_POSTGRES is set but the database is {connection.vendor}"
        )


@pytest.fixture
def branches(db):
    return {name: Branch.objects.create(name=name) for name in ("上海分行", "杭州分行")}


@pytest.fixture
def make_user(db, branches):
    def make(username: str, role: str, branch: str | None = "上海分行"):
        user = get_user_model().objects.create_user(
            username=username, password="pw-" + username, email=f"{username}@example.com"
        )
        staff_set_role(user=user, role=role, branch=branches[branch] if branch else None)
        return user

    return make


@pytest.fixture
def staff(make_user):
    """One user per role: two lawyers and a manager in Shanghai, a manager in Hangzhou."""
    return {
        "lawyer": make_user("lawyer", Role.LAWYER),
        "other_lawyer": make_user("other_lawyer", Role.LAWYER),
        "manager": make_user("manager", Role.MANAGER),
        "other_manager": make_user("other_manager", Role.MANAGER, "杭州分行"),
        "head": make_user("head", Role.HEAD, None),
        "auditor": make_user("auditor", Role.AUDITOR, None),
    }


_person_counter = iter(range(1, 10_000_000))


@pytest.fixture
def make_case(db, branches):
    def make(*, assignee=None, branch: str = "上海分行", loans: int = 1, name: str | None = None, user=None):
        n = next(_person_counter)
        debtor = Party.objects.create(
            kind=PartyKind.PERSON,
            name=name or f"债务人{n}",
            id_number=resident_id_with_check(f"3101151980{(n // 1000) % 12 + 1:02d}01{n % 1000:03d}"),
            phones="13812345678",
        )
        case = case_open(
            case=Case(debtor=debtor, branch=branches[branch], assignee=assignee, opened_on=date(2024, 1, 2)),
            user=user,
        )
        for i in range(loans):
            Loan.objects.create(
                case=case,
                contract_no=f"C-{n}-{i}",
                amount=Decimal("100000.00"),
                principal_outstanding=Decimal("80000.00"),
                disbursed_on=date(2022, 1, 1),
                due_on=date(2023, 1, 1) + timedelta(days=i),
                handed_over_on=date(2023, 6, 1),
                branch=branches[branch],
            )
        CaseParty.objects.create(case=case, party=debtor, role=PartyRole.BORROWER)
        return case

    return make


@pytest.fixture
def make_action(db):
    def make(case, **fields):
        values = {"kind": "notice", "acted_on": date(2024, 3, 1)} | fields
        return CollectionAction.objects.create(case=case, **values)

    return make


class _SmtpSink:
    """A real SMTP server on a loopback port (aiosmtpd) that keeps what it accepts, and can be
    told to refuse the next N messages (451, "try again later") to test retries."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse_next = 0
        self.peers: list = []  # the client's address of each message: one per connection

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.peers.append(session.peer)
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    """Mail goes over real SMTP to a server in this process; yields the sink (`.messages`)."""
    from aiosmtpd.controller import Controller

    sink = _SmtpSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    sink.controller = controller
    sink.port = port
    try:
        yield sink
    finally:
        # A test may have stopped it (server down) and started a new one on the same port.
        if sink.controller._thread is not None:
            sink.controller.stop()


def redis_broker_url() -> str | None:
    """The Redis broker the Celery tests use, or None when Redis is not reachable (fails
    instead under REQUIRE_REDIS, as in CI)."""
    import redis

    url = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"REQUIRE_REDIS is set but Redis at {url} is unreachable", pytrace=False)
        return None
    return url
