"""The facts the liability matrix rests on, recorded by the lawyer: a deceased obligor's estate
(its heirs and legatees, inventory and other creditors), an obligor's marriage, the changes the
bank agreed to a loan and which guarantors consented, the facts that take away a general
guarantor's first-recourse defence, and the daily-needs threshold the head of recovery sets.

Every write is audited under its domain code and scoped by `record_scope_check` (through
record_create / record_update / record_delete); the rules that span several records (what the
heirs received against the inventory, a renunciation against the distribution, the consenting
guarantors against the loan) are checked here, under a lock on the parent record, before
anything is written. What each obligor owes is computed elsewhere (recovery.selectors.liability)."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recovery.lib.audit import AuditKind, audit_action
from recovery.models import (
    CaseParty,
    DailyNeedsLimit,
    Estate,
    EstateCreditor,
    EstateItem,
    EstateRecipient,
    FirstRecourseException,
    Loan,
    LoanChange,
    LoanChangeKind,
    LoanParty,
    MarriageRecord,
    Party,
    PartyRole,
    RecipientKind,
    Role,
)
from recovery.services import RecoveryError
from recovery.services.cases import (
    loan_update,
    record_create,
    record_delete,
    record_scope_check,
    record_update,
)
from recovery.services.loan_parties import case_party_save

ESTATE_RECORDED = audit_action(
    "recovery.estate.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record a death and estate"),
    past_label=gettext_lazy("Death and estate recorded"),
)
ESTATE_UPDATED = audit_action(
    "recovery.estate.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit an estate"),
    past_label=gettext_lazy("Estate edited"),
)
ESTATE_DELETED = audit_action(
    "recovery.estate.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete an estate"),
    past_label=gettext_lazy("Estate deleted"),
)
ESTATE_RECIPIENT_ADDED = audit_action(
    "recovery.estate_recipient.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Add an heir or legatee"),
    past_label=gettext_lazy("Heir or legatee added"),
)
ESTATE_RECIPIENT_UPDATED = audit_action(
    "recovery.estate_recipient.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit an heir or legatee"),
    past_label=gettext_lazy("Heir or legatee edited"),
)
ESTATE_RECIPIENT_REMOVED = audit_action(
    "recovery.estate_recipient.removed",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Remove an heir or legatee"),
    past_label=gettext_lazy("Heir or legatee removed"),
)
ESTATE_ITEM_ADDED = audit_action(
    "recovery.estate_item.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Add an estate item"),
    past_label=gettext_lazy("Estate item added"),
)
ESTATE_ITEM_UPDATED = audit_action(
    "recovery.estate_item.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit an estate item"),
    past_label=gettext_lazy("Estate item edited"),
)
ESTATE_ITEM_REMOVED = audit_action(
    "recovery.estate_item.removed",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Remove an estate item"),
    past_label=gettext_lazy("Estate item removed"),
)
ESTATE_CREDITOR_ADDED = audit_action(
    "recovery.estate_creditor.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Add another creditor of an estate"),
    past_label=gettext_lazy("Other creditor of the estate added"),
)
ESTATE_CREDITOR_UPDATED = audit_action(
    "recovery.estate_creditor.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit another creditor of an estate"),
    past_label=gettext_lazy("Other creditor of the estate edited"),
)
ESTATE_CREDITOR_REMOVED = audit_action(
    "recovery.estate_creditor.removed",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Remove another creditor of an estate"),
    past_label=gettext_lazy("Other creditor of the estate removed"),
)
MARRIAGE_RECORD_ADDED = audit_action(
    "recovery.marriage_record.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record a marriage"),
    past_label=gettext_lazy("Marriage recorded"),
)
MARRIAGE_RECORD_UPDATED = audit_action(
    "recovery.marriage_record.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a marriage record"),
    past_label=gettext_lazy("Marriage record edited"),
)
MARRIAGE_RECORD_DELETED = audit_action(
    "recovery.marriage_record.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a marriage record"),
    past_label=gettext_lazy("Marriage record deleted"),
)
LOAN_CHANGE_RECORDED = audit_action(
    "recovery.loan_change.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record a change to a loan"),
    past_label=gettext_lazy("Change to the loan recorded"),
)
LOAN_CHANGE_UPDATED = audit_action(
    "recovery.loan_change.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a change to a loan"),
    past_label=gettext_lazy("Change to the loan edited"),
)
LOAN_CHANGE_DELETED = audit_action(
    "recovery.loan_change.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a change to a loan"),
    past_label=gettext_lazy("Change to the loan deleted"),
)
FIRST_RECOURSE_EXCEPTION_ADDED = audit_action(
    "recovery.first_recourse_exception.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record an exception to the first-recourse defence"),
    past_label=gettext_lazy("Exception to the first-recourse defence recorded"),
)
FIRST_RECOURSE_EXCEPTION_UPDATED = audit_action(
    "recovery.first_recourse_exception.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit an exception to the first-recourse defence"),
    past_label=gettext_lazy("Exception to the first-recourse defence edited"),
)
FIRST_RECOURSE_EXCEPTION_REMOVED = audit_action(
    "recovery.first_recourse_exception.removed",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Remove an exception to the first-recourse defence"),
    past_label=gettext_lazy("Exception to the first-recourse defence removed"),
)
DAILY_NEEDS_LIMIT_SET = audit_action(
    "recovery.daily_needs_limit.set",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Set a daily-needs threshold"),
    past_label=gettext_lazy("Daily-needs threshold set"),
)
DAILY_NEEDS_LIMIT_UPDATED = audit_action(
    "recovery.daily_needs_limit.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a daily-needs threshold"),
    past_label=gettext_lazy("Daily-needs threshold edited"),
)
DAILY_NEEDS_LIMIT_DELETED = audit_action(
    "recovery.daily_needs_limit.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a daily-needs threshold"),
    past_label=gettext_lazy("Daily-needs threshold deleted"),
)

# The role a recipient of each kind holds in the case (CC 1161–1163 treat them apart).
RECIPIENT_ROLES = {
    RecipientKind.STATUTORY_HEIR: PartyRole.HEIR,
    RecipientKind.TESTAMENTARY_HEIR: PartyRole.HEIR,
    RecipientKind.LEGATEE: PartyRole.LEGATEE,
}
# Who may have a marriage recorded: an obligor who may have signed alone (CC 1064).
MARRIAGE_OBLIGOR_ROLES = (PartyRole.BORROWER, PartyRole.CO_BORROWER, PartyRole.GUARANTOR)


def _case_role_ensure(*, case_id: int, party: Party | None, role: str, user: Any, source: str) -> None:
    """Give `party` the role `role` in the case, through the case-party service (audited), unless
    it holds it already: whoever the facts make an heir, a spouse or an administrator is a party
    of the case, with whatever that brings (deadlines, the matrix)."""
    if party is None or CaseParty.objects.filter(case_id=case_id, party=party, role=role).exists():
        return
    case_party_save(
        case_party=CaseParty(case_id=case_id, party=party, role=role), loans=[], user=user, source=source
    )


# ---- estates ---------------------------------------------------------------------------------


def _locked_estate(estate_id: int) -> Estate:
    # Recipients and items of one estate are checked against each other: one writer at a time.
    return Estate.objects.select_for_update().get(pk=estate_id)


def _check_recipients_against(estate: Estate) -> None:
    """The estate as edited must still hold its recipients' facts: no renunciation after the
    distribution (CC 1124; 继承编解释一 35), no acceptance or renunciation before the death, the
    deceased none of them."""
    if estate.pk is None:
        return
    for recipient in EstateRecipient.objects.filter(estate_id=estate.pk).select_related("party"):
        renounced, accepted = recipient.renounced_on, recipient.accepted_on
        if renounced and estate.distributed_on and renounced > estate.distributed_on:
            raise RecoveryError(
                _(
                    "%(name)s renounced on %(d)s: the estate cannot have been distributed "
                    "before that (CC 1124)."
                )
                % {"name": recipient.party, "d": renounced.isoformat()},
                field="distributed_on",
            )
        first = min((day for day in (renounced, accepted) if day), default=None)
        if first and estate.died_on and first < estate.died_on:
            raise RecoveryError(
                _("%(name)s accepted or renounced on %(d)s, before this date of death.")
                % {"name": recipient.party, "d": first.isoformat()},
                field="died_on",
            )
        if recipient.party_id == estate.deceased_id:
            raise RecoveryError(_("The deceased is one of the estate's heirs or legatees."), field="deceased")


@transaction.atomic
def estate_record(*, estate: Estate, user: Any, source: str = "") -> Estate:
    """Record an obligor's death and estate; its administrator becomes a party of the case."""
    record_create(instance=estate, user=user, source=source, action=ESTATE_RECORDED)
    _case_role_ensure(
        case_id=estate.case_id,
        party=estate.administrator,
        role=PartyRole.ESTATE_ADMINISTRATOR,
        user=user,
        source=source,
    )
    return estate


