"""The liability matrix of a case: per obligor and loan, what they owe or the cap, the article
it rests on, its deadlines, our expected recovery and the pursuit's status; the spouses'
assessments (CC 1064) and the estates' distribution (CC 1159–1163) it rests on.

Read in a fixed number of queries whatever the size of the case; the rules are pure
(recovery.liability). Other apps add what a mortgagor's collateral is expected to fetch
through the hook `recovery_liability_collateral` (claims, request) -> {claim id: (expected
Decimal or None, html)}."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Greatest, Least
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from wagtail import hooks

from recovery.deadlines.lapse import is_lapsed
from recovery.liability import claims as rules
from recovery.liability.coguarantors import CoGuarantor, co_guarantor_outcomes
from recovery.liability.estate import Debt, EstateFacts, EstateLiability, Recipient, estate_liability
from recovery.liability.spousal import SpousalAssessment, SpousalFacts, assess_spousal_debt
from recovery.models import (
    Case,
    ClaimStatus,
    CoGuarantorRecourse,
    DailyNeedsLimit,
    Deadline,
    DeadlineKind,
    Estate,
    FirstRecourseException,
    LiabilityClaim,
    Loan,
    LoanChange,
    LoanChangeKind,
    LoanParty,
    MarriageRecord,
    ObligorBasis,
    PartyRole,
)
from recovery.selectors.access import cases_visible_to

COLLATERAL_HOOK = "recovery_liability_collateral"
OUR_NAME = "我行"  # the claimant in the estate calculation: the bank itself
DEFAULT_DAILY_NEEDS_LIMIT = Decimal("50000.00")  # the contract's default (spousal-debt.md)
ZERO = Decimal("0.00")

_ESTATE_BASES = (
    ObligorBasis.STATUTORY_HEIR,
    ObligorBasis.TESTAMENTARY_HEIR,
    ObligorBasis.LEGATEE,
    ObligorBasis.ESTATE_ADMINISTRATOR,
)
_GUARANTOR_BASES = (ObligorBasis.GENERAL_GUARANTOR, ObligorBasis.JOINT_GUARANTOR)
_COLLATERAL_BASES = (ObligorBasis.MORTGAGOR, ObligorBasis.PLEDGOR)


@dataclass
class MatrixRow:
    claim: LiabilityClaim
    basis: rules.Basis
    owed: Decimal | None  # what the obligor can be asked for (the cap where the law sets one)
    principal: Decimal | None = None
    interest: Decimal | None = None
    penalty: Decimal | None = None
    cap_note: str = ""
    expected: Decimal | None = None
    expected_source: str = ""  # "collateral", "estate" or "estimate"
    collateral: SafeString = SafeString("")
    deadlines: list[Deadline] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    released: bool = False  # a guarantor whose guarantee period lapsed (CC 693)

    @property
    def next_statuses(self) -> list[tuple[str, Any]]:
        return [(value, label) for value, label in ClaimStatus.choices if value != self.claim.status]


@dataclass
class SpousalRow:
    marriage: MarriageRecord
    loan: Loan
    assessment: SpousalAssessment
    daily_needs_limit: Decimal
    pursued: bool


@dataclass
class EstateView:
    estate: Estate
    result: EstateLiability
    inventory_total: Decimal
    our_claim: Decimal
    names: dict[str, str]  # the calculation's recipient names (party ids) -> party names
    kinds: dict[str, str]  # the same -> the kind's label in the reader's language

    @property
    def recipient_rows(self) -> list[tuple[str, str, Decimal, Decimal]]:
        return [
            (self.names[entry.name], self.kinds[entry.name], entry.cap, entry.bears)
            for entry in self.result.recipients
        ]

    @property
    def write_off_candidate(self) -> Decimal:
        """What the estate cannot pay us: a write-off candidate (§8)."""
        return Decimal(self.result.claimant.shortfall)


@dataclass
class CaseLiability:
    rows: list[MatrixRow]
    spousal: list[SpousalRow]
    estates: list[EstateView]

    @property
    def expected_total(self) -> Decimal:
        return sum((row.expected for row in self.rows if row.expected is not None), ZERO)


def _loan_amounts(loan: Loan) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return (
        loan.principal_outstanding,
        loan.interest_outstanding,
        loan.penalty_interest,
        loan.total_outstanding,
    )


def _deadlines_by_obligation(deadlines: Iterable[Deadline]) -> dict[tuple[int | None, str], list[Deadline]]:
    """(party id, subject key) -> the deadlines against that party on that subject."""
    grouped: dict[tuple[int | None, str], list[Deadline]] = defaultdict(list)
    for deadline in deadlines:
        subject_key = deadline.key.split(":", 2)[2] if deadline.key.count(":") >= 2 else ""
        grouped[(deadline.party_id, subject_key)].append(deadline)
    return grouped


def daily_needs_limit_for(branch_id: int) -> Decimal:
    """The branch's daily-needs threshold, else the bank's default, else the contract's 50,000."""
    limits = dict(
        DailyNeedsLimit.objects.filter(Q(branch_id=branch_id) | Q(branch__isnull=True)).values_list(
            "branch_id", "amount"
        )
    )
    return limits.get(branch_id) or limits.get(None) or DEFAULT_DAILY_NEEDS_LIMIT


