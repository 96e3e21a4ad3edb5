"""Stored deadlines, their lapse decisions, and the holiday calendar years they count with."""

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.checks.dates import EARLIEST_SUPPORTED_DATE, LATEST_SUPPORTED_DATE
from recovery.lib.validators import validate_supported_date
from recovery.models.docket import Case, Party, PartyRole
from recovery.registry import KIND_VALUE_LENGTH, deadline_kind_choices


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
    """recovery's own kinds. Every kind, other apps' included, is registered in recovery.registry
    (recovery's in RecoveryConfig.ready): `Deadline.kind` takes its choices from there."""

    LIMITATION = "limitation", _("Limitation period")
    GUARANTEE_PERIOD = "guarantee_period", _("Guarantee period")
    GUARANTOR_LIMITATION = "guarantor_limitation", _("Limitation against the guarantor")
    MORTGAGE = "mortgage", _("Mortgage (within the main claim's limitation)")


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
    kind = models.CharField(_("kind"), max_length=KIND_VALUE_LENGTH, choices=deadline_kind_choices)
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
