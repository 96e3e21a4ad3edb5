"""Lawsuits and what follows them: hearings, judgments, enforcement."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.lib.files import FileSignatureValidator, PrivateUploadTo
from recovery.lib.validators import future_fact_errors, validate_supported_date, validate_upload_size
from recovery.models import MONEY, ApprovalRequest, Case, Loan, before_disbursement_error


class Stage(models.TextChoices):
    FILED = "filed", _("Filed")
    ACCEPTED = "accepted", _("Accepted")
    HEARING = "hearing", _("Hearing")
    JUDGMENT = "judgment", _("Judgment / mediation")
    APPEAL = "appeal", _("Appeal")
    EFFECTIVE = "effective", _("Effective")
    ENFORCEMENT = "enforcement", _("Enforcement")
    ROUND_CLOSED = "round_closed", _("Enforcement round closed (终本)")
    CONCLUDED = "concluded", _("Concluded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LitigationDeadlineKind(models.TextChoices):
    """Litigation's kinds of deadline, registered with recovery (stored in Deadline.kind)."""

    ENFORCEMENT = "enforcement", _("Enforcement application period")
    APPEAL_JUDGMENT = "appeal_judgment", _("Appeal against a judgment")
    APPEAL_RULING = "appeal_ruling", _("Appeal against a ruling")
    # 呆账办法 art. 19: responsibility for a loss caused by fault, within 2 years of write-off.
    WRITE_OFF_FAULT = "write_off_fault", _("Fault determination after a write-off")