def case_liability(case: Case, request: Any = None) -> CaseLiability:
    loans = {loan.pk: loan for loan in Loan.objects.filter(case=case).order_by("due_on", "contract_no")}
    claims = list(
        LiabilityClaim.objects.filter(case=case)
        .select_related("party", "link")
        # The loans' obligors first, the estate's after them, on every database.
        .order_by(F("loan__due_on").asc(nulls_last=True), "loan__contract_no", "pk")
    )
    for claim in claims:
        if claim.loan_id:
            claim.loan = loans[claim.loan_id]
    deadlines = _deadlines_by_obligation(
        Deadline.objects.filter(case=case).only(
            "pk",
            "key",
            "kind",
            "party_id",
            "act_by",
            "status",
            "done",
            "done_note",
            "at_risk",
            "at_risk_note",
            "calendar_provisional",
            "lapse_decision",
            "case_id",
        )
    )
    changes = list(
        LoanChange.objects.filter(loan__case=case)
        .prefetch_related(Prefetch("consenting_guarantors", queryset=LoanParty.objects.only("pk")))
        .order_by("agreed_on", "pk")
    )
    exceptions: dict[int, list[FirstRecourseException]] = defaultdict(list)
    for exception in FirstRecourseException.objects.filter(link__loan__case=case).order_by("known_on", "pk"):
        exceptions[exception.link_id].append(exception)
    estates = _estates(case, loans)
    from_estate = {
        (view.estate.pk, int(name)): Decimal(amount)
        for view in estates
        for name, amount in ((entry.name, entry.amount) for entry in view.result.claimant.from_)
    }
    rows = [_row(claim, deadlines, changes, exceptions, from_estate, estates) for claim in claims]
    extra: dict[int, tuple[Decimal | None, str]] = {}
    collateral_claims = [row.claim for row in rows if row.claim.basis in _COLLATERAL_BASES]
    if collateral_claims:
        for contribute in hooks.get_hooks(COLLATERAL_HOOK):
            extra.update(contribute(collateral_claims, request))
    for row in rows:
        if row.claim.pk in extra:
            expected, html = extra[row.claim.pk]
            row.collateral = SafeString(html)
            outstanding = row.owed if row.owed is not None else ZERO
            row.owed = rules.collateral_exposure(outstanding, collateral_expected=expected)
            row.expected, row.expected_source = row.owed, "collateral"
    _co_guarantors(rows)
    spousal = _spousal_rows(case, loans, claims)
    return CaseLiability(rows=rows, spousal=spousal, estates=estates)


def _row(
    claim: LiabilityClaim,
    deadlines: dict[tuple[int | None, str], list[Deadline]],
    changes: list[LoanChange],
    exceptions: dict[int, list[FirstRecourseException]],
    from_estate: dict[tuple[int, int], Decimal],
    estates: list["EstateView"],
) -> MatrixRow:
    basis = rules.BASES[claim.basis]
    row = MatrixRow(claim=claim, basis=basis, owed=None)
    if claim.loan_id:
        loan = claim.loan
        row.principal, row.interest, row.penalty, row.owed = _loan_amounts(loan)
        row.deadlines = deadlines.get((claim.party_id, f"loan:{loan.contract_no}"), [])
        if claim.basis in _GUARANTOR_BASES:
            _guarantor(row, loan, changes, exceptions)
    elif claim.estate_id:
        view = next((view for view in estates if view.estate.pk == claim.estate_id), None)
        deceased = view.estate.deceased_id if view else None
        row.deadlines = [
            deadline
            for (party_id, _key), found in deadlines.items()
            if party_id == deceased
            for deadline in found
        ]
        if claim.basis == ObligorBasis.ESTATE_ADMINISTRATOR:
            row.notes.append(
                _("A demand on the estate administrator interrupts limitation (总则编解释第38条).")
            )
        else:
            row.owed = from_estate.get((claim.estate_id, claim.party_id), ZERO)
            row.expected, row.expected_source = row.owed, "estate"
    if claim.expected_recovery is not None and row.expected_source != "estate":
        row.expected, row.expected_source = claim.expected_recovery, "estimate"
    return row