@transaction.atomic
def estate_update(*, estate: Estate, user: Any, source: str = "") -> dict:
    """Save an edited estate: refused when it would contradict what its heirs did (a
    renunciation after the new distribution date, an acceptance before the new date of death)."""
    record_scope_check(instance=estate, user=user)
    stored = _locked_estate(estate.pk)
    if stored.case_id != estate.case_id:
        raise RecoveryError(_("An estate stays with its case."), field="case")
    _check_recipients_against(estate)
    changes = record_update(instance=estate, user=user, source=source, action=ESTATE_UPDATED)
    _case_role_ensure(
        case_id=estate.case_id,
        party=estate.administrator,
        role=PartyRole.ESTATE_ADMINISTRATOR,
        user=user,
        source=source,
    )
    return changes


@transaction.atomic
def estate_delete(*, estate: Estate, user: Any, source: str = "") -> None:
    """Delete an estate recorded by mistake, with its recipients, inventory and creditors (each
    of them audited as removed)."""
    record_scope_check(instance=estate, user=user)
    _locked_estate(estate.pk)
    for recipient in EstateRecipient.objects.filter(estate_id=estate.pk):
        record_delete(instance=recipient, user=user, source=source, action=ESTATE_RECIPIENT_REMOVED)
    for item in EstateItem.objects.filter(estate_id=estate.pk):
        record_delete(instance=item, user=user, source=source, action=ESTATE_ITEM_REMOVED)
    for creditor in EstateCreditor.objects.filter(estate_id=estate.pk):
        record_delete(instance=creditor, user=user, source=source, action=ESTATE_CREDITOR_REMOVED)
    record_delete(instance=estate, user=user, source=source, action=ESTATE_DELETED)


