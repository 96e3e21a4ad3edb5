"""Reads of write-offs and complete terminations: the loans a write-off may cover and their
balances, the rulings a cross-default write-off may rely on (呆账办法 arts 9–10), the evidence
checklist, and the listings in the user's scope."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from litigation.models import CompleteTermination, Enforcement, WriteOff, WriteOffGround
from recovery.models import Case, CaseParty, Loan, PartyRole
from recovery.selectors.access import cases_visible_to

BORROWER_ROLES = (PartyRole.BORROWER, PartyRole.CO_BORROWER)


def open_loans(case_id: int) -> QuerySet[Loan]:
    """The case's loans still on the books: neither written off nor completely terminated."""
    return Loan.objects.filter(
        case_id=case_id, written_off_on__isnull=True, terminated_on__isnull=True
    ).order_by("contract_no", "pk")


def write_off_loans(write_off: WriteOff) -> list[Loan]:
    """The loans the write-off covers: its loan, or every open loan of its case."""
    if write_off.loan_id:
        return [Loan.objects.get(pk=write_off.loan_id)]
    return list(open_loans(write_off.case_id))


@dataclass(frozen=True)
class Outstanding:
    principal: Decimal
    interest: Decimal  # interest and penalty interest

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


def loan_outstanding(loan: Loan) -> Outstanding:
    return Outstanding(loan.principal_outstanding, loan.interest_outstanding + loan.penalty_interest)


def loans_outstanding(loans: list[Loan]) -> Outstanding:
    balances = [loan_outstanding(loan) for loan in loans]
    return Outstanding(
        sum((b.principal for b in balances), Decimal("0")), sum((b.interest for b in balances), Decimal("0"))
    )


def borrower_other_cases(case_id: int) -> QuerySet[Case]:
    """The other cases of the case's debtor: where he is the debtor, or a borrower or co-borrower."""
    debtor_id = Case.objects.filter(pk=case_id).values_list("debtor_id", flat=True).first()
    as_borrower = CaseParty.objects.filter(party_id=debtor_id, role__in=BORROWER_ROLES).values("case_id")
    return Case.objects.filter(Q(debtor_id=debtor_id) | Q(pk__in=as_borrower)).exclude(pk=case_id)


def cross_default_rulings(*, case_id: int | None, user: Any = None) -> QuerySet[Enforcement]:
    """Arts 9–10: the enforcement rounds closed (终本) on the borrower's other debts, on the
    docket, that a write-off of this case may rely on; with `user`, only those they may see."""
    if case_id is None:
        return Enforcement.objects.none()
    rulings = Enforcement.objects.filter(
        lawsuit__case__in=borrower_other_cases(case_id).order_by().values("pk"), round_closed_on__isnull=False
    )
    if user is not None:
        rulings = rulings.filter(lawsuit__case__in=cases_visible_to(user).order_by().values("pk"))
    return rulings.select_related("lawsuit__case").order_by("-round_closed_on", "-pk")


def grounds_offered(*, case_id: int | None, user: Any = None) -> QuerySet[WriteOffGround]:
    """The active grounds a write-off of the case may rest on: the cross-default ground only
    when a ruling it can rely on is on the docket."""
    grounds = WriteOffGround.objects.filter(active=True)
    if not cross_default_rulings(case_id=case_id, user=user).exists():
        grounds = grounds.filter(cross_default=False)
    return grounds


@dataclass(frozen=True)
class EvidenceRow:
    item: str
    files: list[Any]

    @property
    def provided(self) -> bool:
        return bool(self.files)


def write_off_checklist(write_off: WriteOff) -> list[EvidenceRow]:
    """The ground's evidence items in order, each with the files uploaded for it."""
    files: dict[str, list[Any]] = {}
    for upload in write_off.evidence.order_by("uploaded_at", "pk"):
        files.setdefault(upload.item, []).append(upload)
    return [EvidenceRow(item, files.get(item, [])) for item in write_off.write_off_ground.evidence_list]


def write_offs_visible_to(user: Any) -> QuerySet[WriteOff]:
    return WriteOff.objects.filter(case__in=cases_visible_to(user).order_by().values("pk"))


def complete_terminations_visible_to(user: Any) -> QuerySet[CompleteTermination]:
    return CompleteTermination.objects.filter(case__in=cases_visible_to(user).order_by().values("pk"))
