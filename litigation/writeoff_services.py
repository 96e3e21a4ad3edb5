"""Every write to write-offs (呆账核销) and complete terminations (完全终结), law.md §8: validated,
scoped to the user's cases, audited, in one transaction. The requests are Wagtail drafts a
lawyer prepares and managers approve (recovery.services.approvals); the approval services mark
the loans written off or terminated through recovery's loan services.

A write-off changes no deadline of the loans (账销案存, art. 14: limitation, guarantee periods
and seizure renewals keep running); only the art. 19 fault determination is added to the
docket when the loss is attributed to someone's fault."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from litigation.models import (
    CompleteTermination,
    CompleteTerminationEvidence,
    WriteOff,
    WriteOffEvidence,
    WriteOffGround,
)
from litigation.writeoff_rules import (
    MissingGroundDate,
    TerminationFacts,
    complete_termination_eligible_on,
    evidence_missing,
    split_pro_rata,
)
from litigation.writeoff_selectors import (
    cross_default_rulings,
    loans_outstanding,
    write_off_loans,
)
from recovery.lib.audit import (
    AuditKind,
    audit_action,
    audit_change,
    audit_create,
    audit_delete,
    audit_note,
    snapshot,
)
from recovery.models import Loan, Role
from recovery.selectors.access import cases_editable_by, role_of
from recovery.services import RecoveryError
from recovery.services.approvals import approval_mark_approved, approved_revision_publish
from recovery.services.cases import case_facts_changed
from recovery.services.receipts import loan_terminate, loan_write_off_mark

WRITE_OFF_REQUESTED = audit_action(
    "litigation.write_off.requested",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Request a write-off"),
    past_label=gettext_lazy("Write-off requested"),
)
WRITE_OFF_UPDATED = audit_action(
    "litigation.write_off.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a write-off request"),
    past_label=gettext_lazy("Write-off request edited"),
)
WRITE_OFF_DELETED = audit_action(
    "litigation.write_off.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a write-off request"),
    past_label=gettext_lazy("Write-off request deleted"),
)
WRITE_OFF_APPLIED = audit_action(
    "litigation.write_off.applied",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Write off loans"),
    past_label=gettext_lazy("Loans written off"),
)
WRITE_OFF_FAULT_DETERMINED = audit_action(
    "litigation.write_off.fault_determined",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Record the fault determination of a write-off"),
    past_label=gettext_lazy("Write-off fault determined"),
)
WRITE_OFF_EVIDENCE_UPLOADED = audit_action(
    "litigation.write_off_evidence.uploaded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Upload write-off evidence"),
    past_label=gettext_lazy("Write-off evidence uploaded"),
)
WRITE_OFF_EVIDENCE_UPDATED = audit_action(
    "litigation.write_off_evidence.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit write-off evidence"),
    past_label=gettext_lazy("Write-off evidence edited"),
)
WRITE_OFF_EVIDENCE_DELETED = audit_action(
    "litigation.write_off_evidence.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete write-off evidence"),
    past_label=gettext_lazy("Write-off evidence deleted"),
)
WRITE_OFF_GROUND_ADDED = audit_action(
    "litigation.write_off_ground.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Add a write-off ground"),
    past_label=gettext_lazy("Write-off ground added"),
)
WRITE_OFF_GROUND_UPDATED = audit_action(
    "litigation.write_off_ground.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a write-off ground"),
    past_label=gettext_lazy("Write-off ground edited"),
)
WRITE_OFF_GROUND_DELETED = audit_action(
    "litigation.write_off_ground.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a write-off ground"),
    past_label=gettext_lazy("Write-off ground deleted"),
)
COMPLETE_TERMINATION_REQUESTED = audit_action(
    "litigation.complete_termination.requested",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Request a complete termination"),
    past_label=gettext_lazy("Complete termination requested"),
)
COMPLETE_TERMINATION_UPDATED = audit_action(
    "litigation.complete_termination.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a complete termination request"),
    past_label=gettext_lazy("Complete termination request edited"),
)
COMPLETE_TERMINATION_DELETED = audit_action(
    "litigation.complete_termination.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a complete termination request"),
    past_label=gettext_lazy("Complete termination request deleted"),
)
COMPLETE_TERMINATION_APPLIED = audit_action(
    "litigation.complete_termination.applied",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Completely terminate a loan"),
    past_label=gettext_lazy("Loan completely terminated"),
)
COMPLETE_TERMINATION_EVIDENCE_UPLOADED = audit_action(
    "litigation.complete_termination_evidence.uploaded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Upload complete termination evidence"),
    past_label=gettext_lazy("Complete termination evidence uploaded"),
)
COMPLETE_TERMINATION_EVIDENCE_UPDATED = audit_action(
    "litigation.complete_termination_evidence.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit complete termination evidence"),
    past_label=gettext_lazy("Complete termination evidence edited"),
)
COMPLETE_TERMINATION_EVIDENCE_DELETED = audit_action(
    "litigation.complete_termination_evidence.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete complete termination evidence"),
    past_label=gettext_lazy("Complete termination evidence deleted"),
)


def _actor(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _case_scope_check(case_id: int | None, user: Any) -> None:
    """The request's case must be one the user may change (writes without a user are the system's)."""
    if case_id is None:
        raise RecoveryError(_("Choose the case."), field="case")
    if user is not None and not cases_editable_by(user).filter(pk=case_id).exists():
        raise RecoveryError(
            _("Select a valid choice: this one is not among the records you may use."), field="case"
        )


def _not_approved(model: type, pk: int | None) -> Any:
    """The stored request, refused once approved (an approved request is the books' record)."""
    if pk is None:
        return None
    stored = model.objects.select_for_update().get(pk=pk)
    if stored.approved_at is not None:
        raise RecoveryError(_("This request was approved and can no longer be changed."))
    return stored


def _parent_in_scope(model: type, pk: int | None, user: Any, field: str) -> Any:
    """The request an evidence file belongs to: one of the user's cases' and not yet approved;
    refused on `field` (the file's own field naming the request) otherwise."""
    try:
        _case_scope_check(model.objects.filter(pk=pk).values_list("case_id", flat=True).first(), user)
    except RecoveryError as refusal:
        raise RecoveryError(refusal.message, field=field) from None
    return _not_approved(model, pk)


def _full_clean(instance: Any) -> None:
    instance.full_clean()


# --- write-offs --------------------------------------------------------------------------------


def write_off_check(*, write_off: WriteOff, user: Any = None, evidence: bool = False) -> None:
    """The rules a write-off must meet, each refusal naming its field: the loan is the case's
    and still open, the amounts are within the outstanding balance (principal against principal,
    interest against interest and penalty interest; per loan, or summed over the case's open
    loans), the cross-default ground relies on a 终本 ruling of another debt on the docket and
    only that ground relies on one; with `evidence`, every evidence item of the ground has a
    file (on submission and approval: files are uploaded after the request is saved)."""
    _check_amounts(write_off)
    ground = WriteOffGround.objects.get(pk=write_off.write_off_ground_id)
    _check_cross_default(write_off, ground, user)
    if evidence and write_off.pk:
        provided = set(
            WriteOffEvidence.objects.filter(write_off_id=write_off.pk).values_list("item", flat=True)
        )
        missing = evidence_missing(ground.evidence_list, provided)
        if missing:
            raise RecoveryError(
                _("Evidence missing for this ground: %(items)s") % {"items": "；".join(missing)},
                field="evidence",
            )


def _check_amounts(write_off: WriteOff) -> None:
    if write_off.loan_id:
        loan = Loan.objects.filter(pk=write_off.loan_id).first()
        if loan is None or loan.case_id != write_off.case_id:
            raise RecoveryError(_("The loan must be one of the case's loans."), field="loan")
        if loan.terminated_on is not None or loan.written_off_on is not None:
            raise RecoveryError(_("This loan is written off already."), field="loan")
    loans = write_off_loans(write_off)
    if not loans:
        raise RecoveryError(_("The case has no loan left to write off."), field="loan")
    balance = loans_outstanding(loans)
    if write_off.principal > balance.principal:
        raise RecoveryError(
            _("The principal written off (%(a)s) is more than the principal outstanding (%(b)s).")
            % {"a": write_off.principal, "b": balance.principal},
            field="principal",
        )
    if write_off.interest > balance.interest:
        raise RecoveryError(
            _("The interest written off (%(a)s) is more than the interest and penalty outstanding (%(b)s).")
            % {"a": write_off.interest, "b": balance.interest},
            field="interest",
        )
    if write_off.principal + write_off.interest <= 0:
        raise RecoveryError(_("Write off an amount."), field="principal")


def _check_cross_default(write_off: WriteOff, ground: WriteOffGround, user: Any) -> None:
    """Arts 9–10: the cross-default ground only with a 终本 of another debt of the borrower on
    the docket (one the user may see), and no other ground with one."""
    if not ground.cross_default:
        if write_off.cross_default_enforcement_id:
            raise RecoveryError(
                _("Only the cross-default ground relies on another debt's ruling."),
                field="cross_default_enforcement",
            )
        return
    rulings = cross_default_rulings(case_id=write_off.case_id, user=user)
    if not rulings.exists():
        raise RecoveryError(
            _(
                "No other debt of this borrower has an enforcement round closed (终本) on the "
                "docket: this ground cannot be relied on."
            ),
            field="write_off_ground",
        )
    if not write_off.cross_default_enforcement_id:
        raise RecoveryError(
            _("Choose the ruling this write-off relies on."), field="cross_default_enforcement"
        )
    if not rulings.filter(pk=write_off.cross_default_enforcement_id).exists():
        raise RecoveryError(
            _("The ruling must be a 终本 of another debt of this borrower."),
            field="cross_default_enforcement",
        )


def _write_off_prepare(write_off: WriteOff, user: Any) -> None:
    _case_scope_check(write_off.case_id, user)
    write_off.total = (write_off.principal or Decimal("0")) + (write_off.interest or Decimal("0"))
    _full_clean(write_off)
    write_off_check(write_off=write_off, user=user)


@transaction.atomic
def write_off_create(*, write_off: WriteOff, user: Any, source: str = "") -> WriteOff:
    """Prepare a write-off request as a draft (a first revision), requested by the user."""
    stored_ground = WriteOffGround.objects.filter(pk=write_off.write_off_ground_id, active=True).exists()
    if write_off.write_off_ground_id and not stored_ground:
        raise RecoveryError(_("This ground is no longer in use."), field="write_off_ground")
    _write_off_prepare(write_off, user)
    write_off.requested_by = _actor(user)
    write_off.live = False
    write_off.save()
    write_off.save_revision(user=_actor(user), log_action=False)
    audit_create(write_off, user=user, source=source, action=WRITE_OFF_REQUESTED)
    return write_off


@transaction.atomic
def write_off_update(*, write_off: WriteOff, user: Any, source: str = "") -> dict:
    """Change a request not yet approved; a new revision is saved for the reviewers."""
    stored = _not_approved(WriteOff, write_off.pk)
    _case_scope_check(stored.case_id, user)
    if (
        write_off.write_off_ground_id != stored.write_off_ground_id
        and not WriteOffGround.objects.filter(pk=write_off.write_off_ground_id, active=True).exists()
    ):
        raise RecoveryError(_("This ground is no longer in use."), field="write_off_ground")
    before = snapshot(stored)
    _write_off_prepare(write_off, user)
    write_off.requested_by_id = stored.requested_by_id
    write_off.save()
    write_off.save_revision(user=_actor(user), log_action=False)
    return audit_change(write_off, user=user, before=before, source=source, action=WRITE_OFF_UPDATED)


@transaction.atomic
def write_off_delete(*, write_off: WriteOff, user: Any, source: str = "") -> None:
    stored = _not_approved(WriteOff, write_off.pk)
    _case_scope_check(stored.case_id, user)
    audit_delete(stored, user=user, source=source, action=WRITE_OFF_DELETED)
    names = [(upload.file.storage, upload.file.name) for upload in stored.evidence.all()]
    stored.delete()
    for storage, name in names:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))


