"""Money received on a loan, and the loan's write-off and complete termination (law.md §8).

* `loan_receipt_record`: a sum received (a disposal's proceeds, an enforcement, a repayment…)
  is applied to the loan's debt in the order of CC 561 (recovery.money.allocation) and lowers
  its balances; a receipt on a written-off loan is marked as a recovery after write-off.
* `loan_write_off_mark`: 账销案存 (呆账办法 arts 4, 14). An accounting fact only: the claim, its
  balances and every deadline live on, and the lawyer keeps being alerted.
* `loan_terminate`: 完全终结 (呆账办法 art. 16), only after a write-off. The loan leaves the
  docket: the deadline engine no longer reads it (recovery.services.deadlines.collect_facts),
  so its deadlines go, and a case whose every loan is terminated is closed.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recovery.checks.dates import supported_date_error
from recovery.lib.audit import AuditKind, audit_action, audit_change, audit_create, snapshot
from recovery.models import Case, CaseStatus, Loan, LoanReceipt, ReceiptSource
from recovery.money.allocation import FEN, allocate_payment
from recovery.selectors.access import cases_editable_by
from recovery.services import RecoveryError
from recovery.services.cases import case_facts_changed, case_stage_advance, case_stage_correct

RECEIPT_RECORDED = audit_action(
    "recovery.receipt.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record money received on a loan"),
    past_label=gettext_lazy("Receipt recorded"),
)
LOAN_WRITTEN_OFF = audit_action(
    "recovery.loan.written_off",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Mark a loan written off"),
    past_label=gettext_lazy("Loan written off"),
)
LOAN_TERMINATED = audit_action(
    "recovery.loan.terminated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Terminate a written-off loan completely"),
    past_label=gettext_lazy("Loan completely terminated"),
)

ZERO = Decimal("0.00")


def _locked_loan_in_scope(loan: Loan, user: Any) -> Loan:
    """The stored loan, locked (two writes on one loan queue), once the user may change its case."""
    if user is None or not cases_editable_by(user).filter(pk=loan.case_id).exists():
        # The same message whether the loan exists or not: a refusal must not confirm an id.
        raise RecoveryError(
            _("Select a valid choice: this one is not among the records you may use."), field="loan"
        )
    return Loan.objects.select_for_update().get(pk=loan.pk)


def _refuse_terminated(loan: Loan) -> None:
    if loan.terminated_on is not None:
        raise RecoveryError(
            _("Loan %(loan)s was completely terminated on %(d)s: it is no longer on the docket.")
            % {"loan": loan.contract_no, "d": loan.terminated_on.isoformat()},
            field="loan",
        )


def _check_fact_date(value: date, *, field: str, loan: Loan, not_before: date | None = None) -> None:
    """A past day, in the supported range, not before the loan was disbursed (nor `not_before`)."""
    if not isinstance(value, date):
        raise RecoveryError(_("Enter a valid date."), field=field)
    error = supported_date_error(value)
    if error:
        raise RecoveryError(str(error), field=field)
    if value > timezone.localdate():
        raise RecoveryError(_("This date is after today: record it once it has happened."), field=field)
    if value < loan.disbursed_on:
        raise RecoveryError(
            _("Loan %(loan)s was disbursed on %(d)s: this date cannot be earlier.")
            % {"loan": loan.contract_no, "d": loan.disbursed_on.isoformat()},
            field=field,
        )
    if not_before is not None and value < not_before:
        raise RecoveryError(
            _("This date cannot be before %(d)s.") % {"d": not_before.isoformat()}, field=field
        )


def _check_money(value: Decimal, *, field: str, positive: bool = False) -> Decimal:
    """A Decimal in whole fen, not negative (above zero when `positive`)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise RecoveryError(_("Enter an amount."), field=field)
    if value != value.quantize(FEN):
        raise RecoveryError(_("Enter the amount in yuan with at most two decimals."), field=field)
    if value < 0 or (positive and value == 0):
        raise RecoveryError(
            _("The amount must be above zero.") if positive else _("The amount cannot be negative."),
            field=field,
        )
    return value.quantize(FEN)


