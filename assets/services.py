"""Every write to assets, security interests and preservation measures: validated, audited and
in one transaction; plus the ranking of measures on an asset and its waterfall.

Ranking (law.md §4.4): the active measures of one asset hold positions 1, 2, … by registration
time (ties by id): 1 is the first seizure (首封), the rest wait (轮候). Every service that can move
a position locks the asset row first, so two lawyers recording at the same moment are serialised
and always leave positions gap-free. When the first seizure ends, the next one takes effect
automatically (查扣冻规定 26); if it is ours, the conversion date is recorded and the case's
lawyer is mailed once the transaction has committed.

Every write tells `case_facts_changed`, so the case's deadlines (renewals, expiries, competitors'
first seizures; assets.deadlines) are recomputed in the same transaction.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assets.models import (
    Asset,
    AssetKind,
    MeasureRenewal,
    MeasureStatus,
    PreservationMeasure,
    SecurityInterest,
    SecurityKind,
)
from assets.waterfall import Claim, ClaimKind, DebtorType, Distribution, distribute, distribution_to_json
from recovery.checks.dates import SHANGHAI, supported_date_error
from recovery.lib.audit import (
    AuditKind,
    audit_action,
    audit_change,
    audit_changes,
    audit_create,
    audit_delete,
    snapshot,
)
from recovery.lib.language import language_for
from recovery.lib.links import case_url
from recovery.models import (
    Case,
    CaseParty,
    Collateral,
    LoanParty,
    PartyKind,
    PartyRole,
    SecurityType,
)
from recovery.selectors.access import cases_editable_by
from recovery.services import RecoveryError
from recovery.services.cases import (
    case_facts_changed,
    record_create,
    record_delete,
    record_scope_check,
    record_update,
)

logger = logging.getLogger(__name__)

LAPSE_REASON = "期限届满未续封（查扣冻规定第27条）"
RANKING_SOURCE = "ranking"
ENDED_STATUSES = (MeasureStatus.LIFTED, MeasureStatus.LAPSED)
# Kept by the services, never taken from what a caller put on the instance.
_SERVICE_FIELDS = ("position", "status", "ended_on", "end_reason", "converted_on", "recorded_by_id")


# --- the audit codes of assets' writes -------------------------------------------------------


ASSET_RECORDED = audit_action(
    "assets.asset.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record an asset"),
    past_label=gettext_lazy("Asset recorded"),
)
ASSET_UPDATED = audit_action(
    "assets.asset.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit an asset"),
    past_label=gettext_lazy("Asset edited"),
)
ASSET_DELETED = audit_action(
    "assets.asset.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete an asset"),
    past_label=gettext_lazy("Asset deleted"),
)
SECURITY_INTEREST_RECORDED = audit_action(
    "assets.security_interest.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record a security interest"),
    past_label=gettext_lazy("Security interest recorded"),
)
SECURITY_INTEREST_UPDATED = audit_action(
    "assets.security_interest.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a security interest"),
    past_label=gettext_lazy("Security interest edited"),
)
SECURITY_INTEREST_DELETED = audit_action(
    "assets.security_interest.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a security interest"),
    past_label=gettext_lazy("Security interest deleted"),
)
MEASURE_RECORDED = audit_action(
    "assets.measure.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record a preservation measure"),
    past_label=gettext_lazy("Preservation measure recorded"),
)
MEASURE_CORRECTED = audit_action(
    "assets.measure.corrected",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Correct a preservation measure"),
    past_label=gettext_lazy("Preservation measure corrected"),
)
MEASURE_RERANKED = audit_action(
    "assets.measure.reranked",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Rank the measures of an asset"),
    past_label=gettext_lazy("Measure's position changed"),
)
MEASURE_TOOK_EFFECT = audit_action(
    "assets.measure.took_effect",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Our waiting measure becomes the first seizure"),
    past_label=gettext_lazy("Our measure took effect as the first seizure"),
)
MEASURE_RENEWAL_RECORDED = audit_action(
    "assets.measure_renewal.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record a renewal"),
    past_label=gettext_lazy("Renewal recorded"),
)
MEASURE_RENEWED = audit_action(
    "assets.measure.renewed",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Renew a preservation measure"),
    past_label=gettext_lazy("Preservation measure renewed"),
)
MEASURE_LIFTED = audit_action(
    "assets.measure.lifted",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Record a measure lifted"),
    past_label=gettext_lazy("Preservation measure lifted"),
)
MEASURE_LAPSED = audit_action(
    "assets.measure.lapsed",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Record a measure lapsed"),
    past_label=gettext_lazy("Preservation measure lapsed"),
)


# --- auditing records that reach their case through the asset -------------------------------


def _actor(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _log_create(instance: Any, *, action: str, case_id: int, user: Any, source: str) -> None:
    audit_create(instance, user=user, source=source, action=action, case_id=case_id)


def _log_change(
    instance: Any, *, action: str, case_id: int, user: Any, before: dict[str, Any], source: str
) -> dict:
    return audit_change(instance, user=user, before=before, source=source, action=action, case_id=case_id)


def _lock_asset(asset_id: int | None) -> Asset:
    """The asset row, locked until the transaction ends: every writer of positions takes it first."""
    if asset_id is None:
        raise RecoveryError(_("Choose the asset."), field="asset")
    try:
        return Asset.objects.select_for_update().get(pk=asset_id)
    except Asset.DoesNotExist as exc:
        raise RecoveryError(_("This asset does not exist."), field="asset") from exc


# --- assets and security interests ---------------------------------------------------------


def _check_owner(asset: Asset) -> None:
    """The owner must be a party of the asset's case: its debtor or one of its party roles."""
    if asset.owner_id is None:
        raise RecoveryError(_("Choose the owner of the asset."), field="owner")
    if asset.case_id is None:
        raise RecoveryError(_("Choose the case."), field="case")
    debtor_id = Case.objects.filter(pk=asset.case_id).values_list("debtor_id", flat=True).first()
    if asset.owner_id == debtor_id:
        return
    if not CaseParty.objects.filter(case_id=asset.case_id, party_id=asset.owner_id).exists():
        raise RecoveryError(
            _("The owner must be a party of the case: its debtor or one of its parties."), field="owner"
        )