def estate_inventory_total(estate_id: int) -> tuple[Decimal, int]:
    """(the inventory's total value, how many items it has)."""
    totals = EstateItem.objects.filter(estate_id=estate_id).aggregate(total=Sum("value"))
    count = EstateItem.objects.filter(estate_id=estate_id).count()
    return totals["total"] or Decimal("0"), count


def _received_total(estate_id: int, *, without: int | None = None) -> Decimal:
    recipients = EstateRecipient.objects.filter(estate_id=estate_id)
    if without is not None:
        recipients = recipients.exclude(pk=without)
    return recipients.aggregate(total=Sum("received"))["total"] or Decimal("0")


def _check_received_within_inventory(recipient: EstateRecipient) -> None:
    """CC 1161: what the heirs and legatees received together is part of the estate, so it cannot
    exceed the inventory's total value (when an inventory was taken)."""
    inventory, items = estate_inventory_total(recipient.estate_id)
    if not items or recipient.received is None:
        return
    received = _received_total(recipient.estate_id, without=recipient.pk) + recipient.received
    if received > inventory:
        raise RecoveryError(
            _(
                "The heirs and legatees would have received ¥%(received)s together, more than the "
                "estate inventory's total value of ¥%(inventory)s."
            )
            % {"received": received, "inventory": inventory},
            field="received",
        )


