"""Every write to lawsuits, hearings, judgments and enforcement goes through here: validated,
audited, in one transaction, and moving the lawsuit's and the case's stage forward
(在办 → 诉讼中 → 已判决 → 执行中 → 终本 / 结案). The case's stage is recovery's to move:
litigation asks `recovery.services.cases.case_stage_advance`, which never moves a case backwards."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from litigation.models import Enforcement, Hearing, Judgment, Lawsuit, Stage
from litigation.writeoff_services import (  # noqa: F401 - the approval services' dotted paths
    complete_termination_approve,
    write_off_approve,
)
from recovery.lib.audit import AuditKind, audit_action, audit_note
from recovery.models import CaseStatus
from recovery.services import RecoveryError
from recovery.services.cases import (
    case_stage_advance,
    record_create,
    record_delete,
    record_scope_check,
    record_update,
)

LAWSUIT_STAGE_ADVANCED = "litigation.lawsuit_stage_advance"

LAWSUIT_FILED = audit_action(
    "litigation.lawsuit.filed",
    kind=AuditKind.CREATED,
    label=gettext_lazy("File a suit"),
    past_label=gettext_lazy("Suit filed"),
)
LAWSUIT_UPDATED = audit_action(
    "litigation.lawsuit.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a suit"),
    past_label=gettext_lazy("Suit edited"),
)
LAWSUIT_DELETED = audit_action(
    "litigation.lawsuit.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a suit"),
    past_label=gettext_lazy("Suit deleted"),
)
HEARING_SCHEDULED = audit_action(
    "litigation.hearing.scheduled",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Schedule a hearing"),
    past_label=gettext_lazy("Hearing scheduled"),
)
HEARING_UPDATED = audit_action(
    "litigation.hearing.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a hearing"),
    past_label=gettext_lazy("Hearing edited"),
)
HEARING_DELETED = audit_action(
    "litigation.hearing.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a hearing"),
    past_label=gettext_lazy("Hearing deleted"),
)
JUDGMENT_RECORDED = audit_action(
    "litigation.judgment.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record a judgment"),
    past_label=gettext_lazy("Judgment recorded"),
)
JUDGMENT_UPDATED = audit_action(
    "litigation.judgment.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a judgment"),
    past_label=gettext_lazy("Judgment edited"),
)
JUDGMENT_DELETED = audit_action(
    "litigation.judgment.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a judgment"),
    past_label=gettext_lazy("Judgment deleted"),
)
ENFORCEMENT_OPENED = audit_action(
    "litigation.enforcement.opened",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Apply for enforcement"),
    past_label=gettext_lazy("Enforcement applied for"),
)
ENFORCEMENT_UPDATED = audit_action(
    "litigation.enforcement.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit an enforcement"),
    past_label=gettext_lazy("Enforcement edited"),
)
ENFORCEMENT_DELETED = audit_action(
    "litigation.enforcement.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete an enforcement"),
    past_label=gettext_lazy("Enforcement deleted"),
)

# A lawsuit's way, in order; a withdrawn suit is off it and is never moved by a later record.
LAWSUIT_STAGE_ORDER = [
    Stage.FILED,
    Stage.ACCEPTED,
    Stage.HEARING,
    Stage.JUDGMENT,
    Stage.APPEAL,
    Stage.EFFECTIVE,
    Stage.ENFORCEMENT,
    Stage.ROUND_CLOSED,
    Stage.CONCLUDED,
]


class LitigationError(RecoveryError):
    """A litigation rule refused the write; `field` names the input at fault."""


def lawsuit_stage_advance(*, lawsuit: Lawsuit, to: str, user: Any, reason: str) -> bool:
    """Move the lawsuit forward to `to`; audited. Never backwards, never out of a withdrawal:
    then nothing changes and False is returned."""
    stored = Lawsuit.objects.select_for_update().get(pk=lawsuit.pk)
    if stored.stage not in LAWSUIT_STAGE_ORDER:
        return False
    if LAWSUIT_STAGE_ORDER.index(stored.stage) >= LAWSUIT_STAGE_ORDER.index(to):
        return False
    Lawsuit.objects.filter(pk=stored.pk).update(stage=to)
    audit_note(
        stored,
        user=user,
        action=LAWSUIT_STAGE_ADVANCED,
        data={"changes": {"stage": [stored.stage, to]}, "reason": reason},
    )
    lawsuit.stage = to
    return True


def _advance(*, lawsuit: Lawsuit, stage: str, case_status: str, user: Any, reason: str) -> None:
    lawsuit_stage_advance(lawsuit=lawsuit, to=stage, user=user, reason=reason)
    case_stage_advance(case=lawsuit.case, to=case_status, user=user, reason=reason)


def _refuse_withdrawn(lawsuit: Lawsuit) -> None:
    if lawsuit is not None and lawsuit.stage == Stage.WITHDRAWN:
        raise LitigationError(
            _("This suit was withdrawn: record the judgment or enforcement on the suit it belongs to."),
            field="lawsuit",
        )


def _lawsuit_filed(lawsuit: Lawsuit, user: Any) -> None:
    reason = _("suit filed on %(d)s") % {"d": lawsuit.filed_on}
    stage = Stage.ACCEPTED if lawsuit.accepted_on else Stage.FILED
    _advance(lawsuit=lawsuit, stage=stage, case_status=CaseStatus.LITIGATION, user=user, reason=reason)


@transaction.atomic
def lawsuit_file(*, lawsuit: Lawsuit, user: Any, source: str = "") -> Lawsuit:
    """Record a suit filed: the case goes to litigation (诉讼中)."""
    record_create(instance=lawsuit, user=user, source=source, action=LAWSUIT_FILED)
    _lawsuit_filed(lawsuit, user)
    return lawsuit


@transaction.atomic
def lawsuit_update(*, lawsuit: Lawsuit, user: Any, source: str = "") -> dict:
    """Save an edited suit; its acceptance, once recorded, moves it on."""
    changes = record_update(instance=lawsuit, user=user, source=source, action=LAWSUIT_UPDATED)
    if lawsuit.stage != Stage.WITHDRAWN:
        _lawsuit_filed(lawsuit, user)
    return changes


@transaction.atomic
def hearing_schedule(*, hearing: Hearing, user: Any, source: str = "") -> Hearing:
    """Record a hearing of a suit (a date ahead is normal, one before the filing is not)."""
    record_create(instance=hearing, user=user, source=source, action=HEARING_SCHEDULED)
    reason = _("hearing on %(d)s") % {"d": hearing.date}
    lawsuit_stage_advance(lawsuit=hearing.lawsuit, to=Stage.HEARING, user=user, reason=reason)
    return hearing


@transaction.atomic
def hearing_update(*, hearing: Hearing, user: Any, source: str = "") -> dict:
    return record_update(instance=hearing, user=user, source=source, action=HEARING_UPDATED)


def _judgment_given(judgment: Judgment, user: Any) -> None:
    if judgment.effective_on:
        stage, reason = Stage.EFFECTIVE, _("judgment effective on %(d)s") % {"d": judgment.effective_on}
    else:
        stage, reason = Stage.JUDGMENT, _("judgment served on %(d)s") % {"d": judgment.served_on}
    _advance(lawsuit=judgment.lawsuit, stage=stage, case_status=CaseStatus.JUDGED, user=user, reason=reason)


@transaction.atomic
def judgment_record(*, judgment: Judgment, user: Any, source: str = "") -> Judgment:
    """Record a judgment, mediation statement or ruling: suit and case go to 已判决."""
    _refuse_withdrawn(judgment.lawsuit if judgment.lawsuit_id else None)
    record_create(instance=judgment, user=user, source=source, action=JUDGMENT_RECORDED)
    _judgment_given(judgment, user)
    return judgment


@transaction.atomic
def judgment_update(*, judgment: Judgment, user: Any, source: str = "") -> dict:
    """Save an edited judgment; its effective date, once recorded, moves the suit on."""
    changes = record_update(instance=judgment, user=user, source=source, action=JUDGMENT_UPDATED)
    if judgment.lawsuit.stage != Stage.WITHDRAWN:
        _judgment_given(judgment, user)
    return changes


def _enforcement_moved(enforcement: Enforcement, user: Any) -> None:
    if enforcement.concluded_on:
        stage, status = Stage.CONCLUDED, CaseStatus.CLOSED
        reason = _("enforcement concluded on %(d)s") % {"d": enforcement.concluded_on}
    elif enforcement.round_closed_on:
        stage, status = Stage.ROUND_CLOSED, CaseStatus.ROUND_CLOSED
        reason = _("enforcement round closed (终本) on %(d)s") % {"d": enforcement.round_closed_on}
    else:
        stage, status = Stage.ENFORCEMENT, CaseStatus.ENFORCEMENT
        reason = _("enforcement applied for on %(d)s") % {"d": enforcement.applied_on}
    lawsuit_stage_advance(lawsuit=enforcement.lawsuit, to=stage, user=user, reason=reason)
    case_stage_advance(
        case=enforcement.lawsuit.case, to=status, user=user, reason=reason, on=enforcement.concluded_on
    )


@transaction.atomic
def enforcement_open(*, enforcement: Enforcement, user: Any, source: str = "") -> Enforcement:
    """Record an application for enforcement: suit and case go to 执行中 (or on, when the
    round's closing or the conclusion is recorded with it)."""
    _refuse_withdrawn(enforcement.lawsuit if enforcement.lawsuit_id else None)
    record_create(instance=enforcement, user=user, source=source, action=ENFORCEMENT_OPENED)
    _enforcement_moved(enforcement, user)
    return enforcement


@transaction.atomic
def enforcement_update(*, enforcement: Enforcement, user: Any, source: str = "") -> dict:
    """Save an edited enforcement: a round closed (终本) or a conclusion moves the case on."""
    changes = record_update(instance=enforcement, user=user, source=source, action=ENFORCEMENT_UPDATED)
    if enforcement.lawsuit.stage != Stage.WITHDRAWN:
        _enforcement_moved(enforcement, user)
    return changes


# Deleting a record of the suit leaves the suit's and the case's stage as they are: a stage is
# only ever moved forward by a record, and set back by hand (case_stage_correct) with a reason.


@transaction.atomic
def lawsuit_delete(*, lawsuit: Lawsuit, user: Any, source: str = "") -> None:
    """Delete a suit recorded by mistake (with its hearings, judgments and enforcement)."""
    record_scope_check(instance=lawsuit, user=user)
    record_delete(instance=lawsuit, user=user, source=source, action=LAWSUIT_DELETED)


@transaction.atomic
def hearing_delete(*, hearing: Hearing, user: Any, source: str = "") -> None:
    """Delete a hearing (one cancelled or recorded by mistake)."""
    record_scope_check(instance=hearing, user=user)
    record_delete(instance=hearing, user=user, source=source, action=HEARING_DELETED)


@transaction.atomic
def judgment_delete(*, judgment: Judgment, user: Any, source: str = "") -> None:
    record_scope_check(instance=judgment, user=user)
    record_delete(instance=judgment, user=user, source=source, action=JUDGMENT_DELETED)


@transaction.atomic
def enforcement_delete(*, enforcement: Enforcement, user: Any, source: str = "") -> None:
    record_scope_check(instance=enforcement, user=user)
    record_delete(instance=enforcement, user=user, source=source, action=ENFORCEMENT_DELETED)