@transaction.atomic
def asset_record(*, asset: Asset, user: Any, source: str = "") -> Asset:
    """Record an asset of one of the case's parties."""
    record_scope_check(instance=asset, user=user)
    _check_owner(asset)
    return record_create(instance=asset, user=user, source=source, action=ASSET_RECORDED)


@transaction.atomic
def asset_update(*, asset: Asset, user: Any, source: str = "") -> dict:
    """Save an edited asset; it stays in its case. Returns the changes."""
    record_scope_check(instance=asset, user=user)
    stored = Asset.objects.select_for_update().get(pk=asset.pk)
    if stored.case_id != asset.case_id:
        raise RecoveryError(_("An asset cannot be moved to another case."), field="case")
    _check_owner(asset)
    return record_update(
        instance=asset, user=user, before=snapshot(stored), source=source, action=ASSET_UPDATED
    )


@transaction.atomic
def asset_delete(*, asset: Asset, user: Any, source: str = "") -> None:
    """Delete an asset recorded by mistake, with its interests, measures and files; not while a
    disposal plan names it."""
    record_scope_check(instance=asset, user=user)
    if asset.disposal_plans.exists():
        raise RecoveryError(_("A disposal plan names this asset: delete or withdraw the plan first."))
    record_delete(instance=asset, user=user, source=source, action=ASSET_DELETED)


def _check_interest(interest: SecurityInterest, case_id: int) -> None:
    if interest.loan_id is not None and interest.loan.case_id != case_id:
        raise RecoveryError(_("The secured loan must be one of this case's loans."), field="loan")


@transaction.atomic
def security_interest_record(*, interest: SecurityInterest, user: Any, source: str = "") -> SecurityInterest:
    """Record a mortgage or pledge over an asset, ours or another creditor's."""
    record_scope_check(instance=interest, user=user)
    asset = _lock_asset(interest.asset_id)
    interest.full_clean()
    _check_interest(interest, asset.case_id)
    interest.save()
    _log_create(interest, action=SECURITY_INTEREST_RECORDED, case_id=asset.case_id, user=user, source=source)
    case_facts_changed(case_ids={asset.case_id}, user=user)
    return interest