def write_off_submit_check(*, write_off: WriteOff, user: Any = None) -> None:
    """Before the request goes to review: every rule, the evidence included."""
    write_off_check(write_off=write_off, user=user, evidence=True)


def write_off_split(write_off: WriteOff, loans: list[Loan]) -> list[tuple[Loan, Decimal, Decimal]]:
    """Each loan's share of a write-off: the loan's own amounts, or, over every open loan of the
    case, the principal in proportion to each loan's principal outstanding and the interest to
    its interest and penalty outstanding (litigation.writeoff_rules.split_pro_rata)."""
    if len(loans) == 1:
        return [(loans[0], write_off.principal, write_off.interest)]
    principals = split_pro_rata(write_off.principal, [loan.principal_outstanding for loan in loans])
    interests = split_pro_rata(
        write_off.interest, [loan.interest_outstanding + loan.penalty_interest for loan in loans]
    )
    return list(zip(loans, principals, interests, strict=True))


@transaction.atomic
def write_off_approve(*, write_off: WriteOff, revision: Any, user: Any) -> None:
    """The last approver approved: the rules are checked again on the revision under review,
    then it is published and marked approved, and its loans are written off on today's date
    (their deadlines keep running: 账销案存). A loss attributed to fault puts the art. 19
    determination on the docket."""
    if WriteOff.objects.filter(pk=write_off.pk, approved_at__isnull=False).exists():
        raise RecoveryError(_("This request was approved already."))
    write_off_check(write_off=write_off, evidence=True)
    loans = write_off_loans(write_off)
    approved_revision_publish(revision=revision, user=user)
    reference = approval_mark_approved(instance=write_off, user=user)
    today = timezone.localdate()
    shares = write_off_split(write_off, loans)
    for loan, principal, interest in shares:
        if principal == 0 and interest == 0:
            continue  # a share of nothing writes nothing off: that loan stays on the books
        loan_write_off_mark(
            loan=loan,
            written_off_on=today,
            principal=principal,
            interest=interest,
            reference=reference,
            user=user,
        )
    WriteOff.objects.filter(pk=write_off.pk).update(written_off_on=today)
    applied = WriteOff.objects.get(pk=write_off.pk)
    audit_note(
        applied,
        user=user,
        action=WRITE_OFF_APPLIED,
        data={
            "reference": reference,
            "written_off_on": today.isoformat(),
            "loans": [
                {"loan": loan.contract_no, "principal": str(principal), "interest": str(interest)}
                for loan, principal, interest in shares
            ],
        },
    )
    case_facts_changed(case_ids={write_off.case_id}, user=user)


