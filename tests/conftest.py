import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from recovery.models import Branch, Case, CaseParty, CollectionAction, Loan, Party, PartyKind, PartyRole, Role
from recovery.services import case_open, staff_set_role
from recovery.validators import resident_id_with_check


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