@transaction.atomic
def security_interest_update(*, interest: SecurityInterest, user: Any, source: str = "") -> dict:
    """Save an edited security interest (it stays on its asset). Returns the changes."""
    record_scope_check(instance=interest, user=user)
    stored = SecurityInterest.objects.get(pk=interest.pk)
    if stored.asset_id != interest.asset_id:
        raise RecoveryError(_("A security interest cannot be moved to another asset."), field="asset")
    asset = _lock_asset(interest.asset_id)
    interest.full_clean()
    _check_interest(interest, asset.case_id)
    interest.save()
    changes = _log_change(
        interest,
        action=SECURITY_INTEREST_UPDATED,
        case_id=asset.case_id,
        user=user,
        before=snapshot(stored),
        source=source,
    )
    if changes:
        case_facts_changed(case_ids={asset.case_id}, user=user)
    return changes


@transaction.atomic
def security_interest_delete(*, interest: SecurityInterest, user: Any, source: str = "") -> None:
    """Delete a security interest recorded by mistake."""
    record_scope_check(instance=interest, user=user)
    asset = _lock_asset(interest.asset_id)
    # Audited against the asset's case, as its other entries are (record_delete would not
    # find the case through the asset).
    audit_delete(interest, user=user, source=source, action=SECURITY_INTEREST_DELETED, case_id=asset.case_id)
    interest.delete()
    case_facts_changed(case_ids={asset.case_id}, user=user)


# --- ranking ---------------------------------------------------------------------------------

Move = tuple[PreservationMeasure, int | None, int]  # measure, old position, new position


def _rerank(asset: Asset) -> list[Move]:
    """Give the asset's active measures positions 1..n by (registered_at, id); the caller holds
    the asset's lock. Changed rows are first cleared, then set, so that the partial unique
    constraint on (asset, position) never sees two rows on one position in between."""
    active = list(
        PreservationMeasure.objects.filter(asset=asset, status=MeasureStatus.ACTIVE).order_by(
            "registered_at", "id"
        )
    )
    moves: list[Move] = [
        (measure, measure.position, rank)
        for rank, measure in enumerate(active, start=1)
        if measure.position != rank
    ]
    if moves:
        now = timezone.now()
        PreservationMeasure.objects.filter(pk__in=[measure.pk for measure, _old, _new in moves]).update(
            position=None
        )
        for measure, _old, new in moves:
            PreservationMeasure.objects.filter(pk=measure.pk).update(position=new, updated_at=now)
            measure.position = new
    return moves


def _log_moves(moves: list[Move], *, case_id: int, user: Any, skip: int | None = None) -> None:
    for measure, old, new in moves:
        if measure.pk != skip:
            audit_changes(
                measure,
                user=user,
                changes={"position": [old, new]},
                source=RANKING_SOURCE,
                action=MEASURE_RERANKED,
                case_id=case_id,
            )


@transaction.atomic
def measure_record(*, measure: PreservationMeasure, user: Any, source: str = "") -> PreservationMeasure:
    """Record a new preservation measure (or save a corrected one) and re-rank the asset.

    Position, status and the end fields are the services' own: whatever the caller set on them
    is ignored. Safe to call concurrently for the same asset (the asset row is locked)."""
    record_scope_check(instance=measure, user=user)
    asset = _lock_asset(measure.asset_id)
    creating = measure.pk is None
    before: dict[str, Any] | None = None
    if creating:
        measure.position = None
        measure.status = MeasureStatus.ACTIVE
        measure.ended_on = None
        measure.end_reason = ""
        measure.converted_on = None
        measure.recorded_by = _actor(user)
    else:
        stored = PreservationMeasure.objects.get(pk=measure.pk)
        if stored.asset_id != measure.asset_id:
            raise RecoveryError(_("A measure cannot be moved to another asset."), field="asset")
        before = snapshot(stored)
        for name in _SERVICE_FIELDS:
            setattr(measure, name, getattr(stored, name))
    if measure.registered_at is not None and timezone.is_aware(measure.registered_at):
        # The model compares registered_at.date() with measured_on: in Shanghai time, not UTC.
        measure.registered_at = timezone.localtime(measure.registered_at, SHANGHAI)
    # Positions are assigned below; the database enforces their uniqueness.
    measure.full_clean(validate_constraints=False)
    measure.save()
    moves = _rerank(asset)
    measure.refresh_from_db(fields=["position", "updated_at"])
    if before is None:
        _log_create(measure, action=MEASURE_RECORDED, case_id=asset.case_id, user=user, source=source)
    else:
        _log_change(
            measure, action=MEASURE_CORRECTED, case_id=asset.case_id, user=user, before=before, source=source
        )
    _log_moves(moves, case_id=asset.case_id, user=user, skip=measure.pk)
    case_facts_changed(case_ids={asset.case_id}, user=user)
    return measure