@transaction.atomic
def write_off_fault_determine(
    *, write_off: WriteOff, determined_on: date, determination: str, user: Any, source: str = ""
) -> WriteOff:
    """Record the art. 19 determination of who is responsible for the loss; the docket's
    deadline is then done."""
    stored = WriteOff.objects.select_for_update().get(pk=write_off.pk)
    _case_scope_check(stored.case_id, user)
    if stored.written_off_on is None or not stored.fault_suspected:
        raise RecoveryError(
            _("Only an approved write-off with a loss attributed to fault needs a determination."),
            field="fault_determined_on",
        )
    if determined_on < stored.written_off_on or determined_on > timezone.localdate():
        raise RecoveryError(
            _("The determination falls between the write-off (%(d)s) and today.")
            % {"d": stored.written_off_on},
            field="fault_determined_on",
        )
    if not determination.strip():
        raise RecoveryError(_("Say what was determined."), field="fault_determination")
    before = snapshot(stored)
    stored.fault_determined_on = determined_on
    stored.fault_determination = determination.strip()
    WriteOff.objects.filter(pk=stored.pk).update(
        fault_determined_on=determined_on, fault_determination=stored.fault_determination
    )
    audit_change(stored, user=user, before=before, source=source, action=WRITE_OFF_FAULT_DETERMINED)
    case_facts_changed(case_ids={stored.case_id}, user=user)
    return stored