def _recipient_save(*, recipient: EstateRecipient, user: Any, source: str, created: bool) -> Any:
    record_scope_check(instance=recipient, user=user)
    estate = _locked_estate(recipient.estate_id)
    _check_received_within_inventory(recipient)
    if created:
        result: Any = record_create(
            instance=recipient, user=user, source=source, action=ESTATE_RECIPIENT_ADDED
        )
    else:
        stored = EstateRecipient.objects.get(pk=recipient.pk)
        if stored.estate_id != recipient.estate_id:
            raise RecoveryError(_("An heir or legatee stays with the estate."), field="estate")
        result = record_update(instance=recipient, user=user, source=source, action=ESTATE_RECIPIENT_UPDATED)
    role = (
        RECIPIENT_ROLES.get(RecipientKind(recipient.kind)) if recipient.kind in RecipientKind.values else None
    )
    if role is not None:
        _case_role_ensure(case_id=estate.case_id, party=recipient.party, role=role, user=user, source=source)
    return result


@transaction.atomic
def estate_recipient_add(*, recipient: EstateRecipient, user: Any, source: str = "") -> EstateRecipient:
    """Add an heir or legatee (with what they received, or their written renunciation); the
    party becomes an heir or legatee of the case."""
    if recipient.estate_id is None:
        raise RecoveryError(_("Pick the estate."), field="estate")
    return _recipient_save(recipient=recipient, user=user, source=source, created=True)


@transaction.atomic
def estate_recipient_update(*, recipient: EstateRecipient, user: Any, source: str = "") -> dict:
    return _recipient_save(recipient=recipient, user=user, source=source, created=False)


@transaction.atomic
def estate_recipient_remove(*, recipient: EstateRecipient, user: Any, source: str = "") -> None:
    """Remove an heir or legatee recorded by mistake (the party keeps its role in the case)."""
    record_scope_check(instance=recipient, user=user)
    record_delete(instance=recipient, user=user, source=source, action=ESTATE_RECIPIENT_REMOVED)


def _check_inventory_covers_received(*, estate_id: int, total: Decimal, items: int, field: str) -> None:
    received = _received_total(estate_id)
    if items and received > total:
        raise RecoveryError(
            _(
                "The estate inventory would be worth ¥%(inventory)s, less than the ¥%(received)s the "
                "heirs and legatees received: correct what they received first."
            )
            % {"inventory": total, "received": received},
            field=field,
        )


@transaction.atomic
def estate_item_add(*, item: EstateItem, user: Any, source: str = "") -> EstateItem:
    """Add an item to the estate inventory; once an inventory is taken, what the recipients
    received must fit in it."""
    if item.estate_id is None:
        raise RecoveryError(_("Pick the estate."), field="estate")
    record_scope_check(instance=item, user=user)
    _locked_estate(item.estate_id)
    total, items = estate_inventory_total(item.estate_id)
    _check_inventory_covers_received(
        estate_id=item.estate_id, total=total + (item.value or Decimal("0")), items=items + 1, field="value"
    )
    return record_create(instance=item, user=user, source=source, action=ESTATE_ITEM_ADDED)


