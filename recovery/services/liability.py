"""The liability matrix's rows (`LiabilityClaim`): kept in step with the docket, moved by the
lawyer through the pursuit, audited.

One row per obligor and loan. The borrower's, co-borrowers', guarantors', mortgagors' and
pledgors' rows follow the loans and their links; heirs', legatees' and the administrator's
follow the estates; all of them are added and (while nobody has acted on them) removed by
`liability_claims_sync`, which listens to `case_facts_changed` like the deadlines do. A
spouse's row is the lawyer's decision (`spouse_claims_open`), never the sync's."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recovery.liability.claims import StatusMoveRefused, status_move_check
from recovery.lib.audit import AuditKind, audit_action, audit_change, audit_create, snapshot
from recovery.lib.bulk import bulk_insert_values, chunks
from recovery.models import (
    CaseParty,
    ClaimStatus,
    EstateRecipient,
    GuaranteeType,
    LiabilityClaim,
    Loan,
    LoanParty,
    MarriageRecord,
    ObligorBasis,
    PartyRole,
    RecipientKind,
)
from recovery.models.liability import Estate
from recovery.services import RecoveryError
from recovery.services.cases import record_scope_check, today
from recovery.services.loan_parties import CASE_PARTY_ADDED

CHUNK = 2000  # cases per round of reads and writes

CLAIM_MOVED = audit_action(
    "recovery.liability_claim.moved",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Move a liability claim to another status"),
    past_label=gettext_lazy("Liability claim moved"),
)
CLAIM_ESTIMATED = audit_action(
    "recovery.liability_claim.estimated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Estimate what an obligor will pay"),
    past_label=gettext_lazy("Expected recovery estimated"),
)
SPOUSE_CLAIM_OPENED = audit_action(
    "recovery.liability_claim.spouse_opened",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Pursue a borrower's spouse"),
    past_label=gettext_lazy("Spouse pursued"),
)

_LINK_BASIS = {
    PartyRole.CO_BORROWER: ObligorBasis.CO_BORROWER,
    PartyRole.MORTGAGOR: ObligorBasis.MORTGAGOR,
    PartyRole.PLEDGOR: ObligorBasis.PLEDGOR,
}
_RECIPIENT_BASIS = {
    RecipientKind.STATUTORY_HEIR: ObligorBasis.STATUTORY_HEIR,
    RecipientKind.TESTAMENTARY_HEIR: ObligorBasis.TESTAMENTARY_HEIR,
    RecipientKind.LEGATEE: ObligorBasis.LEGATEE,
}

# What a row the sync adds holds besides its keys: nobody has acted on it yet.
_NOT_YET_PURSUED = {
    "status": ClaimStatus.NOT_PURSUED,
    "status_on": None,
    "status_note": "",
    "expected_recovery": None,
}

# (case id, party id, loan id or None, basis) -> (link id, estate id)
ClaimKey = tuple[int, int, int | None, str]
ClaimSource = tuple[int | None, int | None]


def link_basis(role: str, guarantee_type: str) -> str | None:
    """The basis a party's link to a loan gives (None: the role owes nothing on the loan)."""
    if role == PartyRole.GUARANTOR:
        # CC 686: a guarantee whose type is not agreed is a general guarantee.
        joint = guarantee_type == GuaranteeType.JOINT
        return ObligorBasis.JOINT_GUARANTOR if joint else ObligorBasis.GENERAL_GUARANTOR
    return _LINK_BASIS.get(role)