def _check_text(value: str, *, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise RecoveryError(_("At most %(n)d characters.") % {"n": limit}, field=field)
    return value


@transaction.atomic
def loan_receipt_record(
    *,
    loan: Loan,
    amount: Decimal,
    received_on: date,
    source: str,
    costs: Decimal = Decimal("0.00"),
    reference: str = "",
    user: Any,
) -> LoanReceipt:
    """Record `amount` received on `loan` and apply it (CC 561): first to `costs` (what realising
    the claim cost and this receipt must cover first, e.g. a disposal's fees), then the loan's
    outstanding interest, penalty interest and principal; what exceeds them is the surplus.
    The loan's balances go down by what was applied to them; the receipt is a recovery after
    write-off when the loan was written off on or before `received_on`. Audited; the case's
    deadlines and liability claims follow in the same transaction."""
    stored = _locked_loan_in_scope(loan, user)
    _refuse_terminated(stored)
    amount = _check_money(amount, field="amount", positive=True)
    costs = _check_money(costs, field="costs")
    _check_fact_date(received_on, field="received_on", loan=stored)
    if source not in ReceiptSource.values:
        raise RecoveryError(_("Unknown source: %(s)s") % {"s": source}, field="source")
    reference = _check_text(reference, field="reference", limit=100)
    allocation = allocate_payment(
        amount,
        costs=costs,
        interest=stored.interest_outstanding,
        penalty_interest=stored.penalty_interest,
        principal=stored.principal_outstanding,
    )
    receipt = LoanReceipt(
        loan=stored,
        received_on=received_on,
        amount=amount,
        source=source,
        reference=reference,
        costs=allocation.costs,
        interest=allocation.interest,
        penalty_interest=allocation.penalty_interest,
        principal=allocation.principal,
        surplus=allocation.surplus,
        after_write_off=stored.written_off_on is not None and stored.written_off_on <= received_on,
        recorded_by=user if getattr(user, "pk", None) else None,
    )
    try:
        receipt.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise RecoveryError(messages[0], field=None if field == "__all__" else field) from error
    receipt.save()
    audit_create(receipt, user=user, action=RECEIPT_RECORDED, case_id=stored.case_id)
    before = snapshot(stored)
    stored.interest_outstanding -= allocation.interest
    stored.penalty_interest -= allocation.penalty_interest
    stored.principal_outstanding -= allocation.principal
    stored.save(
        update_fields=["interest_outstanding", "penalty_interest", "principal_outstanding", "updated_at"]
    )
    audit_change(stored, user=user, before=before, action=RECEIPT_RECORDED, case_id=stored.case_id)
    for name in ("interest_outstanding", "penalty_interest", "principal_outstanding", "updated_at"):
        setattr(loan, name, getattr(stored, name))
    # The deadlines and the liability matrix listen here (recovery.services.deadlines, .liability).
    case_facts_changed(case_ids={stored.case_id}, user=user)
    return receipt


@transaction.atomic
def loan_write_off_mark(
    *, loan: Loan, written_off_on: date, principal: Decimal, interest: Decimal, reference: str, user: Any
) -> Loan:
    """Mark `loan` written off (账销案存): `principal` of its outstanding principal and `interest`
    of its outstanding interest and penalty interest, on `written_off_on`, under `reference`
    (the approval). Only these fields change: the bank keeps its rights and must keep pursuing
    (呆账办法 arts 4, 14), so the balances, the deadlines and their alerts stay as they were
    (law.md §8.1: write-off must not stop limitation, guarantee or seizure tracking). Audited."""
    stored = _locked_loan_in_scope(loan, user)
    _refuse_terminated(stored)
    if stored.written_off_on is not None:
        raise RecoveryError(
            _("Loan %(loan)s was already written off on %(d)s.")
            % {"loan": stored.contract_no, "d": stored.written_off_on.isoformat()},
            field="loan",
        )
    _check_fact_date(written_off_on, field="written_off_on", loan=stored)
    principal = _check_money(principal, field="principal")
    interest = _check_money(interest, field="interest")
    if principal > stored.principal_outstanding:
        raise RecoveryError(
            _("At most the outstanding principal (%(a)s) can be written off.")
            % {"a": stored.principal_outstanding},
            field="principal",
        )
    owed_interest = stored.interest_outstanding + stored.penalty_interest
    if interest > owed_interest:
        raise RecoveryError(
            _("At most the outstanding interest and penalty interest (%(a)s) can be written off.")
            % {"a": owed_interest},
            field="interest",
        )
    if principal == 0 and interest == 0:
        raise RecoveryError(_("Enter what is written off."), field="principal")
    before = snapshot(stored)
    stored.written_off_on = written_off_on
    stored.written_off_principal = principal
    stored.written_off_interest = interest
    stored.write_off_reference = _check_text(reference, field="reference", limit=40)
    fields = ["written_off_on", "written_off_principal", "written_off_interest", "write_off_reference"]
    stored.save(update_fields=[*fields, "updated_at"])
    audit_change(stored, user=user, before=before, action=LOAN_WRITTEN_OFF, case_id=stored.case_id)
    for name in (*fields, "updated_at"):
        setattr(loan, name, getattr(stored, name))
    return loan


@transaction.atomic
def loan_terminate(*, loan: Loan, terminated_on: date, ground: str, reference: str, user: Any) -> Loan:
    """Completely terminate a written-off `loan` (完全终结, 呆账办法 art. 16) on `terminated_on`,
    on `ground` (which of art. 16's cases) under `reference`. The loan leaves the docket: its
    deadlines are recomputed away, so no alert is planned for them; when it was the case's
    last live loan, the case is closed on that day. Audited."""
    stored = _locked_loan_in_scope(loan, user)
    _refuse_terminated(stored)
    if stored.written_off_on is None:
        raise RecoveryError(
            _(
                "Loan %(loan)s is not written off: only a written-off loan can be completely "
                "terminated (呆账办法第16条)."
            )
            % {"loan": stored.contract_no},
            field="loan",
        )
    _check_fact_date(terminated_on, field="terminated_on", loan=stored, not_before=stored.written_off_on)
    ground = _check_text(ground, field="ground", limit=200)
    if not ground:
        raise RecoveryError(_("Say on which ground of art. 16 the loan is terminated."), field="ground")
    before = snapshot(stored)
    stored.terminated_on = terminated_on
    stored.termination_ground = ground
    stored.termination_reference = _check_text(reference, field="reference", limit=40)
    fields = ["terminated_on", "termination_ground", "termination_reference"]
    stored.save(update_fields=[*fields, "updated_at"])
    audit_change(stored, user=user, before=before, action=LOAN_TERMINATED, case_id=stored.case_id)
    for name in (*fields, "updated_at"):
        setattr(loan, name, getattr(stored, name))
    if not Loan.objects.filter(case_id=stored.case_id, terminated_on__isnull=True).exists():
        _case_close(case=Case.objects.get(pk=stored.case_id), on=terminated_on, user=user, loan=stored)
    case_facts_changed(case_ids={stored.case_id}, user=user)
    return loan


def _case_close(*, case: Case, on: date, user: Any, loan: Loan) -> None:
    """Close the case whose last loan was terminated: forward along its stages when it is on
    them; a suspended or written-off case (a manager's status) is closed as a correction."""
    reason = f"贷款 {loan.contract_no} 完全终结（呆账办法第16条）：{loan.termination_ground}"
    if not case_stage_advance(case=case, to=CaseStatus.CLOSED, user=user, reason=reason, on=on):
        if case.status != CaseStatus.CLOSED:
            case_stage_correct(case=case, to=CaseStatus.CLOSED, user=user, reason=reason)
        if case.closed_on is None:
            Case.objects.filter(pk=case.pk).update(closed_on=max(on, case.opened_on))