@transaction.atomic
def estate_item_update(*, item: EstateItem, user: Any, source: str = "") -> dict:
    record_scope_check(instance=item, user=user)
    _locked_estate(item.estate_id)
    stored = EstateItem.objects.get(pk=item.pk)
    if stored.estate_id != item.estate_id:
        raise RecoveryError(_("An estate item stays with its estate."), field="estate")
    total, items = estate_inventory_total(item.estate_id)
    _check_inventory_covers_received(
        estate_id=item.estate_id,
        total=total - stored.value + (item.value or Decimal("0")),
        items=items,
        field="value",
    )
    return record_update(instance=item, user=user, source=source, action=ESTATE_ITEM_UPDATED)


@transaction.atomic
def estate_item_remove(*, item: EstateItem, user: Any, source: str = "") -> None:
    record_scope_check(instance=item, user=user)
    _locked_estate(item.estate_id)
    total, items = estate_inventory_total(item.estate_id)
    _check_inventory_covers_received(
        estate_id=item.estate_id, total=total - item.value, items=items - 1, field="value"
    )
    record_delete(instance=item, user=user, source=source, action=ESTATE_ITEM_REMOVED)


@transaction.atomic
def estate_creditor_add(*, creditor: EstateCreditor, user: Any, source: str = "") -> EstateCreditor:
    """Record another creditor of the deceased we know of (it shares the estate with us)."""
    return record_create(instance=creditor, user=user, source=source, action=ESTATE_CREDITOR_ADDED)


@transaction.atomic
def estate_creditor_update(*, creditor: EstateCreditor, user: Any, source: str = "") -> dict:
    return record_update(instance=creditor, user=user, source=source, action=ESTATE_CREDITOR_UPDATED)


@transaction.atomic
def estate_creditor_remove(*, creditor: EstateCreditor, user: Any, source: str = "") -> None:
    record_scope_check(instance=creditor, user=user)
    record_delete(instance=creditor, user=user, source=source, action=ESTATE_CREDITOR_REMOVED)


# ---- marriages -------------------------------------------------------------------------------


def _check_marriage_obligor(marriage: MarriageRecord) -> None:
    """CC 1064 concerns a debt one spouse incurred: the obligor is the case's debtor or holds a
    borrower, co-borrower or guarantor role in it."""
    if marriage.case_id is None or marriage.party_id is None:
        return
    is_debtor = marriage.case.debtor_id == marriage.party_id
    holds_role = CaseParty.objects.filter(
        case_id=marriage.case_id, party_id=marriage.party_id, role__in=MARRIAGE_OBLIGOR_ROLES
    ).exists()
    if not (is_debtor or holds_role):
        raise RecoveryError(
            _("The obligor must be the debtor, a co-borrower or a guarantor of this case."), field="party"
        )


def _marriage_save(*, marriage: MarriageRecord, user: Any, source: str, created: bool) -> Any:
    record_scope_check(instance=marriage, user=user)
    if not created and MarriageRecord.objects.filter(pk=marriage.pk).values_list(
        "case_id", flat=True
    ).first() != (marriage.case_id):
        raise RecoveryError(_("A marriage record stays with its case."), field="case")
    # The model's own checks first: a company obligor is refused as such, not as a missing role.
    marriage.full_clean()
    _check_marriage_obligor(marriage)
    if created:
        result: Any = record_create(instance=marriage, user=user, source=source, action=MARRIAGE_RECORD_ADDED)
    else:
        result = record_update(instance=marriage, user=user, source=source, action=MARRIAGE_RECORD_UPDATED)
    _case_role_ensure(
        case_id=marriage.case_id, party=marriage.spouse, role=PartyRole.SPOUSE, user=user, source=source
    )
    return result


@transaction.atomic
def marriage_record_add(*, marriage: MarriageRecord, user: Any, source: str = "") -> MarriageRecord:
    """Record an obligor's marriage and the evidence of the debt's joint nature; the spouse
    becomes a party of the case (role spouse)."""
    return _marriage_save(marriage=marriage, user=user, source=source, created=True)


