"""Document templates in the admin (reference data: managers and the head keep them, every role
reads them), their preview on a case, and the documents generated on the case page."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.snippets.views.snippets import SnippetViewSet

from documents import services
from documents.admin.forms import DocumentTemplateForm, GenerateDocumentForm, TemplatePreviewForm
from documents.models import DocumentTemplate, DocumentTemplateVersion
from documents.selectors import case_generated_documents, generated_documents_visible_to
from recovery.admin.base import ServiceCreateView, ServiceEditView, ServiceViewSetMixin, _add_form_error
from recovery.lib.files import content_disposition, record_file_download
from recovery.lib.links import case_path
from recovery.models import Case
from recovery.selectors.access import can_view_personal_data, cases_editable_by, cases_visible_to
from recovery.services import RecoveryError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# --- templates --------------------------------------------------------------------------------


class TemplateCreateView(ServiceCreateView):
    def save_instance(self) -> Any:
        instance = self.form.save(commit=False)
        self.call_service(instance, file=self.form.cleaned_data["file"])
        return instance


class TemplateEditView(ServiceEditView):
    def save_instance(self) -> Any:
        instance = self.form.save(commit=False)
        self.call_service(instance, file=self.form.cleaned_data.get("file"))
        return instance


class VersionColumn(Column):
    cell_template_name = "documents/admin/version_cell.html"

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict:
        context = super().get_cell_context_data(instance, parent_context)
        version = instance.current_version
        context["version"] = version
        context["url"] = reverse("documents_template_version_download", args=[version.pk]) if version else ""
        context["preview_url"] = reverse("documents_template_preview", args=[instance.pk])
        return context


class DocumentTemplateViewSet(ServiceViewSetMixin, SnippetViewSet):
    """Reference data: every role reads the templates, managers and the head keep them. A
    template is retired (inactive), never deleted: documents name the version they came from."""

    model = DocumentTemplate
    record_keyword = "document_template"
    create_service = staticmethod(services.document_template_add)
    update_service = staticmethod(services.document_template_update)
    add_view_class = TemplateCreateView
    edit_view_class = TemplateEditView
    delete_view_enabled = False
    copy_view_enabled = False
    base_form_class = DocumentTemplateForm
    icon = "doc-full"
    menu_label = gettext_lazy("Document templates")
    menu_order = 160
    add_to_admin_menu = True
    list_display = [
        "name",
        Column("kind", label=gettext_lazy("Kind"), accessor="get_kind_display", sort_key="kind"),
        "court",
        "branch",
        "active",
        VersionColumn("version", label=gettext_lazy("Current version")),
    ]
    list_filter = ["kind", "active"]
    search_fields = ["name", "court"]
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("kind")]),
        FieldRowPanel([FieldPanel("court"), FieldPanel("branch"), FieldPanel("active")]),
        FieldPanel("file"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return DocumentTemplate.objects.select_related("branch").prefetch_related("versions")

    def get_edit_handler(self) -> Any:
        # The form adds the upload (not a model field) and checks the template as it arrives.
        return ObjectList(self.panels, base_form_class=self.base_form_class).bind_to_model(self.model)

    def get_common_view_kwargs(self, **kwargs: Any) -> dict:
        return super().get_common_view_kwargs(**{"delete_url_name": None, **kwargs})

    def get_urlpatterns(self) -> list:
        return [p for p in super().get_urlpatterns() if p.name != "delete"]

    def register_chooser_viewset(self) -> None:
        return None


def template_version_download(request: HttpRequest, pk: int) -> Any:
    """A template's .docx (no personal data: reference data every role reads)."""
    if not request.user.has_perm("documents.view_documenttemplateversion"):
        raise PermissionDenied
    return record_file_download(
        DocumentTemplateVersion.objects.all(), pk, field="file", name_field="original_name"
    )


class DocumentFormView(WagtailAdminTemplateMixin, FormView):
    template_name = "documents/admin/document_form.html"
    header_icon = "doc-full"
    submit_label = ""

    def get_context_data(self, **kwargs: Any) -> dict:
        return {
            **super().get_context_data(**kwargs),
            "submit_label": self.submit_label,
            "cancel_url": self.cancel_url,
        }

    cancel_url = ""

    def get_breadcrumbs_items(self) -> list:
        # Without an item of its own the slim header reads "Home": end the trail with the page.
        return [*super().get_breadcrumbs_items(), {"url": "", "label": self.get_page_title()}]