class Lawsuit(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="lawsuits")
    court = models.CharField(_("court"), max_length=120)
    court_case_number = models.CharField(
        _("court case number"), max_length=60, blank=True, help_text=_("e.g. (2024)沪0115民初12345号")
    )
    cause_of_action = models.CharField(_("cause of action"), max_length=120)
    claim_amount = models.DecimalField(
        _("claim amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    filed_on = models.DateField(_("filed on"), validators=[validate_supported_date])
    accepted_on = models.DateField(
        _("accepted on"), null=True, blank=True, validators=[validate_supported_date]
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.FILED)
    ended_on = models.DateField(
        _("proceedings ended on"),
        null=True,
        blank=True,
        help_text=_("Withdrawal, dismissal or conclusion."),
        validators=[validate_supported_date],
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lawsuit")
        verbose_name_plural = _("lawsuits")
        ordering = ["-filed_on", "-id"]

    def __str__(self) -> str:
        return self.court_case_number or f"{self.court} {self.filed_on}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.accepted_on and self.filed_on and self.accepted_on < self.filed_on:
            errors["accepted_on"] = _("A suit cannot be accepted before it was filed.")
        if self.ended_on and self.filed_on and self.ended_on < self.filed_on:
            errors["ended_on"] = _("Proceedings cannot end before the suit was filed.")
        for name, error in future_fact_errors(self, ("filed_on", "accepted_on", "ended_on")).items():
            errors.setdefault(name, error)
        if "filed_on" not in errors and self.case_id:
            error = before_disbursement_error(self.filed_on, self.case_id)
            if error:
                errors["filed_on"] = error
        if errors:
            raise ValidationError(errors)


class Hearing(models.Model):
    case_via = "lawsuit"  # it reaches its case through its lawsuit (recovery.registry)
    lawsuit = models.ForeignKey(
        Lawsuit, verbose_name=_("lawsuit"), on_delete=models.CASCADE, related_name="hearings"
    )
    date = models.DateField(_("date"), validators=[validate_supported_date])
    time = models.TimeField(_("time"), null=True, blank=True)
    courtroom = models.CharField(_("courtroom"), max_length=60, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")
        ordering = ["date", "time"]

    def __str__(self) -> str:
        return f"{self.lawsuit} {self.date}"

    def clean(self) -> None:
        # A hearing is planned, so it may lie ahead; but never before the suit was filed.
        if self.lawsuit_id and self.date and self.date < self.lawsuit.filed_on:
            raise ValidationError(
                {
                    "date": _("A hearing cannot be before the suit was filed (%(d)s).")
                    % {"d": self.lawsuit.filed_on}
                }
            )


class JudgmentKind(models.TextChoices):
    JUDGMENT = "judgment", _("Judgment")
    MEDIATION = "mediation", _("Mediation statement")
    RULING = "ruling", _("Ruling")


class Judgment(models.Model):
    case_via = "lawsuit"  # it reaches its case through its lawsuit (recovery.registry)
    lawsuit = models.ForeignKey(
        Lawsuit, verbose_name=_("lawsuit"), on_delete=models.CASCADE, related_name="judgments"
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=JudgmentKind.choices, default=JudgmentKind.JUDGMENT
    )
    served_on = models.DateField(_("served on"), validators=[validate_supported_date])
    effective_on = models.DateField(
        _("effective on"), null=True, blank=True, validators=[validate_supported_date]
    )
    amount_awarded = models.DecimalField(
        _("amount awarded"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    performance_deadline = models.DateField(
        _("performance deadline"), null=True, blank=True, validators=[validate_supported_date]
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("judgment")
        verbose_name_plural = _("judgments")
        ordering = ["-served_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.served_on}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.effective_on and self.served_on and self.effective_on < self.served_on:
            errors["effective_on"] = _("A judgment cannot take effect before it was served.")
        for name, error in future_fact_errors(self, ("served_on", "effective_on")).items():
            errors.setdefault(name, error)
        if self.lawsuit_id and self.served_on and self.served_on < self.lawsuit.filed_on:
            errors.setdefault(
                "served_on",
                _("A judgment cannot be served before its suit was filed (%(d)s).")
                % {"d": self.lawsuit.filed_on},
            )
        if errors:
            raise ValidationError(errors)


class Enforcement(models.Model):
    case_via = "lawsuit"  # it reaches its case through its lawsuit (recovery.registry)
    lawsuit = models.ForeignKey(
        Lawsuit, verbose_name=_("lawsuit"), on_delete=models.CASCADE, related_name="enforcements"
    )
    applied_on = models.DateField(_("applied on"), validators=[validate_supported_date])
    enforcement_case_number = models.CharField(_("enforcement case number"), max_length=60, blank=True)
    round_closed_on = models.DateField(
        _("round closed (终本) on"), null=True, blank=True, validators=[validate_supported_date]
    )
    concluded_on = models.DateField(
        _("concluded on"), null=True, blank=True, validators=[validate_supported_date]
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("enforcement")
        verbose_name_plural = _("enforcements")
        ordering = ["-applied_on"]

    def __str__(self) -> str:
        return self.enforcement_case_number or f"{self.lawsuit} {self.applied_on}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.round_closed_on and self.applied_on and self.round_closed_on < self.applied_on:
            errors["round_closed_on"] = _("The round cannot close before enforcement was applied for.")
        if self.concluded_on and self.applied_on and self.concluded_on < self.applied_on:
            errors["concluded_on"] = _("Enforcement cannot conclude before it was applied for.")
        for name, error in future_fact_errors(
            self, ("applied_on", "round_closed_on", "concluded_on")
        ).items():
            errors.setdefault(name, error)
        if self.lawsuit_id and self.applied_on and "applied_on" not in errors:
            # What is enforced is an effective judgment (CPL 250 counts the application period
            # from it): not before the first one of this suit took effect, when one is recorded.
            effective = self.lawsuit.judgments.filter(effective_on__isnull=False).aggregate(
                first=models.Min("effective_on")
            )["first"]
            if effective and self.applied_on < effective:
                errors["applied_on"] = _(
                    "Enforcement cannot be applied for before the judgment took effect (%(d)s)."
                ) % {"d": effective}
            elif self.applied_on < self.lawsuit.filed_on:
                errors["applied_on"] = _(
                    "Enforcement cannot be applied for before the suit was filed (%(d)s)."
                ) % {"d": self.lawsuit.filed_on}
        if errors:
            raise ValidationError(errors)


# --- write-off (呆账核销) and complete termination (完全终结), law.md §8 ---------------------------

EVIDENCE_FILE_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "heic", "tif", "tiff", "docx", "xlsx"]
EVIDENCE_FILE_KINDS = ("pdf", "jpeg", "png", "heic", "tiff", "docx", "xlsx")


class WriteOffGround(models.Model):
    """Reference data: a ground a write-off may rest on (呆账办法 art. 5 and annex 1, arts 9–10),
    with the evidence items it needs, one per line. Seeded with the grounds law.md §8.2 reads;
    the head of recovery adds or changes others, which stay marked unverified until checked."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    article = models.CharField(_("article"), max_length=100)
    verified = models.BooleanField(
        _("verified"), default=False, help_text=_("The rule was checked against the official text.")
    )
    cross_default = models.BooleanField(
        _("relies on another debt's ruling"),
        default=False,
        help_text=_("Arts 9–10: another debt of the borrower obtained a 终本 or termination ruling."),
    )
    evidence_items = models.TextField(_("evidence items"), help_text=_("One required item per line."))
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0, validators=[MaxValueValidator(9999)])

    class Meta:
        verbose_name = _("write-off ground")
        verbose_name_plural = _("write-off grounds")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        label = f"{self.name}（{self.article}）"
        return label if self.verified else f"{label} [{_('unverified')}]"

    @property
    def evidence_list(self) -> list[str]:
        return [line.strip() for line in self.evidence_items.splitlines() if line.strip()]

    def clean(self) -> None:
        if not self.evidence_list:
            raise ValidationError({"evidence_items": _("Name at least one evidence item.")})


class WriteOff(ApprovalRequest):
    """A request to write off a loan (or every open loan of a case) as a bad debt: approved by
    amount, after which the loans are written off but still pursued (账销案存, art. 14)."""

    approval_kind = "write_off"
    approval_service = "litigation.services.write_off_approve"

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="write_offs"
    )
    loan = models.ForeignKey(
        Loan,
        verbose_name=_("loan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="write_offs",
        help_text=_("Empty: every open loan of the case."),
    )
    # Not `ground`: the core may say "ground" (a termination's) without naming this app.
    write_off_ground = models.ForeignKey(
        WriteOffGround, verbose_name=_("ground"), on_delete=models.PROTECT, related_name="write_offs"
    )
    cross_default_enforcement = models.ForeignKey(
        Enforcement,
        verbose_name=_("ruling relied on (终本 of another debt)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Arts 9–10: the enforcement of the borrower's other debt whose round was closed."),
    )
    principal = models.DecimalField(
        _("principal written off"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    interest = models.DecimalField(
        _("interest written off"),
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Interest and penalty interest."),
        **MONEY,
    )
    total = models.DecimalField(_("total written off"), editable=False, default=Decimal("0"), **MONEY)
    legal_opinion = models.TextField(
        _("legal opinion"), help_text=_("Art. 8: the litigation, or why there was none.")
    )
    fault_suspected = models.BooleanField(
        _("loss attributable to fault"),
        default=False,
        help_text=_("Art. 19: responsibility must then be determined within 2 years of the write-off."),
    )
    written_off_on = models.DateField(
        _("written off on"), null=True, blank=True, editable=False, validators=[validate_supported_date]
    )
    fault_determined_on = models.DateField(
        _("fault determined on"), null=True, blank=True, editable=False, validators=[validate_supported_date]
    )
    fault_determination = models.TextField(_("fault determination"), blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        what = self.loan.contract_no if self.loan_id else _("all open loans")
        return f"{_('Write-off')} {self.case.number} {what}" if self.case_id else str(_("Write-off"))

    def approval_amount(self) -> Decimal:
        return self.principal + self.interest

    @property
    def loans_label(self) -> str:
        """The loan written off, or "all open loans" (the export's column)."""
        return self.loan.contract_no if self.loan_id else str(_("all open loans"))


class EvidenceFile(models.Model):
    """Abstract: a private evidence file of a request, stored under a random name and served
    only by the access-checked download (recovery.lib.files)."""

    item = models.CharField(_("evidence item"), max_length=300)
    file = models.FileField(
        _("file"),
        upload_to=PrivateUploadTo("litigation", name_field="original_name"),
        validators=[
            FileExtensionValidator(EVIDENCE_FILE_EXTENSIONS),
            validate_upload_size,
            FileSignatureValidator(EVIDENCE_FILE_KINDS),
        ],
    )
    # Declared after file: the upload_to above fills it in during the same save.
    original_name = models.CharField(_("file name"), max_length=255, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,  # the uploader, set by the service
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.item}: {self.original_name or self.file.name}"


class WriteOffEvidence(EvidenceFile):
    case_via = "write_off"  # it reaches its case through its write-off (recovery.registry)
    write_off = models.ForeignKey(
        WriteOff, verbose_name=_("write-off"), on_delete=models.CASCADE, related_name="evidence"
    )

    class Meta:
        verbose_name = _("write-off evidence")
        verbose_name_plural = _("write-off evidence")
        ordering = ["write_off", "item", "-uploaded_at"]


class TerminationGround(models.TextChoices):
    """呆账办法 art. 16: when a written-off debt leaves 账销案存 management."""

    MERGER_BANKRUPTCY_PLAN = (
        "merger_bankruptcy_plan",
        _("(一) Written off under the national merger and bankruptcy plan"),
    )
    STATE_COUNCIL = "state_council", _("(二) Written off with State Council case approval")
    COURT_TERMINATED = "court_terminated", _("(三) Enforcement terminated or borrower held not liable")
    REORGANISATION_PERFORMED = (
        "reorganisation_performed",
        _("(四) Reorganisation or composition fully performed"),
    )
    BANKRUPTCY_TERMINATED = (
        "bankruptcy_terminated",
        _("(五) More than 2 years since the bankruptcy was terminated"),
    )
    MARKET_DISPOSAL = "market_disposal", _("(六) Market disposal performed by the counterparty")
    DISMISSED_OR_TIME_BARRED = (
        "dismissed_or_time_barred",
        _("(七) Dismissed or time-barred, and 2 or more years of remedial efforts failed"),
    )
    OTHER_LAWFUL = "other_lawful", _("(八) Other lawful termination")


class CompleteTermination(ApprovalRequest):
    """A request to remove a written-off loan from 账销案存 management (art. 16): approved by
    amount, after which the loan's deadlines stop."""

    approval_kind = "complete_termination"
    approval_service = "litigation.services.complete_termination_approve"

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="complete_terminations"
    )
    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="complete_terminations"
    )
    ground = models.CharField(_("ground"), max_length=30, choices=TerminationGround.choices)
    ground_date = models.DateField(
        _("ground date"),
        null=True,
        blank=True,
        validators=[validate_supported_date],
        help_text=_(
            "(五) the ruling that terminated the bankruptcy; (七) the dismissal or the expiry of limitation."
        ),
    )
    opinion = models.TextField(_("reason and opinion"))
    eligible_on = models.DateField(
        _("eligible on"), null=True, blank=True, editable=False, validators=[validate_supported_date]
    )
    terminated_on = models.DateField(
        _("terminated on"), null=True, blank=True, editable=False, validators=[validate_supported_date]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("complete termination")
        verbose_name_plural = _("complete terminations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        if not self.loan_id:
            return str(_("Complete termination"))
        return f"{_('Complete termination')} {self.loan.contract_no}"

    def approval_amount(self) -> Decimal:
        # What the books wrote off on this loan (zero while it is not written off).
        loan = self.loan
        return (loan.written_off_principal or Decimal("0")) + (loan.written_off_interest or Decimal("0"))


class CompleteTerminationEvidence(EvidenceFile):
    case_via = "complete_termination"  # it reaches its case through its request (recovery.registry)
    complete_termination = models.ForeignKey(
        CompleteTermination,
        verbose_name=_("complete termination"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )

    class Meta:
        verbose_name = _("complete termination evidence")
        verbose_name_plural = _("complete termination evidence")
        ordering = ["complete_termination", "item", "-uploaded_at"]