def expected_claims(case_ids: Iterable[int]) -> dict[ClaimKey, ClaimSource]:
    """The rows the docket gives the cases: what the sync keeps (four queries)."""
    ids = list(case_ids)
    expected: dict[ClaimKey, ClaimSource] = {}
    debtor_of: dict[int, int] = {}
    # Unordered (`order_by()`): the models' default orders join the cases and loans to sort.
    loans = Loan.objects.filter(case_id__in=ids).order_by().values_list("pk", "case_id", "case__debtor_id")
    for loan_id, case_id, debtor_id in loans:
        debtor_of[case_id] = debtor_id
        expected[(case_id, debtor_id, loan_id, ObligorBasis.BORROWER)] = (None, None)
    links = (
        LoanParty.objects.filter(case_party__case_id__in=ids)
        .order_by()
        .values_list(
            "pk",
            "loan_id",
            "case_party__case_id",
            "case_party__party_id",
            "case_party__role",
            "guarantee_type",
        )
    )
    for link_id, loan_id, case_id, party_id, role, guarantee_type in links:
        basis = link_basis(role, guarantee_type)
        # The borrower mortgaging his own property owes the loan already: no second row.
        if basis is None or party_id == debtor_of.get(case_id):
            continue
        expected[(case_id, party_id, loan_id, basis)] = (link_id, None)
    recipients = (
        EstateRecipient.objects.filter(estate__case_id__in=ids, renounced=False)
        .order_by()
        .values_list("estate_id", "estate__case_id", "party_id", "kind")
    )
    for estate_id, case_id, party_id, kind in recipients:
        # CC 1161: an heir who renounced answers for nothing; those who accepted, up to what they got.
        expected[(case_id, party_id, None, _RECIPIENT_BASIS[kind])] = (None, estate_id)
    administrators = (
        Estate.objects.filter(case_id__in=ids, administrator__isnull=False)
        .order_by()
        .values_list("pk", "case_id", "administrator_id")
    )
    for estate_id, case_id, party_id in administrators:
        expected.setdefault((case_id, party_id, None, ObligorBasis.ESTATE_ADMINISTRATOR), (None, estate_id))
    return expected


@transaction.atomic
def liability_claims_sync(*, case_ids: Iterable[int]) -> tuple[int, int]:
    """Add the rows the docket now gives, remove the ones it no longer gives that nobody has
    acted on; a row someone moved stays (its history is the record of the pursuit). Returns
    (added, removed). Derived rows, like deadlines: not audited one by one."""
    added = removed = 0
    for chunk in chunks(sorted(set(case_ids)), CHUNK):
        expected = expected_claims(chunk)
        stored: dict[ClaimKey, tuple[int, str, date | None, int | None]] = {
            (case_id, party_id, loan_id, basis): (pk, status, status_on, link_id)
            for pk, case_id, party_id, loan_id, basis, status, status_on, link_id in (
                LiabilityClaim.objects.filter(case_id__in=chunk)
                .order_by()
                .values_list(
                    "pk", "case_id", "party_id", "loan_id", "basis", "status", "status_on", "link_id"
                )
            )
        }
        # Written with COPY: a first import adds a row per loan and guarantor, 100,000s of them.
        added += len(
            bulk_insert_values(
                LiabilityClaim,
                [
                    {
                        "case_id": key[0],
                        "party_id": key[1],
                        "loan_id": key[2],
                        "basis": key[3],
                        "link_id": link_id,
                        "estate_id": estate_id,
                        **_NOT_YET_PURSUED,
                    }
                    for key, (link_id, estate_id) in expected.items()
                    if key not in stored
                ],
            )
        )
        stale = [
            pk
            for key, (pk, status, status_on, _link) in stored.items()
            if key not in expected
            and key[3] != ObligorBasis.SPOUSE
            and status == ClaimStatus.NOT_PURSUED
            and status_on is None
        ]
        if stale:
            removed += LiabilityClaim.objects.filter(pk__in=stale).delete()[0]
        relinked = [
            (pk, expected[key][0])
            for key, (pk, _status, _on, link_id) in stored.items()
            if key in expected and expected[key][0] is not None and expected[key][0] != link_id
        ]
        for pk, link_id in relinked:
            LiabilityClaim.objects.filter(pk=pk).update(link_id=link_id)
    return added, removed


def liability_claims_on_facts_changed(*, case_ids: set[int], user: Any = None) -> None:
    """Listener for `case_facts_changed`: the matrix follows the docket in the same transaction."""
    liability_claims_sync(case_ids=case_ids)


@transaction.atomic
def liability_claim_move(
    *, claim: LiabilityClaim, status: str, user: Any, on: date | None = None, note: str = ""
) -> LiabilityClaim:
    """Move a claim along the pursuit (not pursued → demanded → sued → judgment → enforced) or
    to where it ended (settled, released, time-barred, uncollectable). Moving back or reopening
    needs a note saying why. Audited with the old and new status."""
    record_scope_check(instance=claim, user=user)
    stored = LiabilityClaim.objects.select_for_update().get(pk=claim.pk)
    on = on or today()
    if on > today():
        raise RecoveryError(_("The status cannot change after today."), field="status_on")
    if stored.status_on and on < stored.status_on:
        raise RecoveryError(
            _("The claim has been %(s)s since %(d)s: the new status cannot be earlier.")
            % {"s": stored.get_status_display(), "d": stored.status_on.isoformat()},
            field="status_on",
        )
    try:
        status_move_check(stored.status, status, note=note)
    except StatusMoveRefused as refused:
        raise RecoveryError(_status_refusal(stored.status, status), field="status") from refused
    before = snapshot(stored)
    stored.status, stored.status_on, stored.status_note = status, on, note.strip()[:300]
    stored.full_clean()
    stored.save(update_fields=["status", "status_on", "status_note", "updated_at"])
    audit_change(stored, user=user, before=before, action=CLAIM_MOVED, case_id=stored.case_id)
    return stored


