"""The docket's core records: branches, staff roles, parties, cases, loans, collection actions."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.lib.files import FileSignatureValidator, PrivateUploadTo
from recovery.lib.validators import (
    EARLIEST_SUPPORTED_DATE,
    LATEST_SUPPORTED_DATE,
    credit_code_error,
    future_fact_errors,
    normalize_id_number,
    resident_id_error,
    validate_supported_date,
    validate_upload_size,
)

MONEY = {"max_digits": 16, "decimal_places": 2}
PROOF_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "heic", "tif", "tiff"]
PROOF_KINDS = ("pdf", "jpeg", "png", "heic", "tiff")


class Branch(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    LAWYER = "lawyer", _("Recovery lawyer")
    MANAGER = "manager", _("Manager")
    HEAD = "head", _("Head of recovery")
    AUDITOR = "auditor", _("Auditor")


class StaffProfile(models.Model):
    """What the docket needs to know about a user: the role that scopes what they see."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.LAWYER)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class DefaultCause(models.Model):
    """One of the typical reasons a borrower defaults, with the strategy it calls for.

    Reference content edited in the admin; the nine causes of domain.md are loaded by a
    data migration.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    strategy = models.TextField(_("recommended strategy"))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0, validators=[MaxValueValidator(9999)])

    class Meta:
        verbose_name = _("default cause")
        verbose_name_plural = _("default causes")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class PartyKind(models.TextChoices):
    PERSON = "person", _("Natural person")
    COMPANY = "company", _("Company")


class MaritalStatus(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    SINGLE = "single", _("Single")
    MARRIED = "married", _("Married")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class Party(models.Model):
    """A person or company that owes, secures or stands in for a debt, in any number of cases."""

    kind = models.CharField(_("kind"), max_length=10, choices=PartyKind.choices, default=PartyKind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    id_number = models.CharField(
        _("ID number"),
        max_length=18,
        unique=True,
        help_text=_(
            "Resident ID (GB 11643) for a person, unified social credit code (GB 32100) for a company."
        ),
    )
    phones = models.CharField(_("phones"), max_length=200, blank=True, help_text=_("Separate several with ;"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    marital_status = models.CharField(
        _("marital status"), max_length=10, choices=MaritalStatus.choices, default=MaritalStatus.UNKNOWN
    )
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name"]
        permissions = [("view_personal_data", _("Can see unmasked ID numbers and phone numbers"))]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.id_number = normalize_id_number(self.id_number or "")
        if self.id_number:
            error = (
                resident_id_error(self.id_number)
                if self.kind == PartyKind.PERSON
                else credit_code_error(self.id_number)
            )
            if error:
                raise ValidationError({"id_number": error})
        if self.kind == PartyKind.COMPANY and self.marital_status != MaritalStatus.UNKNOWN:
            raise ValidationError({"marital_status": _("A company has no marital status.")})

    @property
    def phone_list(self) -> list[str]:
        return [p.strip() for p in self.phones.replace("；", ";").split(";") if p.strip()]


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    LITIGATION = "litigation", _("In litigation")
    JUDGED = "judged", _("Judgment given")
    ENFORCEMENT = "enforcement", _("In enforcement")
    ROUND_CLOSED = "round_closed", _("Enforcement round closed (终本)")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")
    WRITTEN_OFF = "written_off", _("Written off (rights retained)")


# A judged case still has its enforcement period running, and a case whose enforcement round
# was closed (终本) can be enforced again once assets are found: both stay open.
OPEN_STATUSES = [
    CaseStatus.OPEN,
    CaseStatus.LITIGATION,
    CaseStatus.JUDGED,
    CaseStatus.ENFORCEMENT,
    CaseStatus.ROUND_CLOSED,
    CaseStatus.SUSPENDED,
]

# The stages a case passes through, in order (在办 → 诉讼中 → 已判决 → 执行中 → 终本 → 结案);
# the services only move a case forward along them. Suspended and written-off cases are a
# manager's decision and are never moved by a filing.
CASE_STAGE_ORDER = [
    CaseStatus.OPEN,
    CaseStatus.LITIGATION,
    CaseStatus.JUDGED,
    CaseStatus.ENFORCEMENT,
    CaseStatus.ROUND_CLOSED,
    CaseStatus.CLOSED,
]


class CaseQuerySet(models.QuerySet):
    def open(self) -> "CaseQuerySet":
        return self.filter(status__in=OPEN_STATUSES)


class Case(models.Model):
    """A debtor's bad loans at one branch, handled by one assigned lawyer."""

    number = models.CharField(_("case number"), max_length=30, unique=True, editable=False)
    debtor = models.ForeignKey(
        Party, verbose_name=_("debtor"), on_delete=models.PROTECT, related_name="cases"
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="cases"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("shared with"), blank=True, related_name="shared_cases"
    )
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    default_cause = models.ForeignKey(
        DefaultCause, verbose_name=_("default cause"), null=True, blank=True, on_delete=models.PROTECT
    )
    opened_on = models.DateField(_("opened on"), validators=[validate_supported_date])
    closed_on = models.DateField(_("closed on"), null=True, blank=True, validators=[validate_supported_date])
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["debtor", "branch"])]

    def __str__(self) -> str:
        return f"{self.number} {self.debtor.name}" if self.number else str(self.debtor)

    def clean(self) -> None:
        if self.closed_on and self.opened_on and self.closed_on < self.opened_on:
            raise ValidationError({"closed_on": _("A case cannot close before it was opened.")})