# --- evidence files ------------------------------------------------------------------------------


@transaction.atomic
def write_off_evidence_upload(*, upload: WriteOffEvidence, user: Any, source: str = "") -> WriteOffEvidence:
    """Store an evidence file for one of the ground's evidence items, while not yet approved."""
    stored = _parent_in_scope(WriteOff, upload.write_off_id, user, "write_off")
    if upload.item not in stored.write_off_ground.evidence_list:
        raise RecoveryError(_("Choose one of the ground's evidence items."), field="item")
    upload.uploaded_by = _actor(user)
    _full_clean(upload)
    upload.save()
    audit_create(upload, user=user, source=source, action=WRITE_OFF_EVIDENCE_UPLOADED, case_id=stored.case_id)
    return upload


def _evidence_update(upload: Any, parent: str, user: Any, source: str, action: str) -> dict:
    """Change which evidence item a file proves; the file and its request stay as uploaded."""
    stored = type(upload).objects.get(pk=upload.pk)
    request_model = WriteOff if parent == "write_off" else CompleteTermination
    _parent_in_scope(request_model, getattr(stored, f"{parent}_id"), user, parent)
    owner = _parent_in_scope(request_model, getattr(upload, f"{parent}_id"), user, parent)
    if (
        getattr(stored, f"{parent}_id") != getattr(upload, f"{parent}_id")
        or stored.file.name != upload.file.name
    ):
        raise RecoveryError(_("Upload a new file instead of replacing one."), field="file")
    if parent == "write_off" and upload.item not in owner.write_off_ground.evidence_list:
        raise RecoveryError(_("Choose one of the ground's evidence items."), field="item")
    before = snapshot(stored)
    upload.uploaded_by_id = stored.uploaded_by_id
    _full_clean(upload)
    upload.save()
    return audit_change(upload, user=user, before=before, source=source, action=action, case_id=owner.case_id)


