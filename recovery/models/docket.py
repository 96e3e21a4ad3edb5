"""Branches, staff roles, parties, cases, loans, their parties and collateral: the docket itself."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.checks.identity import credit_code_error, normalize_id_number, resident_id_error
from recovery.lib.validators import future_fact_errors, validate_supported_date

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
# was closed (终本) can be enforced again once assets are found: both stay open. So does a
# written-off case: the loss leaves the books, not the docket (账销案存, 呆账办法第14条) — its
# limitation, guarantee periods and seizure renewals keep running and alerting.
OPEN_STATUSES = [
    CaseStatus.OPEN,
    CaseStatus.LITIGATION,
    CaseStatus.JUDGED,
    CaseStatus.ENFORCEMENT,
    CaseStatus.ROUND_CLOSED,
    CaseStatus.SUSPENDED,
    CaseStatus.WRITTEN_OFF,
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
        indexes = [
            models.Index(fields=["debtor", "branch"]),
            # The docket's order (Meta.ordering): a page of it reads the index, not a sort.
            models.Index(fields=["-opened_on", "-id"], name="case_docket_order"),
        ]

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
    # Written off (账销案存, 呆账办法 arts 4, 14): an accounting fact only. The claim lives on, its
    # balances and deadlines are untouched. Set by recovery.services.receipts.loan_write_off_mark.
    written_off_on = models.DateField(
        _("written off on"), null=True, editable=False, validators=[validate_supported_date]
    )
    written_off_principal = models.DecimalField(
        _("principal written off"), null=True, editable=False, **MONEY
    )
    written_off_interest = models.DecimalField(_("interest written off"), null=True, editable=False, **MONEY)
    write_off_reference = models.CharField(
        _("write-off reference"), max_length=40, blank=True, editable=False
    )
    # Completely terminated (完全终结, 呆账办法 art. 16): off the docket, no deadline runs any more.
    # Set by recovery.services.receipts.loan_terminate, only on a written-off loan.
    terminated_on = models.DateField(
        _("terminated on"), null=True, editable=False, validators=[validate_supported_date]
    )
    termination_reference = models.CharField(
        _("termination reference"), max_length=40, blank=True, editable=False
    )
    termination_ground = models.CharField(_("termination ground"), max_length=200, blank=True, editable=False)
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
    LEGATEE = "legatee", _("Legatee")
    ESTATE_ADMINISTRATOR = "estate_administrator", _("Estate administrator")
    CONTACT = "contact", _("Contact person")


class GuaranteeType(models.TextChoices):
    # CC 686: a guarantee whose type is not agreed is a general guarantee.
    GENERAL = "general", _("General guarantee")
    JOINT = "joint", _("Joint and several guarantee")


class CoGuarantorRecourse(models.TextChoices):
    """Whether a guarantor may recover from the loan's other guarantors (担保解释 13)."""

    NOT_RECORDED = "", _("Not recorded")
    AGREED = "agreed", _("Agreed recourse or a joint co-guarantee")
    SAME_CONTRACT = "same_contract", _("Signed the same contract as the others")
    NONE = "none", _("No recourse (separate contracts, nothing agreed)")


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
    co_guarantor_recourse = models.CharField(
        _("recourse against co-guarantors"),
        max_length=20,
        choices=CoGuarantorRecourse.choices,
        blank=True,
        default=CoGuarantorRecourse.NOT_RECORDED,
        help_text=_(
            "Only where the loan has several guarantors. A guarantor whose period lapsed is released, "
            "and those with recourse against him are released from his share (担保解释第13、29条)."
        ),
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
        elif (
            self.guarantee_type
            or self.guarantee_months
            or self.max_amount
            or self.signed_on
            or self.co_guarantor_recourse
        ):
            errors["guarantee_type"] = _(
                "A guarantee type, period, amount or date only applies to a guarantor."
            )
        if self.signed_on and self.signed_on > timezone.localdate():
            errors["signed_on"] = _("The guarantee cannot be signed after today.")
        if errors:
            raise ValidationError(errors)


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