@transaction.atomic
def measure_renew(
    *,
    measure: PreservationMeasure,
    renewed_on: date,
    new_expires_on: date,
    ruling_number: str = "",
    user: Any,
    source: str = "",
) -> MeasureRenewal:
    """Record a renewal (续封 / 续冻): the measure keeps its rank and now expires on `new_expires_on`.

    A renewal must be made on or before the old expiry: after it the measure has lapsed
    (查扣冻规定 27) and can only be replaced by a new seizure, which ranks last."""
    record_scope_check(instance=measure, user=user)
    asset = _lock_asset(measure.asset_id)
    stored = PreservationMeasure.objects.get(pk=measure.pk)
    if stored.status != MeasureStatus.ACTIVE:
        raise RecoveryError(_("Only an active measure can be renewed."), field="status")
    old_expiry = stored.expires_on
    if renewed_on > old_expiry:
        raise RecoveryError(
            _(
                "The measure expired on %(expiry)s, before the renewal of %(renewed)s: it has already "
                "lapsed (查扣冻规定第27条) and cannot be renewed. Record it as lapsed and apply for a "
                "new seizure, which will rank after the existing ones."
            )
            % {"expiry": old_expiry.isoformat(), "renewed": renewed_on.isoformat()},
            field="renewed_on",
        )
    if renewed_on < stored.measured_on:
        raise RecoveryError(_("A renewal cannot precede the measure."), field="renewed_on")
    if new_expires_on <= old_expiry:
        raise RecoveryError(
            _("The new expiry must be after the current one (%(expiry)s).")
            % {"expiry": old_expiry.isoformat()},
            field="new_expires_on",
        )
    renewal = MeasureRenewal(
        measure=stored,
        renewed_on=renewed_on,
        new_expires_on=new_expires_on,
        ruling_number=ruling_number,
        recorded_by=_actor(user),
    )
    renewal.full_clean()
    renewal.save()
    _log_create(renewal, action=MEASURE_RENEWAL_RECORDED, case_id=asset.case_id, user=user, source=source)
    before = snapshot(stored)
    stored.expires_on = new_expires_on
    stored.save(update_fields=["expires_on", "updated_at"])
    _log_change(
        stored,
        action=MEASURE_RENEWED,
        case_id=asset.case_id,
        user=user,
        before=before,
        source=source or "renewal",
    )
    measure.expires_on = new_expires_on
    case_facts_changed(case_ids={asset.case_id}, user=user)
    return renewal


