"""Money received on a loan (a disposal's proceeds, an enforcement, a repayment…) and how it
discharged the debt (CC 561). Written only by recovery.services.receipts.loan_receipt_record."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.lib.validators import future_fact_errors, validate_supported_date
from recovery.models.docket import MONEY, Loan


class ReceiptSource(models.TextChoices):
    DISPOSAL = "disposal", _("Disposal proceeds")
    ENFORCEMENT = "enforcement", _("Enforcement proceeds")
    REPAYMENT = "repayment", _("Repayment by an obligor")
    SETTLEMENT = "settlement", _("Settlement")
    CLAIM_SALE = "claim_sale", _("Sale of the claim")
    OTHER = "other", _("Other")


class LoanReceipt(models.Model):
    """A sum received on one loan, with the part of it that went to each part of the debt."""

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="receipts")
    received_on = models.DateField(_("received on"), validators=[validate_supported_date])
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    source = models.CharField(_("source"), max_length=20, choices=ReceiptSource.choices)
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("E.g. the disposal plan's approval reference or the ruling's number."),
    )
    # The allocation (CC 561), worked out by the service from the loan's balances at the time.
    costs = models.DecimalField(_("to costs"), editable=False, **MONEY)
    interest = models.DecimalField(_("to interest"), editable=False, **MONEY)
    penalty_interest = models.DecimalField(_("to penalty interest"), editable=False, **MONEY)
    principal = models.DecimalField(_("to principal"), editable=False, **MONEY)
    surplus = models.DecimalField(_("surplus"), editable=False, **MONEY)
    # A recovery on a written-off claim (账销案存): the bank reports these separately.
    after_write_off = models.BooleanField(_("after write-off"), default=False, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"{self.loan} {self.received_on} {self.amount}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = future_fact_errors(self, ("received_on",))
        if errors:
            raise ValidationError(errors)
