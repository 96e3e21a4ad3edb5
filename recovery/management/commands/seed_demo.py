"""Load a small, realistic demo docket and demo accounts for each role.

Dates are relative to today, so deadlines and hearings fall inside the alert windows on the
day it is run. Safe to run again: existing demo records are kept, demo passwords are reset.
"""

import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from wagtail import hooks

from recovery.checks.identity import credit_code_with_check, resident_id_with_check
from recovery.models import (
    ActionKind,
    Branch,
    Case,
    CaseParty,
    CaseStatus,
    CoGuarantorRecourse,
    Collateral,
    CollectionAction,
    DefaultCause,
    Estate,
    EstateItem,
    EstateRecipient,
    GuaranteeType,
    Loan,
    MaritalStatus,
    MarriageRecord,
    Party,
    PartyKind,
    PartyRole,
    Role,
)
from recovery.services.cases import case_open, loan_record, party_add, record_create
from recovery.services.collection import collection_action_record
from recovery.services.estates import (
    estate_item_add,
    estate_recipient_add,
    estate_record,
    marriage_record_add,
)
from recovery.services.loan_parties import CASE_PARTY_ADDED, GuaranteeTerms, case_party_save
from recovery.services.staff import staff_set_role

# (user name, 姓 last name, 名 first name, role, branch): a person's name only; the role and
# branch are the StaffProfile's, shown from there.
DEMO_USERS = [
    ("head", "王", "建华", Role.HEAD, None),
    ("manager", "李", "静", Role.MANAGER, "上海分行"),
    ("lawyer", "张", "伟", Role.LAWYER, "上海分行"),
    ("lawyer2", "赵", "明", Role.LAWYER, "杭州分行"),
    ("auditor", "陈", "芳", Role.AUDITOR, None),
]

# (debtor name, kind, id first 17 chars, branch, assignee, cause, status, marital)
DEMO_CASES = [
    (
        "刘建国",
        PartyKind.PERSON,
        "31011519750312123",
        "上海分行",
        "lawyer",
        "able_unwilling",
        CaseStatus.LITIGATION,
        MaritalStatus.MARRIED,
    ),
    (
        "上海恒顺贸易有限公司",
        PartyKind.COMPANY,
        "91310115MA1H7X8B2",
        "上海分行",
        "lawyer",
        "business_stopped",
        CaseStatus.OPEN,
        MaritalStatus.UNKNOWN,
    ),
    (
        "陈晓梅",
        PartyKind.PERSON,
        "31010419820506204",
        "上海分行",
        "lawyer",
        "temporary_shortfall",
        CaseStatus.OPEN,
        MaritalStatus.DIVORCED,
    ),
    (
        "周大伟",
        PartyKind.PERSON,
        "33010619700101301",
        "杭州分行",
        "lawyer2",
        "disappeared",
        CaseStatus.OPEN,
        MaritalStatus.MARRIED,
    ),
    (
        "杭州明达机械制造有限公司",
        PartyKind.COMPANY,
        "91330106MA2CXY9Q1",
        "杭州分行",
        "lawyer2",
        "insolvent_many_creditors",
        CaseStatus.ENFORCEMENT,
        MaritalStatus.UNKNOWN,
    ),
]