@transaction.atomic
def marriage_record_update(*, marriage: MarriageRecord, user: Any, source: str = "") -> dict:
    return _marriage_save(marriage=marriage, user=user, source=source, created=False)


@transaction.atomic
def marriage_record_delete(*, marriage: MarriageRecord, user: Any, source: str = "") -> None:
    record_scope_check(instance=marriage, user=user)
    record_delete(instance=marriage, user=user, source=source, action=MARRIAGE_RECORD_DELETED)


# ---- loan changes ----------------------------------------------------------------------------


def _check_consenting_guarantors(loan_id: int | None, links: list[Any]) -> list[LoanParty]:
    """The guarantors who consented are guarantor links of the changed loan (CC 695)."""
    ids = {getattr(link, "pk", link) for link in links}
    found = list(LoanParty.objects.filter(pk__in=ids, loan_id=loan_id, case_party__role=PartyRole.GUARANTOR))
    if len(found) != len(ids):
        raise RecoveryError(
            _("Only guarantors of this loan can consent to its change."), field="consenting_guarantors"
        )
    return found


@transaction.atomic
def loan_change_record(
    *, change: LoanChange, user: Any, consenting_guarantors: list | None = None, source: str = ""
) -> LoanChange:
    """Record a change the bank and the borrower agreed to a loan, and which of its guarantors
    consented in writing. An extension keeps the due date it replaces and moves the loan's due
    date (audited as a loan edit); an increase or reduction is recorded only: balances are the
    bank's ledger's."""
    if change.loan_id is None:
        raise RecoveryError(_("Pick the loan."), field="loan")
    links = consenting_guarantors or []
    record_scope_check(instance=change, user=user, m2m={"consenting_guarantors": links})
    guarantors = _check_consenting_guarantors(change.loan_id, links)
    loan = Loan.objects.select_for_update().get(pk=change.loan_id)
    change.loan = loan
    if change.kind == LoanChangeKind.EXTENSION:
        change.previous_due_on = loan.due_on
    else:
        change.previous_due_on = None
    record_create(
        instance=change,
        user=user,
        source=source,
        m2m={"consenting_guarantors": guarantors},
        action=LOAN_CHANGE_RECORDED,
    )
    if change.kind == LoanChangeKind.EXTENSION and change.new_due_on is not None:
        loan.due_on = change.new_due_on
        loan_update(loan=loan, user=user, source=source or "loan change")
    return change


def _extension_in_force(change: LoanChange, loan: Loan) -> bool:
    """Whether the loan's due date is the one this extension set (no later change moved it)."""
    return change.kind == LoanChangeKind.EXTENSION and change.new_due_on == loan.due_on


@transaction.atomic
def loan_change_update(
    *, change: LoanChange, user: Any, consenting_guarantors: list | None = None, source: str = ""
) -> dict:
    """Correct a recorded change (its date, the consents, an extension's new due date while it
    is the one in force). Its loan and kind stay: a different change is deleted and recorded."""
    m2m = None if consenting_guarantors is None else {"consenting_guarantors": list(consenting_guarantors)}
    record_scope_check(instance=change, user=user, m2m=m2m)
    stored = LoanChange.objects.get(pk=change.pk)
    if stored.loan_id != change.loan_id:
        raise RecoveryError(_("A change stays with its loan: delete it and record it again."), field="loan")
    if stored.kind != change.kind:
        raise RecoveryError(_("The kind of a change stays: delete it and record it again."), field="kind")
    if m2m is not None:
        m2m["consenting_guarantors"] = _check_consenting_guarantors(
            change.loan_id, m2m["consenting_guarantors"]
        )
    loan = Loan.objects.select_for_update().get(pk=change.loan_id)
    change.previous_due_on = stored.previous_due_on
    moves = change.kind == LoanChangeKind.EXTENSION and change.new_due_on != stored.new_due_on
    if moves and not _extension_in_force(stored, loan):
        raise RecoveryError(
            _("A later change moved the loan's due date since: correct that one."), field="new_due_on"
        )
    changes = record_update(instance=change, user=user, source=source, m2m=m2m, action=LOAN_CHANGE_UPDATED)
    if moves and change.new_due_on is not None:
        loan.due_on = change.new_due_on
        loan_update(loan=loan, user=user, source=source or "loan change")
    return changes


