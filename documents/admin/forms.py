"""The forms of document templates and of generating a document."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateInput

from documents.models import DocumentTemplate
from documents.selectors import templates_for_case
from documents.services import template_file_check
from recovery.models import Case
from recovery.selectors.access import cases_visible_to
from recovery.services import RecoveryError


class DocumentTemplateForm(WagtailAdminModelForm):
    """The template's details and a .docx: required for a new template, optional on edit
    (an upload there is the template's next version). The file is checked as it arrives, so a
    refused template shows its problem on the field and nothing is stored."""

    file = forms.FileField(
        label=_("Template file (.docx)"),
        required=False,
        help_text=_("Uploading a file makes it the template's next version; earlier versions are kept."),
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data.get("file")
        if not file:
            if self.instance.pk is None:
                raise forms.ValidationError(_("Upload the template's .docx file."))
            return None
        try:
            template_file_check(file)
        except RecoveryError as error:
            raise forms.ValidationError(error.message) from None
        return file


class _DocumentOptionsForm(forms.Form):
    as_of = forms.DateField(
        label=_("Amounts as of"),
        widget=AdminDateInput,
        help_text=_("The date the claim's amounts are stated at (today if blank)."),
        required=False,
    )
    court = forms.CharField(label=_("Court"), max_length=200, required=False)

    def clean_as_of(self) -> Any:
        return self.cleaned_data.get("as_of") or timezone.localdate()


class TemplatePreviewForm(_DocumentOptionsForm):
    """A case of the user's to render the template for, downloaded and not kept."""

    case = forms.ModelChoiceField(label=_("Case"), queryset=Case.objects.none())
    field_order = ["case", "as_of", "court"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases_visible_to(user).order_by("number")


class GenerateDocumentForm(_DocumentOptionsForm):
    """An active template (the case's branch's variants first), a court and a date."""

    template = forms.ModelChoiceField(label=_("Template"), queryset=DocumentTemplate.objects.none())
    field_order = ["template", "court", "as_of"]

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates_for_case(case)