def _demo_password(user: Any) -> str:
    """A random password the configured validators accept: a random string can, rarely, look
    too much like the user's name or e-mail address, so draw again until it passes."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            validate_password(password, user=user)
        except ValidationError:
            continue
        return password


class Command(BaseCommand):
    help = "Load demo data and demo accounts (one per role); prints the accounts and their passwords."

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        with transaction.atomic():
            branches = {name: Branch.objects.get_or_create(name=name)[0] for name in ("上海分行", "杭州分行")}
            accounts = self._users(branches)
            head = accounts["head"][0]
            for index, spec in enumerate(DEMO_CASES):
                self._case(index, spec, branches, accounts, head, today)
            self._urgent_cases(branches, accounts, head, today)
            self._liability_case(branches, accounts, head, today)
            for seed in hooks.get_hooks("recovery_seed_demo"):
                seed(today=today, user=head)
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded. Log in at http://127.0.0.1:8000/admin/ with:")
        )
        for username, (_user, password, role) in accounts.items():
            self.stdout.write(f"  {username:<9} {password}   ({Role(role).label})")

    def _urgent_cases(self, branches: dict, accounts: dict, head: Any, today: date) -> None:
        """Two cases whose deadlines fall due in the coming days, so that the alerts, the
        dashboard and `send_deadline_alerts` have something to say on the day of the demo:
        - 王小明: loans whose limitation ends in about 6 and 37 days; a letter never delivered
          (it does not interrupt, and the case page says why);
        - 苏州远航物流有限公司: a demand delivered but with no proof of delivery, so its
          limitation is at risk, and the date that holds without it is in about 20 days.
        """
        three_years_ago = _years_before(today, 3)
        specs = [
            ("王小明", PartyKind.PERSON, "31011519880808451", "上海分行", "lawyer", [6, 37], None),
            ("苏州远航物流有限公司", PartyKind.COMPANY, "91320505MA1N2P3Q4", "杭州分行", "lawyer2", [20], 30),
        ]
        for name, kind, id17, branch_name, assignee, days_left, unproven_after in specs:
            check = resident_id_with_check if kind == PartyKind.PERSON else credit_code_with_check
            id_number = check(id17)
            if Party.objects.filter(id_number=id_number).exists():
                continue
            debtor = party_add(
                party=Party(kind=kind, name=name, id_number=id_number, phones="13912345678"),
                user=head,
                source="demo",
            )
            case = _borrowers_case(
                debtor,
                branch=branches[branch_name],
                assignee=accounts[assignee][0],
                opened_on=today - timedelta(days=90),
                user=head,
            )
            for n, left in enumerate(days_left):
                due = three_years_ago + timedelta(days=left)
                loan_record(
                    loan=Loan(
                        case=case,
                        contract_no=f"DEMO-{today:%Y}-U{case.pk}-{n + 1}",
                        amount=Decimal("200000.00"),
                        principal_outstanding=Decimal("150000.00"),
                        disbursed_on=due - timedelta(days=365),
                        due_on=due,
                        security_types="credit",
                        handed_over_on=due + timedelta(days=60),
                        branch=branches[branch_name],
                    ),
                    user=head,
                    source="demo",
                )
            first_due = three_years_ago + timedelta(days=days_left[0])
            lawyer = accounts[assignee][0]
            if unproven_after is None:
                collection_action_record(
                    action=CollectionAction(
                        case=case,
                        kind=ActionKind.LETTER,
                        acted_on=first_due + timedelta(days=200),
                        addressed_to=debtor,
                        reached=False,
                        outcome="地址无人，邮件退回",
                    ),
                    user=lawyer,
                    source="demo",
                )
            else:
                delivered = first_due + timedelta(days=unproven_after)
                collection_action_record(
                    action=CollectionAction(
                        case=case,
                        kind=ActionKind.VISIT,
                        acted_on=delivered,
                        addressed_to=debtor,
                        reached=True,
                        delivered_on=delivered,
                        outcome="上门催收，财务经理口头确认收到（未签收）",
                    ),
                    user=lawyer,
                    source="demo",
                )

    def _liability_case(self, branches: dict, accounts: dict, head: Any, today: date) -> None:
        """A case whose liability matrix has something to say: 孙国强 died two months ago,
        leaving a house his son accepted and his daughter renounced (the estate cannot pay all
        of the loan: a write-off candidate); his wife never signed (the spouse assessment asks
        for evidence); of his two joint guarantors, who signed the same contract, only the
        first was demanded within the guarantee period: the second is released, and the first
        answers for half less (担保解释 13, 29)."""
        id_number = resident_id_with_check("31011019620415321")
        if Party.objects.filter(id_number=id_number).exists():
            return
        lawyer = accounts["lawyer"][0]

        def person(name: str, id17: str, by: Any = head, **fields: Any) -> Party:
            party = Party(kind=PartyKind.PERSON, name=name, id_number=resident_id_with_check(id17), **fields)
            return party_add(party=party, user=by, source="demo")

        debtor = person("孙国强", "31011019620415321", marital_status=MaritalStatus.MARRIED)
        shanghai = branches["上海分行"]
        opened_on = today - timedelta(days=300)
        case = _borrowers_case(debtor, branch=shanghai, assignee=lawyer, opened_on=opened_on, user=head)
        due = today - timedelta(days=400)
        loan = loan_record(
            loan=Loan(
                case=case,
                contract_no=f"DEMO-{today:%Y}-L-1",
                amount=Decimal("500000.00"),
                principal_outstanding=Decimal("460000.00"),
                interest_outstanding=Decimal("18000.00"),
                penalty_interest=Decimal("6000.00"),
                disbursed_on=due - timedelta(days=730),
                due_on=due,
                security_types="guarantee",
                handed_over_on=due + timedelta(days=60),
                branch=shanghai,
            ),
            user=head,
            source="demo",
        )
        guarantors = [person("孙担保甲", "31011019700101432"), person("孙担保乙", "31011019720202543")]
        for guarantor in guarantors:
            case_party_save(
                case_party=CaseParty(case=case, party=guarantor, role=PartyRole.GUARANTOR),
                loans=[loan],
                terms=GuaranteeTerms(
                    guarantee_type=GuaranteeType.JOINT,
                    signed_on=loan.disbursed_on,
                    co_guarantor_recourse=CoGuarantorRecourse.SAME_CONTRACT,
                ),
                user=head,
                source="demo",
            )
        collection_action_record(
            action=CollectionAction(
                case=case,
                kind=ActionKind.NOTICE,
                acted_on=due + timedelta(days=30),
                addressed_to=guarantors[0],
                reached=True,
                delivered_on=due + timedelta(days=32),
                tracking_number="EMS1099887766CN",
                signed_on=due + timedelta(days=32),
                outcome="保证人签收履行保证责任通知书",
            ),
            user=lawyer,
            source="demo",
        )
        estate = estate_record(
            estate=Estate(
                case=case,
                deceased=debtor,
                died_on=today - timedelta(days=60),
                distributed_on=today - timedelta(days=20),
            ),
            user=lawyer,
            source="demo",
        )
        house = Decimal("300000.00")
        estate_item_add(
            item=EstateItem(estate=estate, description="上海市示范路88号房产", value=house),
            user=lawyer,
            source="demo",
        )
        # The son accepted and received the house; the daughter renounced before the distribution.
        heirs = [
            ("孙小军", "31011019900303654", {"accepted_on": today - timedelta(days=30), "received": house}),
            ("孙小红", "31011019920404765", {"renounced": True, "renounced_on": today - timedelta(days=40)}),
        ]
        for name, id17, facts in heirs:
            estate_recipient_add(
                recipient=EstateRecipient(
                    estate=estate, party=person(name, id17, lawyer), kind="statutory_heir", **facts
                ),
                user=lawyer,
                source="demo",
            )
        marriage_record_add(
            marriage=MarriageRecord(
                case=case,
                party=debtor,
                spouse=person("钱丽", "31011019650505876", lawyer),
                married_on=date(1988, 10, 1),
                evidence_note="配偶未在借款合同上签字；借款用途待查",
            ),
            user=lawyer,
            source="demo",
        )

    def _users(self, branches: dict[str, Branch]) -> dict[str, tuple[Any, str, str]]:
        User = get_user_model()
        accounts = {}
        for username, last_name, first_name, role, branch_name in DEMO_USERS:
            user, _created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@recovery-desk.example"}
            )
            # Set on every run, like the password: earlier demos kept the role in the first name.
            user.first_name, user.last_name = first_name, last_name
            password = _demo_password(user)
            user.set_password(password)
            user.is_staff = False
            user.save()
            staff_set_role(user=user, role=role, branch=branches.get(branch_name) if branch_name else None)
            accounts[username] = (user, password, role)
        return accounts

    def _case(self, index: int, spec: tuple, branches: dict, accounts: dict, head: Any, today: date) -> None:
        name, kind, id17, branch_name, assignee, cause, status, marital = spec
        id_number = resident_id_with_check(id17) if kind == PartyKind.PERSON else credit_code_with_check(id17)
        if Party.objects.filter(id_number=id_number).exists():
            return
        debtor = party_add(
            party=Party(
                kind=kind,
                name=name,
                id_number=id_number,
                phones=f"13{index + 1}{index:02d}88{index}{index + 2}{index + 4}6{index}",
                address=f"{branch_name[:2]}市示范路{100 + index}号",
                marital_status=marital,
                legal_representative="王某" if kind == PartyKind.COMPANY else "",
            ),
            user=head,
            source="demo",
        )
        case = case_open(
            case=Case(
                debtor=debtor,
                branch=branches[branch_name],
                assignee=accounts[assignee][0],
                status=status,
                default_cause=DefaultCause.objects.filter(code=cause).first(),
                opened_on=today - timedelta(days=200 + index * 30),
            ),
            user=head,
            source="demo",
        )
        # Loans fell due between ~2 years 9 months and ~1 year ago: limitation is running.
        due = today - timedelta(days=1000 - index * 120)
        for n in range(2 if index % 2 == 0 else 1):
            amount = Decimal(300000 + index * 150000 + n * 50000)
            loan_record(
                loan=Loan(
                    case=case,
                    contract_no=f"DEMO-{today:%Y}-{index + 1:03d}-{n + 1}",
                    amount=amount,
                    principal_outstanding=(amount * Decimal("0.82")).quantize(Decimal("0.01")),
                    interest_outstanding=Decimal(12000 + 1000 * index),
                    penalty_interest=Decimal(3500 + 500 * index),
                    disbursed_on=due - timedelta(days=365 * 2),
                    due_on=due + timedelta(days=31 * n),
                    last_payment_on=due - timedelta(days=40),
                    security_types="guarantee,mortgage" if index % 2 == 0 else "guarantee",
                    handed_over_on=due + timedelta(days=95),
                    branch=branches[branch_name],
                ),
                user=head,
                source="demo",
            )
        guarantor = party_add(
            party=Party(
                kind=PartyKind.PERSON,
                name=f"{name[0]}担保{index + 1}",
                id_number=resident_id_with_check(f"310101196801{index + 1:02d}123"),
                phones=f"1390000{index:04d}",
            ),
            user=head,
            source="demo",
        )
        # The guarantor signed for the case's first loan only: the second (where there is one)
        # is secured by the mortgage alone, so no guarantee period runs for it.
        first_loan = case.loans.order_by("due_on", "contract_no").first()
        case_party_save(
            case_party=CaseParty(case=case, party=guarantor, role=PartyRole.GUARANTOR),
            loans=[first_loan],
            terms=GuaranteeTerms(
                guarantee_type=GuaranteeType.JOINT if index % 2 == 0 else GuaranteeType.GENERAL,
                guarantee_months=24 if index % 2 == 0 else None,
                signed_on=first_loan.disbursed_on,
            ),
            user=head,
            source="demo",
        )
        if index % 2 == 0:
            # The hand-over file's collateral of the mortgage-secured loans (抵押物).
            for loan in case.loans.all():
                record_create(
                    instance=Collateral(
                        case=case, loan=loan, description=f"{name[0]}名下房产（{loan.contract_no}）"
                    ),
                    user=head,
                    source="demo",
                )
        record_create(
            instance=CaseParty(case=case, party=debtor, role=PartyRole.BORROWER),
            user=head,
            source="demo",
            action=CASE_PARTY_ADDED,
        )
        lawyer = accounts[assignee][0]
        collection_action_record(
            action=CollectionAction(
                case=case,
                kind=ActionKind.NOTICE,
                acted_on=due + timedelta(days=120),
                addressed_to=debtor,
                reached=True,
                delivered_on=due + timedelta(days=124),
                tracking_number=f"EMS10{index}2345678CN",
                signed_on=due + timedelta(days=124),
                outcome="债务人签收催收通知书",
            ),
            user=lawyer,
            source="demo",
        )
        collection_action_record(
            action=CollectionAction(
                case=case,
                kind=ActionKind.CALL,
                acted_on=today - timedelta(days=10 + index),
                addressed_to=debtor,
                reached=index != 3,
                delivered_on=(today - timedelta(days=10 + index)) if index != 3 else None,
                outcome="电话无人接听" if index == 3 else "债务人称下月筹款",
            ),
            user=lawyer,
            source="demo",
        )


def _borrowers_case(debtor: Party, *, branch: Branch, assignee: Any, opened_on: date, user: Any) -> Case:
    """A case opened against `debtor` as its borrower, for a debtor able but unwilling to pay."""
    case = case_open(
        case=Case(
            debtor=debtor,
            branch=branch,
            assignee=assignee,
            default_cause=DefaultCause.objects.filter(code="able_unwilling").first(),
            opened_on=opened_on,
        ),
        user=user,
        source="demo",
    )
    record_create(
        instance=CaseParty(case=case, party=debtor, role=PartyRole.BORROWER),
        user=user,
        source="demo",
        action=CASE_PARTY_ADDED,
    )
    return case


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
