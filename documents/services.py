"""Writes of document templates and generated documents: validated, audited, in one
transaction. Template files and documents are stored under MEDIA_ROOT/document_templates/ and
MEDIA_ROOT/generated_documents/ and leave the server only through access-checked views."""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jinja2 import meta

from documents.context import case_document_context
from documents.engine import DOCUMENT_NAMES, ENVIRONMENT, CompiledTemplate, TemplateProblem, compile_template
from documents.models import DocumentTemplate, DocumentTemplateVersion, GeneratedDocument
from recovery.lib.audit import AuditKind, audit_action, audit_change, audit_create, snapshot
from recovery.lib.files import validate_file_signature
from recovery.models import Case
from recovery.selectors.access import can_view_personal_data, cases_editable_by
from recovery.services import RecoveryError

DOCUMENT_TEMPLATE_ADDED = audit_action(
    "documents.template.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Add a document template"),
    past_label=gettext_lazy("Document template added"),
)
DOCUMENT_TEMPLATE_UPDATED = audit_action(
    "documents.template.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a document template"),
    past_label=gettext_lazy("Document template edited"),
)
DOCUMENT_TEMPLATE_VERSION_UPLOADED = audit_action(
    "documents.template_version.uploaded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Upload a new version of a document template"),
    past_label=gettext_lazy("Document template version uploaded"),
)
DOCUMENT_GENERATED = audit_action(
    "documents.document.generated",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Generate a document for a case"),
    past_label=gettext_lazy("Document generated"),
)


def _actor(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _may_keep_templates(user: Any) -> None:
    if user is not None and not user.has_perm("documents.change_documenttemplate"):
        raise RecoveryError(_("Only managers and the head of recovery keep document templates."))


def names_used(template: CompiledTemplate) -> list[str]:
    """The document names (document-templates.md) the template's placeholders read, sorted."""
    used: set[str] = set()
    for part in template.parts:
        source = "".join(tag.jinja() for tag in part.tags)
        used |= meta.find_undeclared_variables(ENVIRONMENT.parse(source))
    return sorted(used & DOCUMENT_NAMES)


def template_file_check(file: Any) -> CompiledTemplate:
    """An uploaded template, checked as a .docx and compiled; RecoveryError on the `file`
    field naming the problem and, for a placeholder, where it stands."""
    try:
        validate_file_signature(file, ["docx"])
    except ValidationError as error:
        raise RecoveryError(" ".join(error.messages), field="file") from None
    file.seek(0)
    data = file.read()
    file.seek(0)
    try:
        return compile_template(data)
    except TemplateProblem as problem:
        raise RecoveryError(
            _("The template cannot be used: %(problem)s") % {"problem": problem}, field="file"
        ) from None


def _add_version(*, template: DocumentTemplate, file: Any, user: Any, source: str) -> DocumentTemplateVersion:
    compiled = template_file_check(file)
    # Locks the template's row: two uploads at once get consecutive numbers.
    DocumentTemplate.objects.select_for_update().get(pk=template.pk)
    last = template.versions.aggregate(last=Max("number"))["last"] or 0
    version = DocumentTemplateVersion(
        template=template, number=last + 1, names_used=names_used(compiled), uploaded_by=_actor(user)
    )
    version.file = file
    version.full_clean()
    version.save()
    audit_create(version, user=user, source=source, action=DOCUMENT_TEMPLATE_VERSION_UPLOADED)
    return version


@transaction.atomic
def document_template_add(
    *, document_template: DocumentTemplate, file: Any, user: Any, source: str = ""
) -> DocumentTemplate:
    """A new template with its first version (`file`, a .docx checked before anything is kept)."""
    _may_keep_templates(user)
    if not file:
        raise RecoveryError(_("Upload the template's .docx file."), field="file")
    template_file_check(file)
    document_template.full_clean()
    document_template.save()
    audit_create(document_template, user=user, source=source, action=DOCUMENT_TEMPLATE_ADDED)
    _add_version(template=document_template, file=file, user=user, source=source)
    return document_template


@transaction.atomic
def document_template_update(
    *, document_template: DocumentTemplate, file: Any = None, user: Any, source: str = ""
) -> dict:
    """Change a template's name, kind, court, branch or activity; a `file` given is its next
    version (earlier versions stay, for the documents generated from them)."""
    _may_keep_templates(user)
    if file:
        template_file_check(file)
    before = snapshot(DocumentTemplate.objects.get(pk=document_template.pk))
    document_template.full_clean()
    document_template.save()
    changes = audit_change(
        document_template, user=user, before=before, source=source, action=DOCUMENT_TEMPLATE_UPDATED
    )
    if file:
        _add_version(template=document_template, file=file, user=user, source=source)
    return changes


def document_render(
    *, case: Case, version: DocumentTemplateVersion, as_of: date, court: str, user: Any
) -> bytes:
    """The filled .docx of `version` for `case`; RecoveryError naming the template's place when the
    case lacks what the template needs, PermissionDenied without the personal-data right."""
    if user is not None and not can_view_personal_data(user):
        raise PermissionDenied
    with version.file.open("rb") as handle:
        data = handle.read()
    try:
        return compile_template(data).render(
            case_document_context(case.pk, user=user, as_of=as_of, court=court)
        )
    except TemplateProblem as problem:
        raise RecoveryError(
            _("%(template)s cannot be filled for this case: %(problem)s")
            % {"template": version.template.name, "problem": problem},
            field="template",
        ) from None


def document_file_name(*, case: Case, template: DocumentTemplate, as_of: date) -> str:
    return f"{template.name}-{case.number}-{as_of.isoformat()}.docx"


@transaction.atomic
def document_generate(
    *, case: Case, template: DocumentTemplate, as_of: date, court: str, user: Any, source: str = ""
) -> GeneratedDocument:
    """Render `template`'s current version for `case` and keep the document on the case.
    The user must be able to change the case and see personal data; nothing is stored when the
    template cannot be filled."""
    if user is not None:
        if not cases_editable_by(user).filter(pk=case.pk).exists():
            raise RecoveryError(_("You may not change this case."), field="case")
        if not can_view_personal_data(user):
            raise RecoveryError(_("Generating a document needs the right to see personal data."))
    if not template.active:
        raise RecoveryError(_("This template is no longer in use."), field="template")
    version = template.current_version
    if version is None:
        raise RecoveryError(_("This template has no uploaded file yet."), field="template")
    name = document_file_name(case=case, template=template, as_of=as_of)
    document = GeneratedDocument(
        case=case, template_version=version, as_of=as_of, court=court, file_name=name, created_by=_actor(user)
    )
    document.full_clean(exclude=["file"])  # a date out of range, a court name too long
    data = document_render(case=case, version=version, as_of=as_of, court=court, user=user)
    document.file.save(name, ContentFile(data), save=False)
    try:
        document.save()
        audit_create(document, user=user, source=source, action=DOCUMENT_GENERATED, case_id=case.pk)
    except Exception:
        document.file.delete(save=False)  # nothing half-written: no file without its record
        raise
    return document
