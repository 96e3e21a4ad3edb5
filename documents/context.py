"""A case's document context: the names a template may use (document-templates.md, "Names
available"), read from the case's records in a fixed number of queries.

Masked values never reach a document, so building a context for a user needs the right to see
personal data (recovery.selectors.access.PERSONAL_DATA_PERMISSION) and the case in the user's
scope; the `render_document` command builds it as the system (`user=None`), with full data.

Not provided yet: `totals.interest_to_date` and `totals.claim_to_date` (interest computed up to
`as_of`) need the loans' rates, which loans do not record yet; a template that uses them is
refused as naming an unknown attribute when it is rendered.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone, translation

from assets.models import Asset, PreservationMeasure
from litigation.models import Enforcement, Judgment, Lawsuit
from recovery.models import Case, CaseParty, GuaranteeType, Loan, LoanParty, PartyKind, PartyRole
from recovery.selectors.access import can_view_personal_data, cases_visible_to

CENT = Decimal("0.01")
# The words a court document uses for each role and kind, whatever the user's language.
ROLE_WORDS = {
    PartyRole.BORROWER: "借款人",
    PartyRole.CO_BORROWER: "共同借款人",
    PartyRole.GUARANTOR: "保证人",
    PartyRole.MORTGAGOR: "抵押人",
    PartyRole.PLEDGOR: "出质人",
}
KIND_WORDS = {PartyKind.PERSON: "个人", PartyKind.COMPANY: "企业"}
GUARANTEE_WORDS = {GuaranteeType.GENERAL: "一般保证", GuaranteeType.JOINT: "连带责任保证"}
# The roles a document is directed against, in the order they are listed after the borrower.
DEFENDANT_ROLES = (PartyRole.CO_BORROWER, PartyRole.GUARANTOR, PartyRole.MORTGAGOR, PartyRole.PLEDGOR)


@dataclass(frozen=True)
class CaseInfo:
    number: str
    branch: str


@dataclass(frozen=True)
class Creditor:
    name: str
    address: str
    representative: str
    credit_code: str


@dataclass(frozen=True)
class Court:
    name: str


@dataclass(frozen=True)
class Defendant:
    name: str
    kind: str  # 个人 / 企业
    id_number: str
    phone: str
    address: str
    role: str  # 借款人, 共同借款人, 保证人, 抵押人, 出质人; several joined with 、
    guarantee_type: str  # 一般保证 / 连带责任保证, blank for other roles


@dataclass(frozen=True)
class LoanGuarantor:
    name: str
    guarantee_type: str


@dataclass(frozen=True)
class LoanLine:
    contract_no: str
    amount: Decimal
    principal_outstanding: Decimal
    interest_outstanding: Decimal
    penalty_interest: Decimal
    total: Decimal
    disbursed_on: date
    due_on: date
    guarantors: list[LoanGuarantor] = field(default_factory=list)
    collateral: str = ""  # the loan's security items as handed over, joined with ；


@dataclass(frozen=True)
class Totals:
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    claim: Decimal  # principal + interest + penalty as recorded


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


def _record(instance: models.Model | None) -> dict[str, Any] | None:
    """A record's own fields for a template: choices as their Chinese labels, money to the fen."""
    if instance is None:
        return None
    values: dict[str, Any] = {}
    with translation.override("zh-hans"):
        for model_field in instance._meta.concrete_fields:
            if model_field.is_relation or model_field.name in ("id", "created_at", "updated_at"):
                continue
            value = getattr(instance, model_field.attname)
            if model_field.choices and value not in (None, ""):
                value = str(getattr(instance, f"get_{model_field.name}_display")())
            elif isinstance(value, Decimal) and model_field.get_internal_type() == "DecimalField":
                value = _money(value) if model_field.decimal_places == 2 else value
            values[model_field.name] = value
    return values


def _guarantee_word(links: list[LoanParty]) -> str:
    kinds = sorted({link.guarantee_type or GuaranteeType.GENERAL for link in links})
    return "、".join(GUARANTEE_WORDS[GuaranteeType(kind)] for kind in kinds)


def _defendants(case: Case, roles: list[CaseParty], links: list[LoanParty]) -> list[Defendant]:
    debtor = case.debtor
    by_party: dict[int, list[CaseParty]] = {}
    for role in roles:
        if role.role in DEFENDANT_ROLES and role.party_id != debtor.pk:
            by_party.setdefault(role.party_id, []).append(role)
    order = {role: index for index, role in enumerate(DEFENDANT_ROLES)}
    people = [(debtor, [PartyRole.BORROWER])] + [
        (held[0].party, sorted((r.role for r in held), key=order.__getitem__))
        for held in sorted(by_party.values(), key=lambda held: (min(order[r.role] for r in held), held[0].id))
    ]
    guarantees: dict[int, list[LoanParty]] = {}
    for link in links:
        if link.case_party.role == PartyRole.GUARANTOR:
            guarantees.setdefault(link.case_party.party_id, []).append(link)
    return [
        Defendant(
            name=party.name,
            kind=KIND_WORDS.get(PartyKind(party.kind), ""),
            id_number=party.id_number,
            phone="、".join(party.phone_list),
            address=party.address,
            role="、".join(ROLE_WORDS[PartyRole(role)] for role in held),
            guarantee_type=_guarantee_word(guarantees[party.pk]) if party.pk in guarantees else "",
        )
        for party, held in people
    ]


