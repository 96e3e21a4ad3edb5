"""Deadline alerts: the policy, each user's preferences and calendar token, the alert rows."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.lib.validators import (
    validate_supported_date,
)
from recovery.models.deadlines import Deadline
from recovery.registry import KIND_VALUE_LENGTH, deadline_kind_choices


def _calendar_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class AlertPolicy(models.Model):
    """When to warn about one kind of deadline, and what to tell the lawyer to do."""

    kind = models.CharField(
        _("deadline kind"), max_length=KIND_VALUE_LENGTH, choices=deadline_kind_choices, unique=True
    )
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
        indexes = [
            models.Index(fields=["recipient", "status"], name="alert_recipient_status"),
            # A delivery reads and updates its claimed rows by their token.
            models.Index(fields=["claim_token"], name="alert_claim_token"),
        ]

    def __str__(self) -> str:
        return f"{self.deadline} → {self.recipient} ({self.threshold})"