@transaction.atomic
def measure_end(
    *,
    measure: PreservationMeasure,
    status: str,
    ended_on: date,
    reason: str = "",
    user: Any,
    source: str = "",
) -> list[PreservationMeasure]:
    """Record that a measure was lifted or lapsed; the waiting list moves up (查扣冻规定 26).

    Returns the measures that moved up. Ours that became the first seizure get
    `converted_on = ended_on`, and the case's lawyer is mailed after the commit."""
    if status not in ENDED_STATUSES:
        raise RecoveryError(_("A measure ends lifted or lapsed."), field="status")
    record_scope_check(instance=measure, user=user)
    asset = _lock_asset(measure.asset_id)
    stored = PreservationMeasure.objects.get(pk=measure.pk)
    if stored.status != MeasureStatus.ACTIVE:
        raise RecoveryError(
            _("This measure already ended on %(date)s.")
            % {"date": stored.ended_on.isoformat() if stored.ended_on else "?"},
            field="status",
        )
    if ended_on < stored.measured_on:
        raise RecoveryError(_("A measure cannot end before it was taken."), field="ended_on")
    if (date_error := supported_date_error(ended_on)) is not None:  # ended_on is set here, not in a form
        raise RecoveryError(str(date_error), field="ended_on")
    before = snapshot(stored)
    stored.status = status
    stored.ended_on = ended_on
    stored.end_reason = (reason or "").strip()[:300]
    stored.position = None
    stored.save(update_fields=["status", "ended_on", "end_reason", "position", "updated_at"])
    ended = MEASURE_LAPSED if status == MeasureStatus.LAPSED else MEASURE_LIFTED
    _log_change(stored, action=ended, case_id=asset.case_id, user=user, before=before, source=source)

    moves = _rerank(asset)
    promoted: list[PreservationMeasure] = []
    for moved, old, new in moves:
        if old is not None and new >= old:
            _log_moves([(moved, old, new)], case_id=asset.case_id, user=user)
            continue
        promoted.append(moved)
        if moved.ours and new == 1 and old != 1:
            moved_before = snapshot(moved)
            moved_before["position"] = old
            moved.converted_on = ended_on
            moved.save(update_fields=["converted_on", "updated_at"])
            _log_change(
                moved,
                action=MEASURE_TOOK_EFFECT,
                case_id=asset.case_id,
                user=user,
                before=moved_before,
                source=RANKING_SOURCE,
            )
            _notify_after_commit(moved.pk, stored.pk)
        else:
            _log_moves([(moved, old, new)], case_id=asset.case_id, user=user)
    measure.refresh_from_db()
    case_facts_changed(case_ids={asset.case_id}, user=user)
    return promoted


def _notify_after_commit(measure_id: int, ended_measure_id: int) -> None:
    from assets.tasks import first_seizure_notice_task

    transaction.on_commit(lambda: first_seizure_notice_task.delay(measure_id, ended_measure_id))


def measures_lapse_expired(*, today: date, user: Any = None) -> int:
    """Mark every active measure whose expiry (renewals included) is before `today` as lapsed,
    through `measure_end`, so that the waiting lists move up and our lawyers hear of it.

    A measure's effect ends with its expiry date (查扣冻规定 27): it lapsed on the next day,
    which is also the day the next waiting seizure took effect. Each measure is ended in its
    own transaction (a nightly job keeps what it did); running it again changes nothing.
    Returns how many measures lapsed."""
    expired = (
        PreservationMeasure.objects.filter(status=MeasureStatus.ACTIVE, expires_on__lt=today)
        .annotate(last_renewal=Max("renewals__new_expires_on"))
        .filter(Q(last_renewal__isnull=True) | Q(last_renewal__lt=today))
        # Lowest-ranked first: when the first seizure lapses, those lapsing with it are gone.
        .order_by("asset_id", F("position").desc(nulls_first=True), "-registered_at", "-id")
        .values_list("pk", flat=True)
    )
    lapsed = 0
    for measure_id in list(expired):
        measure = PreservationMeasure.objects.get(pk=measure_id)
        try:
            measure_end(
                measure=measure,
                status=MeasureStatus.LAPSED,
                ended_on=measure.expires_on + timedelta(days=1),
                reason=LAPSE_REASON,
                user=user,
                source="lapse",
            )
        except RecoveryError:
            # Renewed or ended by someone else since it was read.
            continue
        lapsed += 1
    return lapsed


# --- the first-seizure mail ----------------------------------------------------------------


