"""Court documents from .docx templates (document-templates.md): the templates the firm keeps,
each upload a new version, and the documents generated on a case."""

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.lib.files import FileSignatureValidator, PrivateUploadTo
from recovery.lib.validators import validate_supported_date, validate_upload_size
from recovery.models import Branch, Case


class DocumentKind(models.TextChoices):
    COMPLAINT = "complaint", _("Civil complaint (民事起诉状)")
    PRESERVATION = "preservation", _("Property preservation application (财产保全申请书)")
    ENFORCEMENT = "enforcement", _("Enforcement application (强制执行申请书)")
    RENEWAL = "renewal", _("Renewal of seizure or freeze (续行查封（冻结）申请书)")
    DISTRIBUTION = "distribution", _("Participation in distribution (参与分配申请书)")
    CLAIM_FILING = "claim_filing", _("Proof of claim (债权申报书)")
    DEMAND_LETTER = "demand_letter", _("Demand letter (催收通知书)")
    OTHER = "other", _("Other")


class DocumentTemplate(models.Model):
    """A kind of document in the firm's format; a variant for a court or a branch names it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    court = models.CharField(
        _("court"), max_length=200, blank=True, help_text=_("For a court's own format; blank for any court.")
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document_templates",
        help_text=_("For one branch's cases; blank for every branch."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def current_version(self) -> "DocumentTemplateVersion | None":
        return self.versions.order_by("-number").first()


class DocumentTemplateVersion(models.Model):
    """One uploaded .docx of a template: never changed, a new upload is a new number."""

    template = models.ForeignKey(
        DocumentTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"), validators=[MaxValueValidator(1_000_000)])
    file = models.FileField(
        _("template file"),
        upload_to=PrivateUploadTo("document_templates", name_field="original_name"),
        validators=[FileExtensionValidator(["docx"]), validate_upload_size, FileSignatureValidator(["docx"])],
    )
    original_name = models.CharField(_("file name"), max_length=255, blank=True, editable=False)
    names_used = models.JSONField(_("names used"), default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="documents_one_number_per_template")
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class GeneratedDocument(models.Model):
    """A document rendered for a case, kept on it as it was handed to the court."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="generated_documents"
    )
    template_version = models.ForeignKey(
        DocumentTemplateVersion,
        verbose_name=_("template version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    as_of = models.DateField(_("as of"), validators=[validate_supported_date])
    court = models.CharField(_("court"), max_length=200, blank=True)
    file = models.FileField(_("file"), upload_to=PrivateUploadTo("generated_documents"))
    file_name = models.CharField(_("file name"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        ordering = ["case", "-created_at"]

    def __str__(self) -> str:
        return self.file_name