def earliest_disbursement(case_id: int | None):
    """The first disbursement date of the case's loans (None without loans): nothing done to
    collect, sue or enforce can predate it."""
    if case_id is None:
        return None
    return Loan.objects.filter(case_id=case_id).aggregate(first=models.Min("disbursed_on"))["first"]


def before_disbursement_error(value, case_id: int | None) -> str | None:
    first = earliest_disbursement(case_id) if value else None
    if first is None or value >= first:
        return None
    return _("%(d)s is before the case's first loan was disbursed (%(first)s).") % {
        "d": value.isoformat(),
        "first": first.isoformat(),
    }


def party_is_on_case(party_id: int, case_id: int) -> bool:
    """Whether the party is the case's debtor or holds a role in it."""
    return (
        Case.objects.filter(pk=case_id, debtor_id=party_id).exists()
        or CaseParty.objects.filter(case_id=case_id, party_id=party_id).exists()
    )


class SecurityType(models.TextChoices):
    CREDIT = "credit", _("Unsecured (credit)")
    GUARANTEE = "guarantee", _("Guarantee")
    MORTGAGE = "mortgage", _("Mortgage")
    PLEDGE = "pledge", _("Pledge")


class Loan(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="loans")
    contract_no = models.CharField(_("contract number"), max_length=64, unique=True)
    amount = models.DecimalField(_("amount lent"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    principal_outstanding = models.DecimalField(
        _("outstanding principal"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    interest_outstanding = models.DecimalField(
        _("outstanding interest"), default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    penalty_interest = models.DecimalField(
        _("penalty interest"), default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    disbursed_on = models.DateField(_("disbursed on"), validators=[validate_supported_date])
    due_on = models.DateField(
        _("due on"),
        help_text=_("For instalment loans, the last instalment's due date."),
        validators=[validate_supported_date],
    )
    last_payment_on = models.DateField(
        _("last payment on"), null=True, blank=True, validators=[validate_supported_date]
    )
    security_types = models.CharField(
        _("security"),
        max_length=60,
        blank=True,
        help_text=_("Comma-separated: credit, guarantee, mortgage, pledge"),
    )
    handed_over_on = models.DateField(_("handed over on"), validators=[validate_supported_date])
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="loans"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["due_on", "contract_no"]

    def __str__(self) -> str:
        return self.contract_no

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.disbursed_on and self.due_on and self.due_on < self.disbursed_on:
            errors["due_on"] = _("The due date cannot be before the disbursement date.")
        if self.amount is not None and self.principal_outstanding is not None:
            if self.principal_outstanding > self.amount:
                errors["principal_outstanding"] = _("Outstanding principal cannot exceed the amount lent.")
        if self.last_payment_on and self.disbursed_on and self.last_payment_on < self.disbursed_on:
            errors["last_payment_on"] = _("The last payment cannot be before the disbursement date.")
        if self.handed_over_on and self.disbursed_on and self.handed_over_on < self.disbursed_on:
            errors["handed_over_on"] = _("A loan cannot be handed over before it was disbursed.")
        # A loan not yet disbursed is no bad loan, and a repayment still to come restarts nothing.
        for name, error in future_fact_errors(self, ("disbursed_on", "last_payment_on")).items():
            errors.setdefault(name, error)
        unknown = set(self.security_type_list) - set(SecurityType.values)
        if unknown:
            errors["security_types"] = _("Unknown security type: %(t)s") % {"t": ", ".join(sorted(unknown))}
        if errors:
            raise ValidationError(errors)

    @property
    def security_type_list(self) -> list[str]:
        return [t.strip() for t in self.security_types.split(",") if t.strip()]

    @property
    def total_outstanding(self) -> Decimal:
        return self.principal_outstanding + self.interest_outstanding + self.penalty_interest


class Instalment(models.Model):
    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="instalments"
    )
    due_on = models.DateField(_("due on"), validators=[validate_supported_date])
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["due_on"]
        constraints = [models.UniqueConstraint(fields=["loan", "due_on"], name="unique_instalment_per_day")]

    def __str__(self) -> str:
        return f"{self.loan} {self.due_on}"


class PartyRole(models.TextChoices):
    BORROWER = "borrower", _("Borrower")
    CO_BORROWER = "co_borrower", _("Co-borrower")
    GUARANTOR = "guarantor", _("Guarantor")
    MORTGAGOR = "mortgagor", _("Mortgagor")
    PLEDGOR = "pledgor", _("Pledgor")
    SPOUSE = "spouse", _("Spouse")
    HEIR = "heir", _("Heir")
    ESTATE_ADMINISTRATOR = "estate_administrator", _("Estate administrator")
    CONTACT = "contact", _("Contact person")


class GuaranteeType(models.TextChoices):
    # CC 686: a guarantee whose type is not agreed is a general guarantee.
    GENERAL = "general", _("General guarantee")
    JOINT = "joint", _("Joint and several guarantee")


class CaseParty(models.Model):
    """A party's role in a case; one party may hold several roles across cases. What a
    co-borrower owes, a guarantor guarantees or a mortgagor secures is per loan: `LoanParty`."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="case_parties"
    )
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.PROTECT, related_name="case_roles"
    )
    role = models.CharField(_("role"), max_length=30, choices=PartyRole.choices)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("party role")
        verbose_name_plural = _("party roles")
        ordering = ["case", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "party", "role"], name="unique_case_party_role")
        ]

    def __str__(self) -> str:
        return f"{self.party} — {PartyRole(self.role).label}"


# Roles whose obligation is on particular loans of the case, not on the case as a whole.
LOAN_ROLES = (PartyRole.CO_BORROWER, PartyRole.GUARANTOR, PartyRole.MORTGAGOR, PartyRole.PLEDGOR)


class LoanParty(models.Model):
    """A party's obligation on one loan of its case: a co-borrower owes it, a guarantor
    guarantees it (on the terms below), a mortgagor or pledgor secures it. Deadlines against
    the party run only for the loans it is linked to."""

    case_party = models.ForeignKey(
        CaseParty, verbose_name=_("party role"), on_delete=models.CASCADE, related_name="loan_links"
    )
    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="party_links"
    )
    guarantee_type = models.CharField(
        _("guarantee type"), max_length=10, choices=GuaranteeType.choices, blank=True
    )
    guarantee_months = models.PositiveSmallIntegerField(
        _("agreed guarantee period (months)"),
        null=True,
        blank=True,
        # Fifty years: no guarantee agrees more, and the engine's month arithmetic stays in range.
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("Leave empty when nothing was agreed: the period is then six months (CC 692)."),
    )
    max_amount = models.DecimalField(
        _("maximum amount (最高额保证)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Only for a maximum-amount guarantee: the most the guarantor answers for."),
        **MONEY,
    )
    signed_on = models.DateField(
        _("guarantee signed on"), null=True, blank=True, validators=[validate_supported_date]
    )
    needs_review = models.BooleanField(
        _("needs review"),
        default=False,
        help_text=_(
            "Linked to every loan of the case when the party was moved to per-loan links: confirm or remove."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("party's loan")
        verbose_name_plural = _("parties' loans")
        ordering = ["loan", "case_party", "id"]
        constraints = [models.UniqueConstraint(fields=["case_party", "loan"], name="unique_loan_party")]

    def __str__(self) -> str:
        return f"{self.case_party} — {self.loan}"

    def clean(self) -> None:
        from django.utils import timezone

        errors: dict[str, str] = {}
        case_party = self.case_party if self.case_party_id else None
        if case_party is not None and case_party.role not in LOAN_ROLES:
            errors["case_party"] = _(
                "Only a co-borrower, guarantor, mortgagor or pledgor is linked to loans."
            )
        if case_party is not None and self.loan_id and self.loan.case_id != case_party.case_id:
            errors["loan"] = _("The loan must be one of this case's loans.")
        guarantor = case_party is not None and case_party.role == PartyRole.GUARANTOR
        if guarantor:
            if not self.guarantee_type:
                # CC 686: a guarantee whose type is not agreed is a general guarantee.
                self.guarantee_type = GuaranteeType.GENERAL
        elif self.guarantee_type or self.guarantee_months or self.max_amount or self.signed_on:
            errors["guarantee_type"] = _(
                "A guarantee type, period, amount or date only applies to a guarantor."
            )
        if self.signed_on and self.signed_on > timezone.localdate():
            errors["signed_on"] = _("The guarantee cannot be signed after today.")
        if errors:
            raise ValidationError(errors)


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


class Collateral(models.Model):
    """An item of collateral as the bank's hand-over file describes it (抵押物/质物), kept with
    the loan it secures until someone records it as an asset with its details."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="collateral_items"
    )
    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="collateral_items"
    )
    description = models.CharField(_("description"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("collateral (as handed over)")
        verbose_name_plural = _("collateral (as handed over)")
        ordering = ["loan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "description"], name="unique_collateral_per_loan")
        ]

    def __str__(self) -> str:
        return self.description


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    VALIDATING = "validating", _("Checking")
    PREVIEWED = "previewed", _("Checked, awaiting confirmation")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")


class ImportSource(models.TextChoices):
    COMMAND = "command", _("Command line")
    WEB = "web", _("Web upload")


class ImportRun(models.Model):
    """One hand-over import: who ran it, on which file, and what it did — so anyone can answer
    "where did this loan come from?" (the audit entries it wrote name it as `import #<id>`)."""

    file_name = models.CharField(_("file name"), max_length=255)
    checksum = models.CharField(_("SHA-256"), max_length=64)
    file_size = models.PositiveBigIntegerField(
        _("size (bytes)"), default=0, validators=[MaxValueValidator(10**12)]
    )
    # A random stored name (file_name keeps the original), never served as media.
    upload = models.FileField(_("uploaded file"), upload_to=PrivateUploadTo("imports"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=ImportSource.choices)
    strict = models.BooleanField(_("strict (all or nothing)"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    preview = models.JSONField(_("check result"), default=dict, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    errors = models.JSONField(_("rejected rows"), default=list, blank=True)
    failure = models.TextField(_("failure"), blank=True)
    notice_sent_at = models.DateTimeField(_("notice e-mailed at"), null=True, blank=True)
    notice_failure = models.CharField(_("notice not sent"), max_length=300, blank=True)
    # Liveness of background work: when the worker last reported progress (or the check
    # finished, for a preview's expiry) and which Celery task does it.
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    task_id = models.CharField(_("task"), max_length=255, blank=True)
    # All problems found; `errors` keeps only the first HANDOVER_MAX_ERRORS of them.
    error_count = models.PositiveIntegerField(
        _("problems found"), default=0, validators=[MaxValueValidator(10**9)]
    )

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("hand-over import")
        verbose_name_plural = _("hand-over imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.file_name}"

    @property
    def audit_source(self) -> str:
        return f"import #{self.pk}"


class HolidayYear(models.Model):
    """One year's State Council holiday notice, entered by an administrator for a year the
    `chinese_calendar` package does not cover yet (or to correct it). Until a year is entered,
    its deadlines count weekends and the statutory holidays of the national measures only (no
    调休) and are flagged provisional."""

    year = models.PositiveSmallIntegerField(
        _("year"),
        unique=True,
        validators=[
            MinValueValidator(EARLIEST_SUPPORTED_DATE.year),
            MaxValueValidator(LATEST_SUPPORTED_DATE.year),
        ],
    )
    notice = models.CharField(
        _("notice"), max_length=200, help_text=_("Title or number of the State Council notice.")
    )
    holidays = models.TextField(
        _("holidays"),
        help_text=_("One day (2027-10-01) or range (2027-10-01..2027-10-07) per line; # starts a comment."),
    )
    make_up_working_days = models.TextField(
        _("make-up working days"),
        blank=True,
        help_text=_("Weekend days that are official working days (调休上班), one per line."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("holiday calendar year")
        verbose_name_plural = _("holiday calendar years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)

    def clean(self) -> None:
        from recovery.deadlines.notice import NoticeError, parse_days

        errors: dict[str, str] = {}
        parsed: dict[str, frozenset] = {}
        for name in ("holidays", "make_up_working_days"):
            try:
                parsed[name] = parse_days(getattr(self, name) or "", self.year or 0)
            except NoticeError as problem:
                errors[name] = str(problem)
        if not errors:
            if not parsed["holidays"]:
                errors["holidays"] = _("List at least one holiday.")
            elif parsed["holidays"] & parsed["make_up_working_days"]:
                errors["make_up_working_days"] = _("A day cannot be both a holiday and a working day.")
            elif any(day.weekday() < 5 for day in parsed["make_up_working_days"]):
                errors["make_up_working_days"] = _("Make-up working days are Saturdays or Sundays.")
        if errors:
            raise ValidationError(errors)

    def notice_days(self) -> tuple[frozenset, frozenset]:
        from recovery.deadlines.notice import parse_days

        return parse_days(self.holidays, self.year), parse_days(self.make_up_working_days, self.year)


class DeadlineKind(models.TextChoices):
    LIMITATION = "limitation", _("Limitation period")
    GUARANTEE_PERIOD = "guarantee_period", _("Guarantee period")
    GUARANTOR_LIMITATION = "guarantor_limitation", _("Limitation against the guarantor")
    MORTGAGE = "mortgage", _("Mortgage (within the main claim's limitation)")
    ENFORCEMENT = "enforcement", _("Enforcement application period")
    APPEAL_JUDGMENT = "appeal_judgment", _("Appeal against a judgment")
    APPEAL_RULING = "appeal_ruling", _("Appeal against a ruling")
    PRE_SUIT_PRESERVATION = "pre_suit_preservation", _("Suit after pre-suit preservation")
    PRESERVATION_RENEWAL = "preservation_renewal", _("Preservation renewal")
    PRESERVATION_EXPIRY = "preservation_expiry", _("Preservation expiry")
    COMPETITOR_SEIZURE_EXPIRY = "competitor_seizure_expiry", _("Competitor's first seizure expires")


class DeadlineStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    EXPIRED = "expired", _("Expired")
    PENDING_PROCEEDINGS = "pending_proceedings", _("Suspended by pending proceedings")
    SUSPENDED = "suspended", _("Suspended (obstacle)")


class DeadlineQuerySet(models.QuerySet):
    """Every "when" question is asked of `act_by`, the date that holds without unproven facts."""

    def open(self) -> "DeadlineQuerySet":
        return self.filter(done=False, act_by__isnull=False)

    def due_within(self, today, days: int) -> "DeadlineQuerySet":
        from datetime import timedelta

        return self.open().filter(act_by__gte=today, act_by__lte=today + timedelta(days=days))

    def overdue(self, today) -> "DeadlineQuerySet":
        return self.lapsed(today)

    def lapsed(self, today) -> "DeadlineQuerySet":
        """Open deadlines whose act-by date has passed: the right they protect may be lost."""
        return self.open().filter(act_by__lt=today)

    def lapsed_undecided(self, today) -> "DeadlineQuerySet":
        """Lapsed deadlines nobody has recorded a decision on yet."""
        return self.lapsed(today).filter(lapse_decision="")

    def live(self, today) -> "DeadlineQuerySet":
        """Open deadlines still ahead (act by today or later): what digests and the feed hold."""
        return self.open().filter(act_by__gte=today)


class LapseDecision(models.TextChoices):
    RIGHT_LOST = "right_lost", _("Right lost: close the claim")
    DISPUTED = "disputed", _("Disputed")
    WRITE_OFF = "write_off", _("Write-off candidate")


class Deadline(models.Model):
    """A date the recovery team must not miss, computed by the deadline engine from the case's
    facts; never edited by hand (recomputed whenever a fact changes)."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="deadlines")
    key = models.CharField(max_length=120, editable=False)  # kind:party:subject, stable across recomputes
    kind = models.CharField(_("kind"), max_length=30, choices=DeadlineKind.choices)
    rule = models.CharField(_("rule"), max_length=40)
    party = models.ForeignKey(
        Party,
        verbose_name=_("against"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deadlines",
    )
    party_role = models.CharField(_("role"), max_length=30, choices=PartyRole.choices, blank=True)
    subject = models.CharField(_("concerning"), max_length=200)
    trigger = models.DateField(_("runs from"), validators=[validate_supported_date])
    raw_end = models.DateField(_("raw end"), null=True, blank=True, validators=[validate_supported_date])
    legal_end = models.DateField(_("legal end"), null=True, blank=True, validators=[validate_supported_date])
    safe_end = models.DateField(
        _("act by, once every fact is proven"), null=True, blank=True, validators=[validate_supported_date]
    )
    status = models.CharField(_("status"), max_length=20, choices=DeadlineStatus.choices)
    calendar_provisional = models.BooleanField(_("provisional calendar"), default=False)
    steps = models.JSONField(_("explanation"), default=list)
    facts = models.JSONField(_("facts used"), default=list)
    done = models.BooleanField(_("done"), default=False)
    done_note = models.CharField(_("done because"), max_length=200, blank=True)
    at_risk = models.BooleanField(_("at risk"), default=False)
    at_risk_note = models.CharField(_("risk"), max_length=300, blank=True)
    conservative_safe_end = models.DateField(
        _("act by, if unproven facts fail"), null=True, blank=True, validators=[validate_supported_date]
    )
    # The date the docket acts on: the earliest any unproven fact could make it, i.e.
    # conservative_safe_end where one is set, else safe_end. Listings, filters, ordering,
    # alerts and the calendar feed all use it; safe_end is the date once everything is proven.
    act_by = models.DateField(_("act by"), null=True, blank=True, validators=[validate_supported_date])
    # What completes the deadline once the proof of the fact it rests on is recorded (e.g. a
    # demand on a joint guarantor without proof of delivery): until then it is not done.
    done_once_proven = models.CharField(_("done once proven"), max_length=200, blank=True, default="")
    computed_at = models.DateTimeField(_("computed at"))
    # The lawyer's decision once the act-by date passed (recovery.services.lapses.deadline_lapse_decide).
    # Not computed, so not among the recompute's stored fields; the recompute clears it when
    # the act-by date moves (a proof recorded later makes the deadline live again).
    lapse_decision = models.CharField(
        _("decision on the lapse"), max_length=20, choices=LapseDecision.choices, blank=True
    )
    lapse_reason = models.CharField(_("reason for the decision"), max_length=500, blank=True)
    lapse_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lapse_decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # A digest of the stored values: the recompute compares it instead of reading every row back.
    fingerprint = models.CharField(max_length=32, editable=False, default="")

    objects = DeadlineQuerySet.as_manager()
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["act_by", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="unique_deadline_per_case_key")]
        indexes = [
            # "What falls due in the next N days" reads only open deadlines, by act-by date.
            models.Index(fields=["act_by"], condition=models.Q(done=False), name="deadline_open_by_act_by"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.act_by or '—'}"

    @property
    def lapsed(self) -> bool:
        """Its act-by date has passed (today, Asia/Shanghai) and it is not done."""
        from django.utils import timezone

        from recovery.deadlines.lapse import is_lapsed

        return is_lapsed(self.act_by, self.done, timezone.localdate())

    @property
    def unproven_facts(self) -> list[dict[str, Any]]:
        """The facts this deadline's dates rest on that have no proof yet (from `facts`)."""
        return [fact for fact in self.facts or [] if not fact.get("proven", True)]

    @property
    def later_once_proven(self) -> date | None:
        """`safe_end` where an unproven fact holds the act-by date earlier, else None."""
        if self.act_by is not None and self.safe_end is not None and self.act_by != self.safe_end:
            return self.safe_end
        return None

    @property
    def awaits_proof(self) -> bool:
        """The act-by date is earlier than it would be, or the deadline is not done, only because
        a fact is not proven: recording the proof moves it (to `safe_end`, or to done)."""
        return bool(self.later_once_proven or self.done_once_proven)


def _calendar_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class AlertPolicy(models.Model):
    """When to warn about one kind of deadline, and what to tell the lawyer to do."""

    kind = models.CharField(_("deadline kind"), max_length=30, choices=DeadlineKind.choices, unique=True)
    thresholds = models.CharField(
        _("days before the act-by date"),
        max_length=100,
        help_text=_("Comma-separated whole days, 0 = on the day, e.g. 90, 60, 30, 14, 7, 3, 1, 0"),
    )
    action_hint = models.CharField(_("what to do"), max_length=300)

    class Meta:
        verbose_name = _("alert policy")
        verbose_name_plural = _("alert policies")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()

    def clean(self) -> None:
        from recovery.alerting.thresholds import parse_thresholds

        try:
            self.thresholds = ", ".join(map(str, parse_thresholds(self.thresholds or "")))
        except ValueError as problem:
            raise ValidationError({"thresholds": str(problem)}) from problem

    @property
    def threshold_days(self) -> tuple[int, ...]:
        from recovery.alerting.thresholds import parse_thresholds

        return parse_thresholds(self.thresholds)


class AlertPreference(models.Model):
    """Each user's digest hour and language, and their private calendar-feed token. There is
    deliberately no switch to turn statutory-deadline alerts off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference"
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("daily digest at (hour, Asia/Shanghai)"),
        default=8,
        validators=[MaxValueValidator(23)],
    )
    language = models.CharField(
        _("language of alerts"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=_calendar_token, editable=False)

    class Meta:
        verbose_name = _("alert preference")
        verbose_name_plural = _("alert preferences")

    def __str__(self) -> str:
        return str(self.user)


class AlertRecipientRole(models.TextChoices):
    ASSIGNEE = "assignee", _("Assigned lawyer")
    MANAGER = "manager", _("Manager (escalation)")
    HEAD = "head", _("Head of recovery (overdue)")


class AlertStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    OBSOLETE = "obsolete", _("No longer relevant")


class Alert(models.Model):
    """One warning about one deadline date at one threshold for one person: claimed before
    sending and marked sent once the mail server accepted it, so it goes out exactly once.

    The deadline's date is part of its identity: when a fact moves the date (a delivered
    demand restarts the limitation), the new date is a new deadline to be warned about."""

    deadline = models.ForeignKey(
        Deadline, verbose_name=_("deadline"), on_delete=models.CASCADE, related_name="alerts"
    )
    act_by = models.DateField(_("act by"), validators=[validate_supported_date])
    threshold = models.SmallIntegerField(
        _("days before (−2 = lapse notice, −1 = overdue)"),
        validators=[MinValueValidator(-2), MaxValueValidator(3660)],
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="alerts"
    )
    recipient_role = models.CharField(_("sent as"), max_length=10, choices=AlertRecipientRole.choices)
    immediate = models.BooleanField(_("immediate"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.PENDING
    )
    planned_on = models.DateField(_("planned on"), validators=[validate_supported_date])
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, validators=[MaxValueValidator(10000)]
    )
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("deadline alert")
        verbose_name_plural = _("deadline alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "act_by", "threshold", "recipient"], name="unique_alert_per_threshold"
            )
        ]
        indexes = [models.Index(fields=["recipient", "status"], name="alert_recipient_status")]

    def __str__(self) -> str:
        return f"{self.deadline} → {self.recipient} ({self.threshold})"
