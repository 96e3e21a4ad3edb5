"""Lawsuits and what follows them: hearings, judgments, enforcement."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.lib.validators import future_fact_errors, validate_supported_date
from recovery.models import MONEY, Case, before_disbursement_error


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