def _loan_lines(loans: list[Loan], links: list[LoanParty]) -> list[LoanLine]:
    guarantors: dict[int, list[LoanGuarantor]] = {}
    for link in links:
        if link.case_party.role == PartyRole.GUARANTOR:
            guarantors.setdefault(link.loan_id, []).append(
                LoanGuarantor(name=link.case_party.party.name, guarantee_type=_guarantee_word([link]))
            )
    return [
        LoanLine(
            contract_no=loan.contract_no,
            amount=loan.amount.quantize(CENT),
            principal_outstanding=loan.principal_outstanding.quantize(CENT),
            interest_outstanding=loan.interest_outstanding.quantize(CENT),
            penalty_interest=loan.penalty_interest.quantize(CENT),
            total=loan.total_outstanding.quantize(CENT),
            disbursed_on=loan.disbursed_on,
            due_on=loan.due_on,
            guarantors=guarantors.get(loan.pk, []),
            collateral="；".join(item.description for item in loan.collateral_items.all()),
        )
        for loan in loans
    ]


def _totals(lines: list[LoanLine]) -> Totals:
    principal = sum((line.principal_outstanding for line in lines), Decimal("0.00"))
    interest = sum((line.interest_outstanding for line in lines), Decimal("0.00"))
    penalty = sum((line.penalty_interest for line in lines), Decimal("0.00"))
    return Totals(
        principal=principal, interest=interest, penalty=penalty, claim=principal + interest + penalty
    )


def _creditor(case: Case) -> Creditor:
    return Creditor(
        name=settings.CREDITOR_NAME or case.branch.name,
        address=settings.CREDITOR_ADDRESS,
        representative=settings.CREDITOR_REPRESENTATIVE,
        credit_code=settings.CREDITOR_CREDIT_CODE,
    )


def case_document_context(
    case_id: int, *, user: Any | None, as_of: date | None = None, court: str = ""
) -> dict[str, Any]:
    """The names a template may use for case `case_id`, read-only, in ten queries.

    `user=None` is the system (the command); a user needs the case in scope and the right to
    see personal data, else PermissionDenied. Loans completely terminated (off the docket) are
    left out of `loans` and `totals`. `assets` and `measures` are lists, latest first (all the
    case's assets and preservation measures: a renewal application lists each); `lawsuit`,
    `judgment` and `enforcement` are the latest one or None.
    """
    cases = Case.objects.all()
    if user is not None:
        if not can_view_personal_data(user):
            raise PermissionDenied("Rendering a document needs the right to see personal data.")
        cases = cases_visible_to(user)
    case = cases.select_related("branch", "debtor").get(pk=case_id)
    loans = list(
        Loan.objects.filter(case_id=case_id, terminated_on__isnull=True)
        .prefetch_related("collateral_items")
        .order_by("disbursed_on", "contract_no")
    )
    links = list(
        LoanParty.objects.filter(loan__case_id=case_id, loan__terminated_on__isnull=True)
        .select_related("case_party__party")
        .order_by("loan_id", "id")
    )
    roles = list(CaseParty.objects.filter(case_id=case_id).select_related("party").order_by("id"))
    lawsuit = Lawsuit.objects.filter(case_id=case_id).order_by("-filed_on", "-id").first()
    judgment = Judgment.objects.filter(lawsuit__case_id=case_id).order_by("-served_on", "-id").first()
    enforcement = Enforcement.objects.filter(lawsuit__case_id=case_id).order_by("-applied_on", "-id").first()
    assets = list(Asset.objects.filter(case_id=case_id).order_by("-created_at", "-id"))
    measures = list(
        PreservationMeasure.objects.filter(asset__case_id=case_id).order_by("-measured_on", "-id")
    )
    lines = _loan_lines(loans, links)
    defendants = _defendants(case, roles, links)
    today = timezone.localdate()
    return {
        "case": CaseInfo(number=case.number, branch=case.branch.name),
        "today": today,
        "as_of": as_of or today,
        "creditor": _creditor(case),
        "court": Court(name=court),
        "borrower": defendants[0],
        "defendants": defendants,
        "loans": lines,
        "totals": _totals(lines),
        "lawsuit": _record(lawsuit),
        "judgment": _record(judgment),
        "enforcement": _record(enforcement),
        "assets": [_record(asset) for asset in assets],
        "measures": [_record(measure) for measure in measures],
    }


def find_case_id(reference: str) -> int | None:
    """The case a case number (RD…) or one of its loans' contract numbers names."""
    reference = reference.strip()
    found = Case.objects.filter(number=reference).values_list("pk", flat=True).first()
    if found is None:
        found = Loan.objects.filter(contract_no=reference).values_list("case_id", flat=True).first()
    return found