def _guarantor(
    row: MatrixRow, loan: Loan, changes: list[LoanChange], exceptions: dict[int, list[FirstRecourseException]]
) -> None:
    link = row.claim.link
    unconsented = sum(
        (
            change.amount or ZERO
            for change in changes
            if change.loan_id == loan.pk
            and change.kind == LoanChangeKind.INCREASE
            and (link is None or link.pk not in {c.pk for c in change.consenting_guarantors.all()})
        ),
        ZERO,
    )
    max_amount = link.max_amount if link is not None else None
    row.owed = rules.guarantor_exposure(
        loan.total_outstanding, max_amount=max_amount, unconsented_increase=unconsented
    )
    if max_amount is not None:
        row.cap_note = _("Maximum-amount guarantee: up to %(amount)s yuan (民法典第690条).") % {
            "amount": max_amount
        }
    if unconsented:
        row.notes.append(
            _(
                "The %(amount)s yuan increase the guarantor did not consent to in writing is outside "
                "the guarantee (民法典第695条第1款)."
            )
            % {"amount": unconsented}
        )
    if row.claim.basis == ObligorBasis.GENERAL_GUARANTOR:
        found = exceptions.get(link.pk, []) if link is not None else []
        if found:
            labels = "、".join(str(exception) for exception in found)
            row.notes.append(
                _(
                    "The first-recourse defence is gone: %(exceptions)s (民法典第687条第2款). Claim "
                    "against the general guarantor directly; his own limitation runs from the day "
                    "we knew of it (担保解释第28条)."
                )
                % {"exceptions": labels}
            )
        else:
            row.notes.append(
                _(
                    "A general guarantor may refuse to pay until enforcement against the debtor's "
                    "property has failed (民法典第687条); a suit against him alone is dismissed "
                    "(担保解释第26条): sue the debtor with him."
                )
            )


def _co_guarantors(rows: list[MatrixRow]) -> None:
    """Where a loan has several guarantors: who was released by his lapsed guarantee period, and
    what the others' recourse against him takes off what we may ask them for (担保解释 13, 29)."""
    by_loan: dict[int, list[MatrixRow]] = defaultdict(list)
    for row in rows:
        if row.claim.loan_id and row.claim.basis in _GUARANTOR_BASES:
            by_loan[row.claim.loan_id].append(row)
    language = get_language() or "zh-hans"
    for guarantor_rows in by_loan.values():
        if len(guarantor_rows) < 2:
            continue
        names = [row.claim.party.name for row in guarantor_rows]
        facts = [
            _co_guarantor(row, name if names.count(name) == 1 else f"{name}（#{row.claim.party_id}）")
            for row, name in zip(guarantor_rows, names, strict=True)
        ]
        for row, outcome in zip(guarantor_rows, co_guarantor_outcomes(facts), strict=True):
            row.released = outcome.released
            row.owed = outcome.exposure
            row.notes.extend(step.for_reader(language) for step in outcome.steps)
            link = row.claim.link
            if outcome.released_with and link is not None and not link.co_guarantor_recourse:
                row.notes.append(
                    _(
                        "Whether the guarantors have recourse against one another is not recorded: "
                        "counted as recourse, the reading that asks him for less. Record it on the "
                        "party role if they signed separate contracts and agreed none."
                    )
                )


def _has_recourse(link: LoanParty | None) -> bool:
    """Whether the guarantor may recover from the loan's other guarantors (担保解释 13). Not
    recorded counts as recourse: the reading that asks the others for less."""
    return link is None or link.co_guarantor_recourse != CoGuarantorRecourse.NONE


def _co_guarantor(row: MatrixRow, name: str) -> CoGuarantor:
    lapsed = any(
        deadline.kind == DeadlineKind.GUARANTEE_PERIOD and deadline.lapsed for deadline in row.deadlines
    )
    return CoGuarantor(
        name=name,
        exposure=row.owed if row.owed is not None else ZERO,
        period_lapsed=lapsed,
        recourse=_has_recourse(row.claim.link),
    )


