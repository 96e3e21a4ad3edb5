"""Hand-over import runs: the uploaded file, its phases and their outcome."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.lib.files import PrivateUploadTo


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


class LoanImportDigest(models.Model):
    """What the hand-over import last created a loan from: a digest of the row's cells and of
    the docket state that row left (the loan's values, its case's assignee, the debtor's
    contacts, its guarantees and collateral). A re-import whose every row still matches its
    digest has nothing to write, and skips the checks that would find so. Bookkeeping, not
    docket data: not audited, gone with its loan."""

    loan = models.OneToOneField(
        "recovery.Loan", on_delete=models.CASCADE, related_name="import_digest", verbose_name=_("loan")
    )
    digest = models.CharField(_("digest"), max_length=80)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("loan import digest")
        verbose_name_plural = _("loan import digests")

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.digest}"