@transaction.atomic
def write_off_evidence_update(*, upload: WriteOffEvidence, user: Any, source: str = "") -> dict:
    return _evidence_update(upload, "write_off", user, source, WRITE_OFF_EVIDENCE_UPDATED)


@transaction.atomic
def complete_termination_evidence_update(
    *, upload: CompleteTerminationEvidence, user: Any, source: str = ""
) -> dict:
    return _evidence_update(
        upload, "complete_termination", user, source, COMPLETE_TERMINATION_EVIDENCE_UPDATED
    )


@transaction.atomic
def write_off_evidence_delete(*, upload: WriteOffEvidence, user: Any, source: str = "") -> None:
    stored = _parent_in_scope(WriteOff, upload.write_off_id, user, "write_off")
    audit_delete(upload, user=user, source=source, action=WRITE_OFF_EVIDENCE_DELETED, case_id=stored.case_id)
    storage, name = upload.file.storage, upload.file.name
    upload.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def complete_termination_evidence_upload(
    *, upload: CompleteTerminationEvidence, user: Any, source: str = ""
) -> CompleteTerminationEvidence:
    stored = _parent_in_scope(
        CompleteTermination, upload.complete_termination_id, user, "complete_termination"
    )
    upload.uploaded_by = _actor(user)
    _full_clean(upload)
    upload.save()
    audit_create(
        upload,
        user=user,
        source=source,
        action=COMPLETE_TERMINATION_EVIDENCE_UPLOADED,
        case_id=stored.case_id,
    )
    return upload


@transaction.atomic
def complete_termination_evidence_delete(
    *, upload: CompleteTerminationEvidence, user: Any, source: str = ""
) -> None:
    stored = _parent_in_scope(
        CompleteTermination, upload.complete_termination_id, user, "complete_termination"
    )
    audit_delete(
        upload, user=user, source=source, action=COMPLETE_TERMINATION_EVIDENCE_DELETED, case_id=stored.case_id
    )
    storage, name = upload.file.storage, upload.file.name
    upload.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# --- grounds (reference data) -------------------------------------------------------------------


def _head_only(user: Any) -> None:
    if user is not None and role_of(user) != Role.HEAD:
        raise RecoveryError(_("Only the head of recovery changes the write-off grounds."))


@transaction.atomic
def write_off_ground_add(*, write_off_ground: WriteOffGround, user: Any, source: str = "") -> WriteOffGround:
    _head_only(user)
    _full_clean(write_off_ground)
    write_off_ground.save()
    audit_create(write_off_ground, user=user, source=source, action=WRITE_OFF_GROUND_ADDED)
    return write_off_ground


@transaction.atomic
def write_off_ground_update(*, write_off_ground: WriteOffGround, user: Any, source: str = "") -> dict:
    _head_only(user)
    before = snapshot(WriteOffGround.objects.get(pk=write_off_ground.pk))
    _full_clean(write_off_ground)
    write_off_ground.save()
    return audit_change(
        write_off_ground, user=user, before=before, source=source, action=WRITE_OFF_GROUND_UPDATED
    )


@transaction.atomic
def write_off_ground_delete(*, write_off_ground: WriteOffGround, user: Any, source: str = "") -> None:
    """A ground a request used is kept (deactivate it instead)."""
    _head_only(user)
    if write_off_ground.write_offs.exists():
        raise RecoveryError(
            _("Requests rest on this ground: deactivate it instead of deleting it."), field="active"
        )
    audit_delete(write_off_ground, user=user, source=source, action=WRITE_OFF_GROUND_DELETED)
    write_off_ground.delete()


# --- complete terminations ----------------------------------------------------------------------