def first_seizure_mail(
    *, measure: PreservationMeasure, ended: PreservationMeasure | None = None
) -> EmailMultiAlternatives | None:
    """The mail telling the case's lawyer that our waiting seizure became the first seizure, in
    the lawyer's language; None when the case has no assignee with an address."""
    case = measure.asset.case
    user = case.assignee
    if user is None or not user.email or not user.is_active:
        return None
    with translation.override(language_for(user)):
        values = {
            "asset": measure.asset.description,
            "case": case.number,
            "measure": str(measure),
            "court": measure.court,
            "ruling": measure.ruling_number or "—",
            "converted": measure.converted_on.isoformat() if measure.converted_on else "—",
            "expires": measure.expires_on.isoformat(),
        }
        subject = _("Your waiting seizure on %(asset)s is now the first seizure") % values
        paragraphs = [_("Hello %(name)s,") % {"name": user.get_full_name() or user.get_username()}]
        if ended is not None:
            paragraphs.append(
                _("The first seizure by %(applicant)s (%(ruling)s) ended on %(date)s: %(status)s. %(reason)s")
                % {
                    "applicant": ended.applicant,
                    "ruling": ended.ruling_number or ended.court,
                    "date": ended.ended_on.isoformat() if ended.ended_on else "—",
                    "status": ended.get_status_display(),
                    "reason": ended.end_reason,
                }
            )
        paragraphs += [
            _(
                "Our measure %(measure)s (%(court)s, ruling %(ruling)s) on %(asset)s, case %(case)s, "
                "took effect as the first seizure on %(converted)s (查扣冻规定第26条)."
            )
            % values,
            _(
                "It expires on %(expires)s as printed by the court. Registries differ on whether a "
                "converted waiting seizure runs from the conversion date or from the date on its notice: "
                "obtain the registry's record and correct the expiry if needed."
            )
            % values,
        ]
        url = case_url(case.pk)
        link_text = _("Open the case")
        text = "\n\n".join([*paragraphs, f"{link_text}: {url}"]) + "\n"
        html = format_html(
            '<html><body>{}<p><a href="{}">{}</a></p></body></html>',
            format_html_join("", "<p>{}</p>", ((paragraph,) for paragraph in paragraphs)),
            url,
            link_text,
        )
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def first_seizure_notify(*, measure_id: int, ended_measure_id: int | None = None) -> bool:
    """Send the first-seizure mail (the Celery task's body). Returns whether a mail was sent;
    a mail-server failure is raised so that the task retries."""
    measure = (
        PreservationMeasure.objects.select_related("asset__case__assignee").filter(pk=measure_id).first()
    )
    if measure is None or measure.converted_on is None:
        return False
    ended = PreservationMeasure.objects.filter(pk=ended_measure_id).first() if ended_measure_id else None
    message = first_seizure_mail(measure=measure, ended=ended)
    if message is None:
        logger.warning("first seizure on measure %s: case has no assignee with an e-mail address", measure_id)
        return False
    message.send(fail_silently=False)
    return True


# --- the waterfall on an asset's real encumbrances -------------------------------------------