class TemplatePreviewView(DocumentFormView):
    """The template's current version filled for one of the user's cases, downloaded and not
    kept. Needs the right to see personal data, like every document."""

    form_class = TemplatePreviewForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm("documents.view_documenttemplate"):
            raise PermissionDenied
        if not can_view_personal_data(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def template(self) -> DocumentTemplate:
        return get_object_or_404(DocumentTemplate, pk=self.kwargs["pk"])

    def get_page_title(self) -> str:
        return _("Preview %(template)s") % {"template": self.template}

    @property
    def submit_label(self) -> str:  # type: ignore[override]
        return _("Download the preview")

    @property
    def cancel_url(self) -> str:  # type: ignore[override]
        return reverse("wagtailsnippets_documents_documenttemplate:list")

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form: TemplatePreviewForm) -> HttpResponse:
        version = self.template.current_version
        if version is None:
            form.add_error(None, _("This template has no uploaded file yet."))
            return self.form_invalid(form)
        case = form.cleaned_data["case"]
        try:
            data = services.document_render(
                case=case,
                version=version,
                as_of=form.cleaned_data["as_of"],
                court=form.cleaned_data["court"],
                user=self.request.user,
            )
        except RecoveryError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        name = services.document_file_name(
            case=case, template=self.template, as_of=form.cleaned_data["as_of"]
        )
        response = HttpResponse(data, content_type=DOCX)
        response["Content-Disposition"] = content_disposition(name)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# --- generated documents ----------------------------------------------------------------------


def _may_generate(user: Any) -> bool:
    return user.has_perm("recovery.change_case") and can_view_personal_data(user)


class GenerateDocumentView(DocumentFormView):
    """生成文书: a template, a court and a date; the document is kept on the case."""

    form_class = GenerateDocumentForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        get_object_or_404(cases_visible_to(request.user), pk=kwargs["pk"])
        if not _may_generate(request.user):
            raise PermissionDenied
        if not cases_editable_by(request.user).filter(pk=kwargs["pk"]).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def case(self) -> Case:
        return Case.objects.get(pk=self.kwargs["pk"])

    def get_page_title(self) -> str:
        return _("Generate a document")

    def get_page_subtitle(self) -> str:
        return self.case.number

    @property
    def submit_label(self) -> str:  # type: ignore[override]
        return _("Generate")

    @property
    def cancel_url(self) -> str:  # type: ignore[override]
        return case_path(self.case.pk)

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "case": self.case}

    def form_valid(self, form: GenerateDocumentForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            document = services.document_generate(
                case=self.case,
                template=data["template"],
                as_of=data["as_of"],
                court=data["court"],
                user=self.request.user,
            )
        except (RecoveryError, ValidationError) as error:
            _add_form_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(document)s generated.") % {"document": document})
        return HttpResponseRedirect(case_path(self.case.pk))


def generated_document_download(request: HttpRequest, pk: int) -> Any:
    """A generated document, only to users who see its case and may see personal data."""
    return record_file_download(
        generated_documents_visible_to(request.user), pk, field="file", name_field="file_name"
    )


def register_document_urls() -> list:
    return [
        path(
            "court-documents/template-file/<int:pk>/",
            template_version_download,
            name="documents_template_version_download",
        ),
        path(
            "court-documents/template/<int:pk>/preview/",
            TemplatePreviewView.as_view(),
            name="documents_template_preview",
        ),
        path(
            "court-documents/case/<int:pk>/generate/",
            GenerateDocumentView.as_view(),
            name="documents_generate",
        ),
        path(
            "court-documents/generated/<int:pk>/",
            generated_document_download,
            name="documents_generated_download",
        ),
    ]


# --- the case page ------------------------------------------------------------------------------


def documents_section(case: Case, request: Any) -> str:
    """文书: the case's generated documents, with their downloads for those who may see them."""
    may_see = can_view_personal_data(request.user)
    return render_to_string(
        "documents/admin/case_section.html",
        {
            "case": case,
            "documents": case_generated_documents(case),
            "may_download": may_see,
            "can_generate": _may_generate(request.user)
            and cases_editable_by(request.user).filter(pk=case.pk).exists(),
        },
        request=request,
    )
