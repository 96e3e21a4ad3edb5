"""Collection actions: demands with their proof of delivery, calls, visits, payments."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.lib.files import FileSignatureValidator, PrivateUploadTo
from recovery.lib.validators import (
    future_fact_errors,
    validate_supported_date,
    validate_upload_size,
)
from recovery.models.docket import (
    MONEY,
    PROOF_EXTENSIONS,
    PROOF_KINDS,
    Case,
    Party,
    before_disbursement_error,
    party_is_on_case,
)


class ActionKind(models.TextChoices):
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Visit")
    LETTER = "letter", _("Letter")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    NOTICE = "notice", _("Collection notice")
    ANNOUNCEMENT = "announcement", _("Newspaper announcement")
    ACCOUNT_DEBIT = "account_debit", _("Debit from account")
    REPAYMENT = "repayment", _("Repayment received")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement / repayment plan signed")


# Kinds that are a demand for payment: they interrupt limitation only once delivered (时效规定 8).
DEMAND_KINDS = {
    ActionKind.CALL,
    ActionKind.VISIT,
    ActionKind.LETTER,
    ActionKind.SMS,
    ActionKind.EMAIL,
    ActionKind.NOTICE,
}
# Kinds that carry an amount of money.
MONEY_KINDS = {ActionKind.ACCOUNT_DEBIT, ActionKind.REPAYMENT}


class CollectionAction(models.Model):
    """Something done to collect, with the facts the deadline engine needs to judge it."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="collection_actions"
    )
    kind = models.CharField(_("type"), max_length=20, choices=ActionKind.choices)
    acted_on = models.DateField(_("date sent / done"), validators=[validate_supported_date])
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    addressed_to = models.ForeignKey(
        Party,
        verbose_name=_("addressed to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collection_actions",
    )
    reached = models.BooleanField(
        _("reached the addressee"), default=False, help_text=_("Tick only when delivery can be proven.")
    )
    delivered_on = models.DateField(
        _("delivered on"),
        null=True,
        blank=True,
        help_text=_("The day it reached the addressee, not the day sent."),
        validators=[validate_supported_date],
    )
    outcome = models.TextField(_("outcome"), blank=True)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    # Stored under a random name and served only by the access-checked download; the content
    # must be what the extension says (recovery.lib.files).
    proof_file = models.FileField(
        _("proof of delivery"),
        upload_to=PrivateUploadTo("proofs", name_field="proof_original_name"),
        blank=True,
        validators=[
            FileExtensionValidator(PROOF_EXTENSIONS),
            validate_upload_size,
            FileSignatureValidator(PROOF_KINDS),
        ],
        help_text=_(
            "Scan or photo of the signed receipt, postal receipt or screenshot (PDF or image, ≤ 20 MB)."
        ),
    )
    # Declared after proof_file: the upload_to above fills it in during the same save.
    proof_original_name = models.CharField(_("proof file name"), max_length=255, blank=True, editable=False)
    tracking_number = models.CharField(_("postal tracking number"), max_length=40, blank=True)
    signed_on = models.DateField(
        _("receipt signed on"), null=True, blank=True, validators=[validate_supported_date]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("collection action")
        verbose_name_plural = _("collection actions")
        ordering = ["-acted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.acted_on}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.delivered_on and self.acted_on and self.delivered_on < self.acted_on:
            errors["delivered_on"] = _("Delivery cannot be before the day it was sent.")
        if self.signed_on and self.acted_on and self.signed_on < self.acted_on:
            errors["signed_on"] = _("The receipt cannot be signed before the day it was sent.")
        if self.reached and self.kind in DEMAND_KINDS and not self.delivered_on:
            errors["delivered_on"] = _("Give the delivery date of a demand that reached the addressee.")
        if self.delivered_on and not self.reached:
            errors["reached"] = _(
                "A delivery date was given: tick 'reached the addressee' or clear the date."
            )
        if self.kind in MONEY_KINDS and (self.amount is None or self.amount <= 0):
            errors["amount"] = _("Give the amount paid or debited.")
        if self.kind not in MONEY_KINDS and self.amount is not None:
            errors["amount"] = _("Only a repayment or a debit carries an amount.")
        for name, error in future_fact_errors(self, ("acted_on", "delivered_on", "signed_on")).items():
            errors.setdefault(name, error)
        if "acted_on" not in errors and self.case_id:
            error = before_disbursement_error(self.acted_on, self.case_id)
            if error:
                errors["acted_on"] = error
        # A demand interrupts limitation only against the one it reached (时效规定 8): it must
        # be addressed to a party of this case, not to the debtor of another.
        if self.addressed_to_id and self.case_id and not party_is_on_case(self.addressed_to_id, self.case_id):
            errors["addressed_to"] = _(
                "The addressee must be a party of this case (its debtor or a party with a role in it)."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def has_proof(self) -> bool:
        return bool(self.proof_file or self.tracking_number or self.signed_on)

    @property
    def effective_on(self):
        """The day this action counts legally: delivery for a demand, the act itself otherwise."""
        if self.kind in DEMAND_KINDS:
            return self.delivered_on if self.reached else None
        return self.acted_on
