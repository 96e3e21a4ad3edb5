"""Who else answers for a case's debts, and how much: the liability claims of the matrix, the
facts they rest on (marriage, estate, loan changes, a general guarantor's lost defence) and the
daily-needs threshold of CC 1064.

What each obligor owes is computed (recovery.selectors.liability, with the pure rules of
recovery.liability); only what the lawyer decides or records is stored here."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recovery.lib.files import FileSignatureValidator, PrivateUploadTo
from recovery.lib.validators import validate_supported_date, validate_upload_size
from recovery.models.docket import (
    MONEY,
    PROOF_EXTENSIONS,
    PROOF_KINDS,
    Branch,
    Case,
    GuaranteeType,
    Loan,
    LoanParty,
    Party,
    PartyKind,
    PartyRole,
)

NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class DailyNeedsLimit(models.Model):
    """What counts as a daily household need (CC 1064 para 1) where a branch lends: a debt one
    spouse incurred up to this amount is presumed joint. The row without a branch is the
    bank-wide default; the head of recovery edits them."""

    branch = models.OneToOneField(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="daily_needs_limit",
        help_text=_("Leave empty for the default that applies wherever no branch has its own."),
    )
    amount = models.DecimalField(
        _("daily household needs up to"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    basis = models.CharField(
        _("basis"),
        max_length=300,
        blank=True,
        help_text=_("Where the figure comes from (local court guidance, per-capita spending…)."),
    )

    class Meta:
        verbose_name = _("daily-needs threshold")
        verbose_name_plural = _("daily-needs thresholds")
        ordering = ["branch__name"]
        constraints = [
            # A branch has one threshold (the one-to-one field); this keeps the default single:
            # every row without a branch maps to the same value, 0 (branch ids start at 1).
            models.UniqueConstraint(
                Coalesce("branch", Value(0)),
                name="one_daily_needs_limit_per_branch_or_default",
                violation_error_message=_("There is already a threshold for this branch (or a default)."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch or _('Default')}: {self.amount}"

    def validate_constraints(self, exclude: Any = None) -> None:
        # An expression constraint has no field of its own for Django to name; the duplicate is
        # the branch (or its absence), so the form shows it there.
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            if NON_FIELD_ERRORS in getattr(error, "error_dict", {}):
                raise ValidationError(
                    {"branch": error.error_dict.pop(NON_FIELD_ERRORS)} | error.error_dict
                ) from error
            raise


class MarriageRecord(models.Model):
    """A natural-person obligor's marriage, and the evidence the bank holds of the debt's joint
    nature (CC 1064; 婚姻家庭编解释一 33–36). The assessment is computed from these facts."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="marriage_records"
    )
    party = models.ForeignKey(
        Party,
        verbose_name=_("obligor"),
        on_delete=models.PROTECT,
        related_name="marriage_records",
        help_text=_("The borrower, co-borrower or guarantor who signed alone."),
    )
    spouse = models.ForeignKey(
        Party,
        verbose_name=_("spouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spouse_records",
    )
    married_on = models.DateField(
        _("married on"),
        null=True,
        blank=True,
        validators=[validate_supported_date],
        help_text=_("Leave empty if the obligor was not married when the debt arose."),
    )
    divorced_on = models.DateField(
        _("divorced on"), null=True, blank=True, validators=[validate_supported_date]
    )
    spouse_died_on = models.DateField(
        _("spouse died on"), null=True, blank=True, validators=[validate_supported_date]
    )
    spouse_signed = models.BooleanField(_("spouse signed the loan or guarantee"), default=False)
    spouse_ratified = models.BooleanField(_("spouse ratified it later"), default=False)
    joint_intent_evidence = models.BooleanField(
        _("other evidence of the spouses' joint intent"), default=False
    )
    used_for_joint_living = models.BooleanField(_("evidence of use for joint living"), default=False)
    used_for_joint_business = models.BooleanField(_("evidence of use for a joint business"), default=False)
    used_for_family_after_marriage = models.BooleanField(
        _("premarital debt used for the family after marriage"), default=False
    )
    fictitious = models.BooleanField(_("fictitious debt (made up with a third party)"), default=False)
    illegal_purpose = models.BooleanField(_("illegal purpose (gambling, drugs, crime)"), default=False)
    evidence_note = models.TextField(_("evidence"), blank=True, help_text=_("What proves each fact ticked."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("marriage record")
        verbose_name_plural = _("marriage records")
        ordering = ["case", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "party"], name="unique_marriage_per_obligor")]

    def __str__(self) -> str:
        return f"{self.party} — {_('marriage')}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.party_id and self.party.kind == PartyKind.COMPANY:
            errors["party"] = _("A company has no spouse: pick a natural person.")
        if self.spouse_id and self.spouse.kind == PartyKind.COMPANY:
            errors["spouse"] = _("A spouse is a natural person, not a company.")
        if self.spouse_id and self.spouse_id == self.party_id:
            errors["spouse"] = _("The spouse must be another person than the obligor.")
        if self.divorced_on and not self.married_on:
            errors["married_on"] = _("Give the marriage date of a marriage that ended in divorce.")
        if self.divorced_on and self.married_on and self.divorced_on < self.married_on:
            errors["divorced_on"] = _("The divorce cannot be before the marriage.")
        if self.spouse_died_on and self.married_on and self.spouse_died_on < self.married_on:
            errors["spouse_died_on"] = _("The spouse cannot have died before the marriage.")
        today = timezone.localdate()
        for name in ("married_on", "divorced_on", "spouse_died_on"):
            value = getattr(self, name)
            if value and value > today and name not in errors:
                errors[name] = _("This date is after today.")
        if errors:
            raise ValidationError(errors)


class AdministratorKind(models.TextChoices):
    # CC 1145: who administers the estate.
    EXECUTOR = "executor", _("Executor named in the will")
    ELECTED = "elected", _("Elected by the heirs")
    ALL_HEIRS = "all_heirs", _("All heirs jointly")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil-affairs department or village committee")
    COURT_APPOINTED = "court_appointed", _("Appointed by the court")


class Estate(models.Model):
    """A deceased obligor's estate (CC 1145–1163): who administers it, what it holds, what it
    owes besides us, and who received from it."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="estates")
    deceased = models.ForeignKey(
        Party, verbose_name=_("deceased"), on_delete=models.PROTECT, related_name="estates"
    )
    died_on = models.DateField(_("died on"), validators=[validate_supported_date])
    administrator = models.ForeignKey(
        Party,
        verbose_name=_("estate administrator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="administered_estates",
        help_text=_("Leave empty for all heirs jointly or while nobody is known."),
    )
    administrator_kind = models.CharField(
        _("administrator is"), max_length=20, choices=AdministratorKind.choices, blank=True
    )
    administrator_known_on = models.DateField(
        _("administrator known since"),
        null=True,
        blank=True,
        validators=[validate_supported_date],
        help_text=_("Limitation is suspended while no heir or administrator is known (CC 194)."),
    )
    distributed_on = models.DateField(
        _("estate distributed on"),
        null=True,
        blank=True,
        validators=[validate_supported_date],
        help_text=_("A renunciation must be made before this day (CC 1124)."),
    )
    taxes = models.DecimalField(_("taxes owed"), default=Decimal("0"), validators=NON_NEGATIVE, **MONEY)
    our_claim = models.DecimalField(
        _("our unsecured claim"),
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text=_(
            "What the collateral will not cover. Empty: everything the deceased owes on this case's loans."
        ),
        **MONEY,
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        ordering = ["case", "died_on", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "deceased"], name="unique_estate_per_case")]

    def __str__(self) -> str:
        return _("Estate of %(name)s") % {"name": self.deceased} if self.deceased_id else str(_("estate"))

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.deceased_id and self.deceased.kind == PartyKind.COMPANY:
            errors["deceased"] = _("Only a natural person leaves an estate.")
        if self.died_on and self.died_on > timezone.localdate():
            errors["died_on"] = _("This date is after today.")
        for name in ("administrator_known_on", "distributed_on"):
            value = getattr(self, name)
            if value and self.died_on and value < self.died_on:
                errors[name] = _("This date is before the death.")
        if self.administrator_id and self.administrator_id == self.deceased_id:
            errors["administrator"] = _("The deceased cannot administer the estate.")
        if self.administrator_kind == AdministratorKind.ALL_HEIRS and self.administrator_id:
            errors["administrator"] = _("All heirs jointly administer it: leave the administrator empty.")
        if errors:
            raise ValidationError(errors)


class RecipientKind(models.TextChoices):
    STATUTORY_HEIR = "statutory_heir", _("Statutory heir")
    TESTAMENTARY_HEIR = "testamentary_heir", _("Testamentary heir")
    LEGATEE = "legatee", _("Legatee")


class EstateRecipient(models.Model):
    """An heir or legatee: what they received, or that they renounced in writing in time."""

    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), on_delete=models.CASCADE, related_name="recipients"
    )
    party = models.ForeignKey(
        Party, verbose_name=_("heir or legatee"), on_delete=models.PROTECT, related_name="inheritances"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RecipientKind.choices)
    accepted_on = models.DateField(
        _("accepted on"), null=True, blank=True, validators=[validate_supported_date]
    )
    renounced = models.BooleanField(_("renounced in writing"), default=False)
    renounced_on = models.DateField(
        _("renounced on"), null=True, blank=True, validators=[validate_supported_date]
    )
    received = models.DecimalField(
        _("value received"),
        default=Decimal("0"),
        validators=NON_NEGATIVE,
        help_text=_("The actual value of what they received, or are to receive, from the estate."),
        **MONEY,
    )
    protected = models.DecimalField(
        _("protected share"),
        default=Decimal("0"),
        validators=NON_NEGATIVE,
        help_text=_("The necessary share kept for an heir who cannot work and has no income (CC 1159)."),
        **MONEY,
    )
    case_via = "estate"

    class Meta:
        verbose_name = _("heir or legatee")
        verbose_name_plural = _("heirs and legatees")
        ordering = ["estate", "id"]
        constraints = [models.UniqueConstraint(fields=["estate", "party"], name="unique_estate_recipient")]

    def __str__(self) -> str:
        return f"{self.party} — {RecipientKind(self.kind).label}" if self.kind else str(self.party)

    def clean(self) -> None:
        errors = self._renunciation_errors()
        if self.estate_id:
            for name, error in self._estate_errors(self.estate).items():
                errors.setdefault(name, error)
        today = timezone.localdate()
        for name in ("accepted_on", "renounced_on"):
            value = getattr(self, name)
            if value and value > today and name not in errors:
                errors[name] = _("This date is after today.")
        if errors:
            raise ValidationError(errors)

    def _renunciation_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not self.renounced:
            if self.renounced_on:
                errors["renounced"] = _("Tick 'renounced in writing' or clear the renunciation date.")
            return errors
        # CC 1161: an heir who renounced answers for nothing, so he cannot have received anything.
        if self.received:
            errors["received"] = _("An heir who renounced received nothing: the value must be 0.")
        if self.protected:
            errors["protected"] = _("An heir who renounced keeps no protected share.")
        if not self.renounced_on:
            errors["renounced_on"] = _("Give the date of the written renunciation.")
        if self.accepted_on:
            errors["accepted_on"] = _("An heir who renounced did not accept.")
        return errors

    def _estate_errors(self, estate: Estate) -> dict[str, str]:
        errors: dict[str, str] = {}
        if self.party_id and self.party_id == estate.deceased_id:
            errors["party"] = _("The deceased cannot inherit from himself.")
        # CC 1124; 继承编解释一 35: a renunciation must come before the estate is distributed.
        if self.renounced_on and estate.distributed_on and self.renounced_on > estate.distributed_on:
            errors["renounced_on"] = _(
                "A renunciation after the estate was distributed (%(d)s) is too late (CC 1124)."
            ) % {"d": estate.distributed_on.isoformat()}
        for name in ("accepted_on", "renounced_on"):
            value = getattr(self, name)
            if value and estate.died_on and value < estate.died_on and name not in errors:
                errors[name] = _("This date is before the death.")
        return errors


class EstateItem(models.Model):
    """One item of the estate inventory with its value (an asset already recorded on the case
    is added by the assets app; anything else here)."""

    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), on_delete=models.CASCADE, related_name="items"
    )
    description = models.CharField(_("description"), max_length=300)
    value = models.DecimalField(_("value"), validators=NON_NEGATIVE, **MONEY)
    case_via = "estate"

    class Meta:
        verbose_name = _("estate item")
        verbose_name_plural = _("estate inventory")
        ordering = ["estate", "id"]

    def __str__(self) -> str:
        return self.description


class EstateCreditor(models.Model):
    """Another creditor of the deceased we know of, with the unsecured amount it claims."""

    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), on_delete=models.CASCADE, related_name="other_creditors"
    )
    creditor = models.CharField(_("creditor"), max_length=200)
    amount = models.DecimalField(
        _("unsecured claim"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    case_via = "estate"

    class Meta:
        verbose_name = _("other creditor of the estate")
        verbose_name_plural = _("other creditors of the estate")
        ordering = ["estate", "id"]
        constraints = [models.UniqueConstraint(fields=["estate", "creditor"], name="unique_estate_creditor")]

    def __str__(self) -> str:
        return self.creditor


class ObligorBasis(models.TextChoices):
    """Why an obligor answers for a loan; each has its article (recovery.liability.claims)."""

    BORROWER = "borrower", _("Borrower")
    CO_BORROWER = "co_borrower", _("Co-borrower")
    GENERAL_GUARANTOR = "general_guarantor", _("General guarantor")
    JOINT_GUARANTOR = "joint_guarantor", _("Joint guarantor")
    MORTGAGOR = "mortgagor", _("Third-party mortgagor")
    PLEDGOR = "pledgor", _("Pledgor")
    SPOUSE = "spouse", _("Spouse")
    STATUTORY_HEIR = "statutory_heir", _("Statutory heir")
    TESTAMENTARY_HEIR = "testamentary_heir", _("Testamentary heir")
    LEGATEE = "legatee", _("Legatee")
    ESTATE_ADMINISTRATOR = "estate_administrator", _("Estate administrator")


class ClaimStatus(models.TextChoices):
    NOT_PURSUED = "not_pursued", _("Not pursued")
    DEMANDED = "demanded", _("Demanded")
    SUED = "sued", _("Sued")
    JUDGMENT = "judgment", _("Judgment")
    ENFORCED = "enforced", _("Enforced")
    SETTLED = "settled", _("Settled")
    RELEASED = "released", _("Released")
    TIME_BARRED = "time_barred", _("Time-barred")
    UNCOLLECTABLE = "uncollectable", _("Uncollectable")


class LiabilityClaim(models.Model):
    """One row of the liability matrix: one obligor on one loan (or, for an heir, legatee or
    administrator, on the deceased's debts in the case), and where its pursuit stands.

    Rows for the borrower, co-borrowers, guarantors, mortgagors, heirs and administrators are
    kept in step with the docket by recovery.services.liability; a spouse's row is added when
    the lawyer decides to pursue the spouse."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="liability_claims"
    )
    party = models.ForeignKey(
        Party, verbose_name=_("obligor"), on_delete=models.PROTECT, related_name="liability_claims"
    )
    loan = models.ForeignKey(
        Loan,
        verbose_name=_("loan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="liability_claims",
    )
    basis = models.CharField(_("liable as"), max_length=30, choices=ObligorBasis.choices)
    link = models.ForeignKey(
        LoanParty,
        verbose_name=_("obligation on the loan"),
        null=True,
        blank=True,
        # A claim already pursued outlives the link it came from (the history stays readable).
        on_delete=models.SET_NULL,
        related_name="liability_claims",
    )
    estate = models.ForeignKey(
        Estate,
        verbose_name=_("estate"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="claims",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.NOT_PURSUED
    )
    status_on = models.DateField(
        _("status since"), null=True, blank=True, validators=[validate_supported_date]
    )
    status_note = models.CharField(_("note"), max_length=300, blank=True)
    expected_recovery = models.DecimalField(
        _("expected recovery"),
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text=_("Our estimate of what this obligor will pay; computed where the law caps it."),
        **MONEY,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("liability claim")
        verbose_name_plural = _("liability claims")
        ordering = ["case", "loan", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "party", "loan", "basis"],
                condition=Q(loan__isnull=False),
                name="unique_claim_per_loan",
            ),
            models.UniqueConstraint(
                fields=["case", "party", "basis"],
                condition=Q(loan__isnull=True),
                name="unique_claim_on_estate",
            ),
        ]
        indexes = [models.Index(fields=["basis", "status"], name="claim_portfolio")]

    def __str__(self) -> str:
        basis = ObligorBasis(self.basis).label if self.basis else ""
        return f"{self.party} — {basis}" + (f" — {self.loan}" if self.loan_id else "")


class FirstRecourseExceptionKind(models.TextChoices):
    # CC 687 para 2: when a general guarantor loses the first-recourse defence.
    DEBTOR_MISSING = "debtor_missing", _("Debtor missing, with no property to enforce")
    BANKRUPTCY_ACCEPTED = "bankruptcy_accepted", _("The court accepted the debtor's bankruptcy")
    CANNOT_PAY = "cannot_pay", _("Evidence that the debtor's property cannot pay the debt")
    WRITTEN_WAIVER = "written_waiver", _("The guarantor waived the defence in writing")


class FirstRecourseException(models.Model):
    """A fact, with its evidence, that takes away a general guarantor's first-recourse defence
    (CC 687 para 2): the guarantor may then be sued directly, and his own limitation runs from
    the day we knew of it (担保解释 28)."""

    link = models.ForeignKey(
        LoanParty,
        verbose_name=_("guarantee"),
        on_delete=models.CASCADE,
        related_name="first_recourse_exceptions",
    )
    kind = models.CharField(_("exception"), max_length=30, choices=FirstRecourseExceptionKind.choices)
    known_on = models.DateField(
        _("known since"),
        validators=[validate_supported_date],
        help_text=_("The day we knew, or should have known, of it: the guarantor's limitation starts then."),
    )
    evidence = models.TextField(_("evidence"))
    evidence_file = models.FileField(
        _("evidence file"),
        upload_to=PrivateUploadTo("first-recourse", name_field="evidence_original_name"),
        blank=True,
        validators=[
            FileExtensionValidator(PROOF_EXTENSIONS),
            validate_upload_size,
            FileSignatureValidator(PROOF_KINDS),
        ],
    )
    evidence_original_name = models.CharField(max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    case_via = "link"

    class Meta:
        verbose_name = _("exception to the first-recourse defence")
        verbose_name_plural = _("exceptions to the first-recourse defence")
        ordering = ["link", "known_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["link", "kind"], name="unique_first_recourse_exception")
        ]

    def __str__(self) -> str:
        return str(FirstRecourseExceptionKind(self.kind).label) if self.kind else str(_("exception"))

    @property
    def case_id(self) -> int | None:
        # The guarantee link has no case of its own: its party role has (recovery.lib.audit.case_id_of).
        return self.link.case_party.case_id if self.link_id else None

    def clean(self) -> None:
        errors: dict[str, str] = {}
        link = self.link if self.link_id else None
        if link is not None and (
            link.guarantee_type != GuaranteeType.GENERAL or link.case_party.role != PartyRole.GUARANTOR
        ):
            errors["link"] = _("Only a general guarantor has a first-recourse defence (CC 687).")
        if self.known_on and self.known_on > timezone.localdate():
            errors["known_on"] = _("This date is after today.")
        if errors:
            raise ValidationError(errors)


class LoanChangeKind(models.TextChoices):
    EXTENSION = "extension", _("Extension of the due date (展期)")
    INCREASE = "increase", _("Increase of the debt")
    REDUCTION = "reduction", _("Reduction of the debt")


class LoanChange(models.Model):
    """A change the bank and the borrower agreed to a loan, and which guarantors consented in
    writing: without consent an extension does not move the guarantee period and an increase
    is not guaranteed (CC 695)."""

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("change"), max_length=20, choices=LoanChangeKind.choices)
    agreed_on = models.DateField(_("agreed on"), validators=[validate_supported_date])
    previous_due_on = models.DateField(
        _("previous due date"), null=True, blank=True, validators=[validate_supported_date]
    )
    new_due_on = models.DateField(
        _("new due date"), null=True, blank=True, validators=[validate_supported_date]
    )
    amount = models.DecimalField(
        _("amount of the increase or reduction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        **MONEY,
    )
    consenting_guarantors = models.ManyToManyField(
        LoanParty,
        verbose_name=_("guarantors who consented in writing"),
        blank=True,
        related_name="consented_changes",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loan change")
        verbose_name_plural = _("loan changes")
        ordering = ["loan", "agreed_on", "id"]

    def __str__(self) -> str:
        return f"{self.loan} — {LoanChangeKind(self.kind).label}" if self.kind else str(self.loan)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == LoanChangeKind.EXTENSION:
            if not self.new_due_on:
                errors["new_due_on"] = _("Give the new due date of the extension.")
            elif self.previous_due_on and self.new_due_on <= self.previous_due_on:
                errors["new_due_on"] = _("An extension moves the due date later.")
            if self.amount:
                errors["amount"] = _("An extension changes the date, not the amount.")
        elif self.kind in (LoanChangeKind.INCREASE, LoanChangeKind.REDUCTION):
            if not self.amount:
                errors["amount"] = _("Give the amount of the change.")
            if self.new_due_on:
                errors["new_due_on"] = _("Only an extension changes the due date.")
        if self.agreed_on and self.agreed_on > timezone.localdate():
            errors["agreed_on"] = _("This date is after today.")
        if self.loan_id and self.agreed_on and self.agreed_on < self.loan.disbursed_on:
            errors["agreed_on"] = _("The loan was not yet disbursed then.")
        if errors:
            raise ValidationError(errors)