def _spousal_rows(case: Case, loans: dict[int, Loan], claims: list[LiabilityClaim]) -> list[SpousalRow]:
    marriages = list(
        MarriageRecord.objects.filter(case=case).select_related("party", "spouse").order_by("pk")
    )
    if not marriages:
        return []
    limit = daily_needs_limit_for(case.branch_id)
    owed_by: dict[int, list[tuple[Loan, date, Decimal]]] = defaultdict(list)
    for loan in loans.values():
        owed_by[case.debtor_id].append((loan, loan.disbursed_on, loan.amount))
    for claim in claims:
        if claim.loan_id and claim.basis in (ObligorBasis.CO_BORROWER, *_GUARANTOR_BASES):
            link = claim.link
            incurred = (
                link.signed_on if link is not None and link.signed_on else None
            ) or claim.loan.disbursed_on
            amount = claim.loan.amount
            if link is not None and link.max_amount is not None:
                amount = min(amount, link.max_amount)
            owed_by[claim.party_id].append((claim.loan, incurred, amount))
    pursued = {(claim.party_id, claim.loan_id) for claim in claims if claim.basis == ObligorBasis.SPOUSE}
    rows: list[SpousalRow] = []
    for marriage in marriages:
        for loan, incurred_on, amount in owed_by.get(marriage.party_id, []):
            assessment = assess_spousal_debt(
                spousal_facts(marriage, incurred_on=incurred_on, amount=amount, limit=limit)
            )
            rows.append(
                SpousalRow(
                    marriage=marriage,
                    loan=loan,
                    assessment=assessment,
                    daily_needs_limit=limit,
                    pursued=(marriage.spouse_id, loan.pk) in pursued,
                )
            )
    return rows


def spousal_facts(
    marriage: MarriageRecord, *, incurred_on: date, amount: Decimal, limit: Decimal
) -> SpousalFacts:
    return SpousalFacts(
        incurred_on=incurred_on,
        amount=amount,
        married_on=marriage.married_on,
        divorced_on=marriage.divorced_on,
        daily_needs_limit=limit,
        spouse_signed=marriage.spouse_signed,
        spouse_ratified=marriage.spouse_ratified,
        joint_intent_evidence=marriage.joint_intent_evidence,
        used_for_joint_living=marriage.used_for_joint_living,
        used_for_joint_business=marriage.used_for_joint_business,
        used_for_family_after_marriage=marriage.used_for_family_after_marriage,
        fictitious=marriage.fictitious,
        illegal_purpose=marriage.illegal_purpose,
        spouse_died_on=marriage.spouse_died_on,
    )


def _estates(case: Case, loans: dict[int, Loan]) -> list[EstateView]:
    estates = list(
        Estate.objects.filter(case=case)
        .select_related("deceased", "administrator")
        .prefetch_related("recipients__party", "items", "other_creditors")
        .order_by("died_on", "pk")
    )
    if not estates:
        return []
    owed = _owed_by_party(case, loans)
    views = []
    for estate in estates:
        our_claim = estate.our_claim if estate.our_claim is not None else owed.get(estate.deceased_id, ZERO)
        recipients = list(estate.recipients.all())
        facts = EstateFacts(
            claimant=OUR_NAME,
            taxes=estate.taxes,
            debts=(
                Debt(creditor=OUR_NAME, amount=our_claim),
                *(
                    Debt(creditor=other.creditor, amount=other.amount)
                    for other in estate.other_creditors.all()
                ),
            ),
            recipients=tuple(
                Recipient(
                    name=str(recipient.party_id),
                    kind=recipient.kind,
                    received=recipient.received,
                    protected=recipient.protected,
                    renounced=recipient.renounced,
                )
                for recipient in recipients
            ),
        )
        views.append(
            EstateView(
                estate=estate,
                result=estate_liability(facts),
                inventory_total=sum((item.value for item in estate.items.all()), ZERO),
                our_claim=our_claim,
                names={str(recipient.party_id): recipient.party.name for recipient in recipients},
                kinds={
                    str(recipient.party_id): str(recipient.get_kind_display()) for recipient in recipients
                },
            )
        )
    return views


def _owed_by_party(case: Case, loans: dict[int, Loan]) -> dict[int, Decimal]:
    """What each main debtor and guarantor of the case owes us on its loans (a guarantor: no
    more than his cap), for the estate of the one who died."""
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    owed[case.debtor_id] = sum((loan.total_outstanding for loan in loans.values()), ZERO)
    links = LoanParty.objects.filter(
        loan__case=case, case_party__role__in=(PartyRole.CO_BORROWER, PartyRole.GUARANTOR)
    ).values_list("case_party__party_id", "case_party__role", "loan_id", "max_amount")
    for party_id, role, loan_id, max_amount in links:
        total = loans[loan_id].total_outstanding
        if role == PartyRole.GUARANTOR and max_amount is not None:
            total = min(total, max_amount)
        owed[party_id] += total
    return dict(owed)


# --- the portfolio listing ------------------------------------------------------------------