def _status_refusal(current: str, target: str) -> str:
    if target not in ClaimStatus.values:
        return _("Unknown status: %(s)s") % {"s": target}
    if target == current:
        return _("The claim already has this status.")
    return _("Say why the claim moves back or is reopened (note).")


@transaction.atomic
def liability_claim_estimate(*, claim: LiabilityClaim, expected_recovery: Decimal | None, user: Any) -> dict:
    """Record our estimate of what the obligor will pay (None clears it)."""
    record_scope_check(instance=claim, user=user)
    stored = LiabilityClaim.objects.select_for_update().get(pk=claim.pk)
    before = snapshot(stored)
    stored.expected_recovery = expected_recovery
    stored.full_clean()
    stored.save(update_fields=["expected_recovery", "updated_at"])
    return audit_change(stored, user=user, before=before, action=CLAIM_ESTIMATED, case_id=stored.case_id)


def obligor_loans(marriage: MarriageRecord) -> list[Loan]:
    """The loans the married obligor owes or guarantees on the record's case."""
    case = marriage.case
    if marriage.party_id == case.debtor_id:
        return list(case.loans.order_by("due_on", "contract_no"))
    owed = LoanParty.objects.filter(
        case_party__case_id=case.pk,
        case_party__party_id=marriage.party_id,
        case_party__role__in=(PartyRole.CO_BORROWER, PartyRole.GUARANTOR),
    ).values("loan_id")
    return list(Loan.objects.filter(pk__in=owed).order_by("due_on", "contract_no"))


@transaction.atomic
def spouse_claims_open(
    *, marriage: MarriageRecord, loans: Iterable[Loan], classifications: dict[int, str], user: Any
) -> list[LiabilityClaim]:
    """Pursue the obligor's spouse for these loans: one claim per loan, refused for a loan on
    which the debt is the obligor's personal debt (CC 1064; `classifications` is the
    assessment per loan id, recovery.selectors.liability). The spouse joins the case."""
    record_scope_check(instance=marriage, user=user)
    if marriage.spouse_id is None:
        raise RecoveryError(_("Record who the spouse is first."), field="spouse")
    chosen = list(loans)
    if not chosen:
        raise RecoveryError(_("Pick the loans to pursue the spouse for."), field="loans")
    allowed = {loan.pk for loan in obligor_loans(marriage)}
    for loan in chosen:
        if loan.pk not in allowed:
            raise RecoveryError(
                _("Loan %(c)s is not one the obligor owes or guarantees on this case.") % {"c": loan},
                field="loans",
            )
        if classifications.get(loan.pk) == "personal":
            raise RecoveryError(
                _("On loan %(c)s the debt is the obligor's personal debt: the spouse is not liable.")
                % {"c": loan},
                field="loans",
            )
    spouse_role, joined = CaseParty.objects.get_or_create(
        case_id=marriage.case_id, party_id=marriage.spouse_id, role=PartyRole.SPOUSE
    )
    if joined:
        audit_create(spouse_role, user=user, action=CASE_PARTY_ADDED, case_id=marriage.case_id)
    opened: list[LiabilityClaim] = []
    existing = set(
        LiabilityClaim.objects.filter(
            case_id=marriage.case_id, party_id=marriage.spouse_id, basis=ObligorBasis.SPOUSE
        ).values_list("loan_id", flat=True)
    )
    for loan in chosen:
        if loan.pk in existing:
            continue
        claim = LiabilityClaim(
            case_id=marriage.case_id, party_id=marriage.spouse_id, loan=loan, basis=ObligorBasis.SPOUSE
        )
        claim.full_clean()
        claim.save()
        audit_create(claim, user=user, action=SPOUSE_CLAIM_OPENED, case_id=marriage.case_id)
        opened.append(claim)
    return opened