@dataclass(frozen=True)
class AssetWaterfall:
    """The distribution of one asset's proceeds over its recorded encumbrances.

    `sources[i]` is the SecurityInterest or PreservationMeasure behind
    `distribution.allocations[i]`, and `ours[i]` whether it is ours."""

    asset: Asset
    debtor_type: DebtorType
    proceeds: Decimal
    costs: Decimal
    proceeds_estimated: bool  # the proceeds are the asset's estimated value
    distribution: Distribution
    sources: tuple[SecurityInterest | PreservationMeasure, ...]
    ours: tuple[bool, ...]
    unknown_amounts: tuple[PreservationMeasure, ...]  # measures without a claim amount: left out
    notes: tuple[str, ...]

    @property
    def expected_for_us(self) -> Decimal:
        return sum(
            (
                allocation.paid
                for allocation, ours in zip(self.distribution.allocations, self.ours, strict=True)
                if ours
            ),
            Decimal("0.00"),
        )

    @property
    def our_claims(self) -> Decimal:
        return sum(
            (
                allocation.claim.amount
                for allocation, ours in zip(self.distribution.allocations, self.ours, strict=True)
                if ours
            ),
            Decimal("0.00"),
        )

    @property
    def our_shortfall(self) -> Decimal:
        return self.our_claims - self.expected_for_us

    def rows(self) -> list[tuple[Any, SecurityInterest | PreservationMeasure, bool]]:
        """(allocation, source record, ours) in paying order."""
        return list(zip(self.distribution.allocations, self.sources, self.ours, strict=True))

    def as_json(self) -> dict[str, Any]:
        """The calculator contract's output, each allocation flagged `ours`, plus our totals."""
        output = distribution_to_json(self.distribution)
        for item, ours in zip(output["allocations"], self.ours, strict=True):
            item["ours"] = ours
        output.update(
            debtor_type=self.debtor_type.value,
            proceeds=f"{self.proceeds:.2f}",
            costs=f"{self.costs:.2f}",
            proceeds_estimated=self.proceeds_estimated,
            expected_for_us=f"{self.expected_for_us:.2f}",
            our_claims=f"{self.our_claims:.2f}",
            our_shortfall=f"{self.our_shortfall:.2f}",
            unknown_amounts=[str(measure) for measure in self.unknown_amounts],
            notes=list(self.notes),
        )
        return output


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError as exc:
        raise RecoveryError(_("Not an amount."), field=field) from exc
    if not amount.is_finite() or amount < 0:
        raise RecoveryError(_("Give an amount of zero or more."), field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise RecoveryError(_("The smallest unit is the fen (0.01 yuan)."), field=field)
    return amount.quantize(Decimal("0.01"))


def seized_on(measure: PreservationMeasure) -> date:
    """The day a measure was registered, in Shanghai: what ranks it in the waterfall."""
    return timezone.localtime(measure.registered_at, SHANGHAI).date()


def asset_waterfall(
    *, asset: Asset, proceeds: Decimal | None = None, costs: Decimal = Decimal("0")
) -> AssetWaterfall:
    """Who would be paid how much if `asset` sold for `proceeds` (default: its estimated value)
    after `costs`: its security interests (by registration, unregistered last) and every
    preservation measure ever recorded on it, as seizures by registration day (lifted and
    lapsed ones give no rank). Measures without a claim amount are left out and listed."""
    proceeds_estimated = proceeds is None
    if proceeds is None:
        if asset.estimated_value is None:
            raise RecoveryError(
                _("The asset has no estimated value: give the expected proceeds."), field="proceeds"
            )
        proceeds = asset.estimated_value
    proceeds = _money(proceeds, "proceeds")
    costs = _money(costs, "costs")
    owner_kind = asset.owner.kind
    debtor_type = DebtorType.LEGAL_PERSON if owner_kind == PartyKind.COMPANY else DebtorType.NATURAL_PERSON

    claims: list[Claim] = []
    sources: list[SecurityInterest | PreservationMeasure] = []
    notes: list[str] = []
    # Sorted here rather than by the query: the case page prefetches every asset's interests and
    # measures at once (assets.selectors.case_assets), and an ordered query would fetch again.
    for interest in sorted(asset.security_interests.all(), key=lambda interest: interest.pk):
        claims.append(
            Claim(
                kind=ClaimKind(interest.kind),
                amount=interest.secured_amount,
                creditor=interest.creditor,
                registered_on=interest.registered_on,
                reference=len(sources),
            )
        )
        sources.append(interest)
        if interest.maximum_amount:
            notes.append(
                _(
                    "%(creditor)s's maximum-amount mortgage is counted at its maximum of %(amount)s; "
                    "the debt it secures is fixed when the seizure is notified (查扣冻规定第25条) and may "
                    "be lower."
                )
                % {"creditor": interest.creditor, "amount": f"{interest.secured_amount:,.2f}"}
            )
    unknown: list[PreservationMeasure] = []
    for measure in sorted(asset.measures.all(), key=lambda measure: (measure.registered_at, measure.pk)):
        if measure.claim_amount is None:
            unknown.append(measure)
            continue
        claims.append(
            Claim(
                kind=ClaimKind.SEIZURE,
                amount=measure.claim_amount,
                creditor=measure.applicant,
                seized_on=seized_on(measure),
                status=measure.status,
                reference=len(sources),
            )
        )
        sources.append(measure)
    if unknown:
        notes.append(
            _("Left out, their claim amount is unknown: %(measures)s.")
            % {"measures": "; ".join(str(measure) for measure in unknown)}
        )
    if any(isinstance(s, SecurityInterest) and s.ours for s in sources) and any(
        isinstance(s, PreservationMeasure) and s.ours for s in sources
    ):
        notes.append(
            _(
                "We hold both a security interest and a seizure here; if they secure the same debt, what "
                "we receive is counted against that debt only once."
            )
        )
    try:
        distribution = distribute(debtor_type=debtor_type, proceeds=proceeds, costs=costs, claims=claims)
    except (TypeError, ValueError) as exc:
        raise RecoveryError(str(exc), field="proceeds") from exc
    ordered = tuple(sources[allocation.claim.reference] for allocation in distribution.allocations)
    return AssetWaterfall(
        asset=asset,
        debtor_type=debtor_type,
        proceeds=proceeds,
        costs=costs,
        proceeds_estimated=proceeds_estimated,
        distribution=distribution,
        sources=ordered,
        ours=tuple(bool(source.ours) for source in ordered),
        unknown_amounts=tuple(unknown),
        notes=tuple(notes),
    )


# --- hand-over collateral into an asset ------------------------------------------------------

# Words of a hand-over description that say what kind of asset the collateral is.
_KIND_WORDS = (
    (("房", "室", "楼", "住宅", "商铺", "土地", "厂房", "不动产"), AssetKind.REAL_ESTATE),
    (("车", "牌"), AssetKind.VEHICLE),
    (("股权", "股份"), AssetKind.EQUITY),
    (("存单", "存款"), AssetKind.DEPOSIT),
    (("应收", "账款"), AssetKind.RECEIVABLE),
)
CONVERT_SOURCE = "collateral converted"


def collateral_asset_kind(description: str) -> str:
    """The asset kind a hand-over description most likely names (other when unsure)."""
    for words, kind in _KIND_WORDS:
        if any(word in description for word in words):
            return kind
    return AssetKind.OTHER


@transaction.atomic
def collateral_convert_to_asset(*, collateral: Collateral, user: Any) -> Asset:
    """Turn an item of hand-over collateral into an asset with our security interest over it
    for its loan, in one step (audited). Idempotent: the item's existing asset is returned,
    so a second click makes no second asset. The owner is the loan's mortgagor (or pledgor)
    when exactly one is recorded, else the debtor; the interest is unregistered until the
    lawyer enters its registration."""
    item = Collateral.objects.select_for_update().select_related("loan", "case").get(pk=collateral.pk)
    if user is not None and not cases_editable_by(user).filter(pk=item.case_id).exists():
        raise RecoveryError(_("You may not change this record."))
    existing = Asset.objects.filter(collateral=item).order_by("pk").first()
    if existing is not None:
        return existing
    loan = item.loan
    providers = list(
        LoanParty.objects.filter(
            loan=loan, case_party__role__in=[PartyRole.MORTGAGOR, PartyRole.PLEDGOR]
        ).values_list("case_party__party_id", "case_party__role")
    )
    owner_id = providers[0][0] if len(providers) == 1 else item.case.debtor_id
    pledge = (
        providers[0][1] == PartyRole.PLEDGOR
        if len(providers) == 1
        else SecurityType.PLEDGE in loan.security_type_list
        and SecurityType.MORTGAGE not in loan.security_type_list
    )
    asset = asset_record(
        asset=Asset(
            case_id=item.case_id,
            owner_id=owner_id,
            kind=collateral_asset_kind(item.description),
            description=item.description,
            collateral=item,
            notes=_("From the hand-over file's collateral of loan %(c)s.") % {"c": loan.contract_no},
        ),
        user=user,
        source=CONVERT_SOURCE,
    )
    security_interest_record(
        interest=SecurityInterest(
            asset=asset,
            kind=SecurityKind.PLEDGE if pledge else SecurityKind.MORTGAGE,
            ours=True,
            creditor=_("Our bank"),
            loan=loan,
            secured_amount=loan.amount,
            notes=_("Registration not yet entered (from the hand-over file)."),
        ),
        user=user,
        source=CONVERT_SOURCE,
    )
    return asset