def claims_visible_to(user: Any) -> Any:
    return LiabilityClaim.objects.filter(case__in=cases_visible_to(user).order_by().values("pk"))


def claim_listing(claims: Any) -> Any:
    """The portfolio's rows with what the listing shows and filters on, in SQL: what is owed
    on the loan (for a guarantor: no more than his maximum amount, without the increases he did
    not consent to, CC 690, 695), the act-by date of the obligor's guarantee period and of his
    next open deadline on the loan."""
    money = DecimalField(max_digits=18, decimal_places=2)
    loan_total = ExpressionWrapper(
        F("loan__principal_outstanding") + F("loan__interest_outstanding") + F("loan__penalty_interest"),
        output_field=money,
    )
    unconsented = Subquery(
        LoanChange.objects.filter(loan_id=OuterRef("loan_id"), kind=LoanChangeKind.INCREASE)
        .exclude(consenting_guarantors=OuterRef("link_id"))
        .order_by()
        .values("loan_id")
        .annotate(total=Sum("amount"))
        .values("total")[:1],
        output_field=money,
    )
    guarantor_owed = Greatest(
        loan_total - Coalesce(unconsented, Value(ZERO), output_field=money), Value(ZERO)
    )
    owed = models.Case(
        When(
            basis__in=_GUARANTOR_BASES,
            then=Least(guarantor_owed, Coalesce(F("link__max_amount"), guarantor_owed, output_field=money)),
        ),
        When(loan__isnull=False, then=loan_total),
        default=None,
        output_field=money,
    )
    subject = Concat(Value(":loan:"), F("loan__contract_no"))
    on_the_loan = Deadline.objects.filter(
        case_id=OuterRef("case_id"),
        party_id=OuterRef("party_id"),
        done=False,
        key__endswith=OuterRef("subject"),
    ).order_by("act_by", "pk")
    return claims.select_related("case", "party", "loan", "link", "case__branch").annotate(
        subject=subject,
        owed=owed,
        guarantee_period_act_by=Subquery(
            on_the_loan.filter(kind=DeadlineKind.GUARANTEE_PERIOD).values("act_by")[:1]
        ),
        next_act_by=Subquery(on_the_loan.exclude(act_by=None).values("act_by")[:1]),
    )


def co_guarantor_release_apply(claims: list[LiabilityClaim]) -> list[LiabilityClaim]:
    """Listing rows (from `claim_listing`) with their guarantors' `owed` as the matrix shows it:
    0 for one whose guarantee period lapsed, less his share for those with recourse against him
    (担保解释 13, 29); `released` marks the first. Two queries for any number of rows: the
    loans' guarantors with what they owe, and their lapsed guarantee periods."""
    for claim in claims:
        claim.released = False  # type: ignore[attr-defined]
    loan_ids = {claim.loan_id for claim in claims if claim.loan_id and claim.basis in _GUARANTOR_BASES}
    if not loan_ids:
        return claims
    guarantors = list(
        claim_listing(
            LiabilityClaim.objects.filter(loan_id__in=loan_ids, basis__in=_GUARANTOR_BASES)
        ).order_by("loan_id", "pk")
    )
    by_loan: dict[int, list[LiabilityClaim]] = defaultdict(list)
    for guarantor in guarantors:
        by_loan[guarantor.loan_id].append(guarantor)
    shared = {loan_id: rows for loan_id, rows in by_loan.items() if len(rows) > 1}
    if not shared:
        return claims
    today = timezone.localdate()
    lapsed = {
        (party_id, key.split(":", 2)[2])
        for party_id, key, act_by, done in Deadline.objects.filter(
            case_id__in={row.case_id for rows in shared.values() for row in rows},
            kind=DeadlineKind.GUARANTEE_PERIOD,
            done=False,
            act_by__lt=today,  # the lapse rule in SQL, to read only those; is_lapsed says it
        ).values_list("party_id", "key", "act_by", "done")
        if is_lapsed(act_by, done, today)
    }
    outcome_of: dict[int, tuple[bool, Decimal]] = {}
    for rows in shared.values():
        facts = [
            CoGuarantor(
                name=str(row.pk),
                exposure=row.owed if row.owed is not None else ZERO,
                period_lapsed=(row.party_id, f"loan:{row.loan.contract_no}") in lapsed,
                recourse=_has_recourse(row.link),
            )
            for row in rows
        ]
        for row, outcome in zip(rows, co_guarantor_outcomes(facts), strict=True):
            outcome_of[row.pk] = (outcome.released, outcome.exposure)
    for claim in claims:
        if claim.pk in outcome_of:
            claim.released, claim.owed = outcome_of[claim.pk]  # type: ignore[attr-defined]
    return claims