def complete_termination_check(*, termination: CompleteTermination, today: date | None = None) -> None:
    """The rules a complete termination must meet, each refusal naming its field: the loan is
    the case's, written off and not yet terminated; a dated ground has its date, not in the
    future, and the eligible date (art. 16 (五), (七)) has come."""
    loan = Loan.objects.filter(pk=termination.loan_id).first()
    if loan is None or loan.case_id != termination.case_id:
        raise RecoveryError(_("The loan must be one of the case's loans."), field="loan")
    if loan.written_off_on is None:
        raise RecoveryError(_("Only a written-off loan can be completely terminated."), field="loan")
    if loan.terminated_on is not None:
        raise RecoveryError(_("This loan is completely terminated already."), field="loan")
    today = today or timezone.localdate()
    if termination.ground_date and termination.ground_date > today:
        raise RecoveryError(_("The ground date cannot be after today."), field="ground_date")
    try:
        eligible_on = complete_termination_eligible_on(
            termination.ground, facts=TerminationFacts(termination.ground_date)
        )
    except MissingGroundDate:
        raise RecoveryError(_("This ground runs from a date: give it."), field="ground_date") from None
    termination.eligible_on = eligible_on
    if eligible_on is not None and today < eligible_on:
        raise RecoveryError(
            _("This ground allows a complete termination from %(d)s only (呆账办法 art. 16).")
            % {"d": eligible_on},
            field="ground_date",
        )


@transaction.atomic
def complete_termination_create(
    *, complete_termination: CompleteTermination, user: Any, source: str = ""
) -> CompleteTermination:
    _case_scope_check(complete_termination.case_id, user)
    _full_clean(complete_termination)
    complete_termination_check(termination=complete_termination)
    complete_termination.requested_by = _actor(user)
    complete_termination.live = False
    complete_termination.save()
    complete_termination.save_revision(user=_actor(user), log_action=False)
    audit_create(complete_termination, user=user, source=source, action=COMPLETE_TERMINATION_REQUESTED)
    return complete_termination


@transaction.atomic
def complete_termination_update(
    *, complete_termination: CompleteTermination, user: Any, source: str = ""
) -> dict:
    stored = _not_approved(CompleteTermination, complete_termination.pk)
    _case_scope_check(stored.case_id, user)
    _case_scope_check(complete_termination.case_id, user)  # moved to another case: that one too
    before = snapshot(stored)
    _full_clean(complete_termination)
    complete_termination_check(termination=complete_termination)
    complete_termination.requested_by_id = stored.requested_by_id
    complete_termination.save()
    complete_termination.save_revision(user=_actor(user), log_action=False)
    return audit_change(
        complete_termination, user=user, before=before, source=source, action=COMPLETE_TERMINATION_UPDATED
    )


@transaction.atomic
def complete_termination_delete(
    *, complete_termination: CompleteTermination, user: Any, source: str = ""
) -> None:
    stored = _not_approved(CompleteTermination, complete_termination.pk)
    _case_scope_check(stored.case_id, user)
    audit_delete(stored, user=user, source=source, action=COMPLETE_TERMINATION_DELETED)
    names = [(upload.file.storage, upload.file.name) for upload in stored.evidence.all()]
    stored.delete()
    for storage, name in names:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))


@transaction.atomic
def complete_termination_approve(
    *, complete_termination: CompleteTermination, revision: Any, user: Any
) -> None:
    """The last approver approved: the loan must still be written off and the eligible date
    reached; then the request is published and marked approved and the loan terminated today
    (its deadlines stop; the case closes once all its loans are terminated)."""
    if CompleteTermination.objects.filter(pk=complete_termination.pk, approved_at__isnull=False).exists():
        raise RecoveryError(_("This request was approved already."))
    today = timezone.localdate()
    complete_termination_check(termination=complete_termination, today=today)
    approved_revision_publish(revision=revision, user=user)
    reference = approval_mark_approved(instance=complete_termination, user=user)
    loan = Loan.objects.get(pk=complete_termination.loan_id)
    loan_terminate(
        loan=loan,
        terminated_on=today,
        ground=complete_termination.get_ground_display(),
        reference=reference,
        user=user,
    )
    CompleteTermination.objects.filter(pk=complete_termination.pk).update(
        terminated_on=today, eligible_on=complete_termination.eligible_on
    )
    audit_note(
        CompleteTermination.objects.get(pk=complete_termination.pk),
        user=user,
        action=COMPLETE_TERMINATION_APPLIED,
        data={"reference": reference, "terminated_on": today.isoformat(), "loan": loan.contract_no},
    )