@transaction.atomic
def loan_change_delete(*, change: LoanChange, user: Any, source: str = "") -> None:
    """Delete a change recorded by mistake. An extension in force gives the loan back the due
    date it replaced; an older extension, overtaken by a later one, is refused."""
    record_scope_check(instance=change, user=user)
    loan = Loan.objects.select_for_update().get(pk=change.loan_id)
    restore = None
    if change.kind == LoanChangeKind.EXTENSION:
        if not _extension_in_force(change, loan):
            raise RecoveryError(_("A later change moved the loan's due date since: delete that one first."))
        restore = change.previous_due_on
    record_delete(instance=change, user=user, source=source, action=LOAN_CHANGE_DELETED)
    if restore is not None:
        loan.due_on = restore
        loan_update(loan=loan, user=user, source=source or "loan change deleted")


# ---- first-recourse exceptions ---------------------------------------------------------------


@transaction.atomic
def first_recourse_exception_add(
    *, exception: FirstRecourseException, user: Any, source: str = ""
) -> FirstRecourseException:
    """Tick one of CC 687 para 2's exceptions for a general guarantor, with its evidence."""
    return record_create(instance=exception, user=user, source=source, action=FIRST_RECOURSE_EXCEPTION_ADDED)


@transaction.atomic
def first_recourse_exception_update(
    *, exception: FirstRecourseException, user: Any, source: str = ""
) -> dict:
    return record_update(
        instance=exception, user=user, source=source, action=FIRST_RECOURSE_EXCEPTION_UPDATED
    )


@transaction.atomic
def first_recourse_exception_remove(
    *, exception: FirstRecourseException, user: Any, source: str = ""
) -> None:
    record_scope_check(instance=exception, user=user)
    record_delete(instance=exception, user=user, source=source, action=FIRST_RECOURSE_EXCEPTION_REMOVED)


# ---- the daily-needs threshold ---------------------------------------------------------------


def _head_only(user: Any) -> None:
    """The threshold is the head of recovery's to set; a write without a user is the system's
    own (a command, a migration), as everywhere else."""
    from recovery.selectors.access import role_of

    if user is not None and role_of(user) != Role.HEAD:
        raise RecoveryError(_("Only the head of recovery sets the daily-needs thresholds."))


@transaction.atomic
def daily_needs_limit_set(*, limit: DailyNeedsLimit, user: Any, source: str = "") -> DailyNeedsLimit:
    """Set what counts as a daily household need for a branch, or the bank-wide default."""
    _head_only(user)
    if DailyNeedsLimit.objects.filter(branch_id=limit.branch_id).exists():
        raise RecoveryError(_("This branch has its threshold already: edit it."), field="branch")
    return record_create(instance=limit, user=user, source=source, action=DAILY_NEEDS_LIMIT_SET)


@transaction.atomic
def daily_needs_limit_update(*, limit: DailyNeedsLimit, user: Any, source: str = "") -> dict:
    _head_only(user)
    if DailyNeedsLimit.objects.filter(branch_id=limit.branch_id).exclude(pk=limit.pk).exists():
        raise RecoveryError(_("This branch has its threshold already: edit it."), field="branch")
    return record_update(instance=limit, user=user, source=source, action=DAILY_NEEDS_LIMIT_UPDATED)


@transaction.atomic
def daily_needs_limit_delete(*, limit: DailyNeedsLimit, user: Any, source: str = "") -> None:
    _head_only(user)
    record_delete(instance=limit, user=user, source=source, action=DAILY_NEEDS_LIMIT_DELETED)
