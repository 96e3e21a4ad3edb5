"""Write-offs (呆账核销) and complete terminations (完全终结) in the admin: the requests a lawyer
prepares and managers approve (recovery.admin.approvals), their evidence files (served only
through the access-checked download), the write-off grounds the head keeps, and the fault
determination of art. 19. Reads go through litigation.writeoff_selectors, writes through
litigation.writeoff_services."""

from datetime import timedelta
from typing import Any

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.models import WorkflowState
from wagtail.snippets.views.snippets import SnippetViewSet

from litigation import writeoff_services as services
from litigation.models import (
    CompleteTermination,
    CompleteTerminationEvidence,
    Enforcement,
    WriteOff,
    WriteOffEvidence,
    WriteOffGround,
)
from litigation.writeoff_selectors import (
    cross_default_rulings,
    grounds_offered,
    loans_outstanding,
    write_off_checklist,
    write_off_loans,
)
from recovery.admin.approvals import ApprovalEditViewMixin, ApprovalSnippetViewSetMixin
from recovery.admin.base import (
    CaseScopedForm,
    ScopedFilterSet,
    ScopedSnippetViewSet,
    ServiceCreateView,
    ServiceEditView,
    ServiceViewSetMixin,
)
from recovery.lib.files import record_file_download
from recovery.lib.links import case_path
from recovery.lib.masking import MaskedInspectView
from recovery.lib.validators import validate_supported_date
from recovery.models import Loan
from recovery.selectors.access import cases_editable_by, cases_visible_to
from recovery.services import RecoveryError

WRITE_OFF_URL_PREFIX = "wagtailsnippets_litigation_writeoff"


def _with_current(queryset: Any, form: CaseScopedForm, name: str) -> Any:
    """`queryset`, plus the value the record already holds (an edit never fails on it)."""
    current = form._stored_values(name)
    return queryset.model.objects.filter(Q(pk__in=queryset.values("pk")) | Q(pk__in=current))


# --- the requests' forms and views ----------------------------------------------------------------


class WriteOffForm(CaseScopedForm):
    """The case's open loans; the active grounds, the cross-default one only when another debt
    of the borrower has a round closed (终本) on the docket, whose rulings are the choices of
    the ruling relied on (the latest preselected)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case_id = self._case_id()
        case_id = case_id if case_id and case_id > 0 else None
        if "loan" in self.fields:
            loans = self.fields["loan"].queryset.filter(
                written_off_on__isnull=True, terminated_on__isnull=True
            )
            self.fields["loan"].queryset = _with_current(loans, self, "loan")
        # Opened without a case (from the menu), every active ground and every 终本 the user may
        # see are offered; once the case is known, only what applies to it (the service refuses
        # the rest, naming the field).
        unknown = case_id is None and not self.is_bound
        if "write_off_ground" in self.fields:
            grounds = (
                WriteOffGround.objects.filter(active=True)
                if unknown
                else grounds_offered(case_id=case_id, user=self.for_user)
            )
            self.fields["write_off_ground"].queryset = _with_current(grounds, self, "write_off_ground")
        if "cross_default_enforcement" in self.fields:
            rulings = (
                Enforcement.objects.filter(
                    round_closed_on__isnull=False,
                    lawsuit__case__in=cases_visible_to(self.for_user).order_by().values("pk"),
                )
                if unknown
                else cross_default_rulings(case_id=case_id, user=self.for_user)
            )
            self.fields["cross_default_enforcement"].queryset = _with_current(
                Enforcement.objects.filter(pk__in=rulings.values("pk")), self, "cross_default_enforcement"
            ).select_related("lawsuit__case")
            self.fields["cross_default_enforcement"].label_from_instance = _ruling_label
            latest = None if unknown else rulings.first()
            if latest is not None and not self.is_bound and not self.instance.pk:
                self.initial["cross_default_enforcement"] = latest.pk


def _ruling_label(enforcement: Enforcement) -> str:
    return _("%(case)s %(number)s, round closed (终本) %(day)s") % {
        "case": enforcement.lawsuit.case.number,
        "number": enforcement.enforcement_case_number or enforcement.lawsuit,
        "day": enforcement.round_closed_on,
    }


class CompleteTerminationForm(CaseScopedForm):
    """Only the case's written-off loans not yet terminated can be chosen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "loan" in self.fields:
            loans = self.fields["loan"].queryset.filter(
                written_off_on__isnull=False, terminated_on__isnull=True
            )
            self.fields["loan"].queryset = _with_current(loans, self, "loan")


class RequestViewMixin:
    """A request saved through its service is saved as a draft revision by it; submitting it
    for review first checks every rule, the evidence included (`submit_check`)."""

    submit_check: Any = None
    # Wagtail sets it only when the form itself is invalid; a refusal by the service comes after.
    produced_error_message: Any = None

    def save_instance(self) -> Any:
        instance = super().save_instance()  # type: ignore[misc]
        self.new_revision = instance.get_latest_revision()
        return instance

    def submit_action(self) -> Any:
        try:
            if self.submit_check is not None:
                self.submit_check(self.object, user=self.request.user)  # type: ignore[attr-defined]
        except RecoveryError as refusal:
            messages.error(self.request, refusal.message)  # type: ignore[attr-defined]
            return redirect(self.get_edit_url())  # type: ignore[attr-defined]
        return super().submit_action()  # type: ignore[misc]

    def get_success_url(self) -> str:
        return self.get_edit_url()  # type: ignore[attr-defined]


def _write_off_submit_check(write_off: WriteOff, *, user: Any) -> None:
    services.write_off_submit_check(write_off=write_off, user=user)


def _termination_submit_check(termination: CompleteTermination, *, user: Any) -> None:
    services.complete_termination_check(termination=termination)


class WriteOffCreateView(RequestViewMixin, ServiceCreateView):
    submit_check = staticmethod(_write_off_submit_check)


class WriteOffEditView(ApprovalEditViewMixin, RequestViewMixin, ServiceEditView):
    submit_check = staticmethod(_write_off_submit_check)


class TerminationCreateView(RequestViewMixin, ServiceCreateView):
    submit_check = staticmethod(_termination_submit_check)


class TerminationEditView(ApprovalEditViewMixin, RequestViewMixin, ServiceEditView):
    submit_check = staticmethod(_termination_submit_check)


class FaultDeterminationForm(forms.Form):
    determined_on = forms.DateField(
        label=gettext_lazy("Determined on"),
        validators=[validate_supported_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    determination = forms.CharField(
        label=gettext_lazy("Determination"), widget=forms.Textarea(attrs={"rows": 3})
    )


class WriteOffInspectView(MaskedInspectView):
    template_name = "litigation/write_off_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        write_off = self.object
        user = self.request.user
        can_edit = cases_editable_by(user).filter(pk=write_off.case_id).exists()
        loans = (
            list(Loan.objects.filter(write_off_reference=write_off.approval_reference))
            if write_off.is_approved
            else write_off_loans(write_off)
        )
        balance = loans_outstanding(loans) if loans else None
        context.update(
            write_off=write_off,
            checklist=write_off_checklist(write_off),
            loans=loans,
            balance=balance,
            case_url=case_path(write_off.case_id),
            can_edit=can_edit and not write_off.is_approved,
            can_determine=can_edit
            and write_off.is_approved
            and write_off.fault_suspected
            and write_off.fault_determined_on is None,
            fault_form=FaultDeterminationForm(initial={"determined_on": timezone.localdate()}),
            evidence_add_url=reverse("wagtailsnippets_litigation_writeoffevidence:add"),
        )
        return context


class TerminationInspectView(MaskedInspectView):
    template_name = "litigation/complete_termination_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        termination = self.object
        can_edit = cases_editable_by(self.request.user).filter(pk=termination.case_id).exists()
        context.update(
            termination=termination,
            files=list(termination.evidence.order_by("uploaded_at", "pk")),
            case_url=case_path(termination.case_id),
            can_edit=can_edit and not termination.is_approved,
            evidence_add_url=reverse("wagtailsnippets_litigation_completeterminationevidence:add"),
        )
        return context


# --- listings ---------------------------------------------------------------------------------


class RequestStatus:
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    CHOICES = [
        (DRAFT, gettext_lazy("Draft")),
        (IN_REVIEW, gettext_lazy("In review")),
        (APPROVED, gettext_lazy("Approved")),
    ]


def _in_review(model: type) -> Exists:
    """A workflow on the request is in progress (WorkflowState's object_id is text)."""
    return Exists(
        WorkflowState.objects.filter(
            base_content_type=ContentType.objects.get_for_model(model),
            object_id=Cast(OuterRef("pk"), CharField()),
            status=WorkflowState.STATUS_IN_PROGRESS,
        )
    )


def _filter_status(queryset: Any, value: str) -> Any:
    if value == RequestStatus.APPROVED:
        return queryset.filter(approved_at__isnull=False)
    in_review = _in_review(queryset.model)
    if value == RequestStatus.IN_REVIEW:
        return queryset.filter(in_review, approved_at__isnull=True)
    if value == RequestStatus.DRAFT:
        return queryset.filter(~in_review, approved_at__isnull=True)
    return queryset


AGE_CHOICES = [
    ("30", gettext_lazy("Older than 30 days")),
    ("90", gettext_lazy("Older than 90 days")),
    ("365", gettext_lazy("Older than a year")),
]


class RequestFilterSet(ScopedFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=RequestStatus.CHOICES, method="filter_status"
    )
    age = django_filters.ChoiceFilter(label=gettext_lazy("Age"), choices=AGE_CHOICES, method="filter_age")

    def filter_status(self, queryset: Any, name: str, value: str) -> Any:
        return _filter_status(queryset, value)

    def filter_age(self, queryset: Any, name: str, value: str) -> Any:
        if not value.isdigit():
            return queryset
        return queryset.filter(created_at__lt=timezone.now() - timedelta(days=int(value)))


class WriteOffFilterSet(RequestFilterSet):
    total_min = django_filters.NumberFilter(
        label=gettext_lazy("Total at least"), field_name="total", lookup_expr="gte"
    )
    total_max = django_filters.NumberFilter(
        label=gettext_lazy("Total at most"), field_name="total", lookup_expr="lte"
    )

    class Meta:
        model = WriteOff
        fields = ["status", "total_min", "total_max", "age"]


class TerminationFilterSet(RequestFilterSet):
    class Meta:
        model = CompleteTermination
        fields = ["status", "age"]


def with_review_state(queryset: Any) -> Any:
    """Each request annotated `in_review`: a workflow on it is in progress (one subquery)."""
    return queryset.annotate(in_review=_in_review(queryset.model))


def _status_label(request_: Any) -> str:
    if request_.approved_at:
        return str(_("Approved"))
    return str(_("In review")) if getattr(request_, "in_review", False) else str(_("Draft"))


def _ground_label(write_off: WriteOff) -> str:
    return str(write_off.write_off_ground)


# --- viewsets ------------------------------------------------------------------------------------


class WriteOffViewSet(ApprovalSnippetViewSetMixin, ScopedSnippetViewSet):
    model = WriteOff
    record_keyword = "write_off"
    create_service = staticmethod(services.write_off_create)
    update_service = staticmethod(services.write_off_update)
    delete_service = staticmethod(services.write_off_delete)
    add_view_class = WriteOffCreateView
    edit_view_class = WriteOffEditView
    inspect_view_class = WriteOffInspectView
    base_form_class = WriteOffForm
    filterset_class = WriteOffFilterSet
    icon = "doc-empty"
    menu_label = gettext_lazy("Write-offs")
    list_display = [
        "__str__",
        "case",
        Column("ground", label=gettext_lazy("ground"), accessor=_ground_label),
        "total",
        Column("status", label=gettext_lazy("Status"), accessor=_status_label),
        DateColumn("written_off_on", label=gettext_lazy("written off on")),
    ]
    list_export = [
        "case.number",
        "loans_label",
        "write_off_ground.name",
        "write_off_ground.verified",
        "principal",
        "interest",
        "total",
        "created_at",
        "approval_reference",
        "written_off_on",
        "fault_suspected",
        "fault_determined_on",
    ]
    export_filename = "write_offs"
    panels = [
        FieldRowPanel([FieldPanel("case"), FieldPanel("loan")]),
        FieldRowPanel([FieldPanel("write_off_ground"), FieldPanel("cross_default_enforcement")]),
        FieldRowPanel([FieldPanel("principal"), FieldPanel("interest")]),
        FieldPanel("legal_opinion"),
        FieldPanel("fault_suspected"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return with_review_state(
            super().get_queryset(request).select_related("case__debtor", "loan", "write_off_ground")
        )


class CompleteTerminationViewSet(ApprovalSnippetViewSetMixin, ScopedSnippetViewSet):
    model = CompleteTermination
    record_keyword = "complete_termination"
    create_service = staticmethod(services.complete_termination_create)
    update_service = staticmethod(services.complete_termination_update)
    delete_service = staticmethod(services.complete_termination_delete)
    add_view_class = TerminationCreateView
    edit_view_class = TerminationEditView
    inspect_view_class = TerminationInspectView
    base_form_class = CompleteTerminationForm
    filterset_class = TerminationFilterSet
    icon = "cross"
    menu_label = gettext_lazy("Complete terminations")
    list_display = [
        "__str__",
        "case",
        "ground",
        Column("status", label=gettext_lazy("Status"), accessor=_status_label),
        DateColumn("eligible_on", label=gettext_lazy("eligible on")),
        DateColumn("terminated_on", label=gettext_lazy("terminated on")),
    ]
    list_export = [
        "case.number",
        "loan.contract_no",
        "ground",
        "ground_date",
        "eligible_on",
        "created_at",
        "approval_reference",
        "terminated_on",
    ]
    export_filename = "complete_terminations"
    panels = [
        FieldRowPanel([FieldPanel("case"), FieldPanel("loan")]),
        FieldRowPanel([FieldPanel("ground"), FieldPanel("ground_date")]),
        FieldPanel("opinion"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return with_review_state(super().get_queryset(request).select_related("case__debtor", "loan"))


class EvidenceForm(CaseScopedForm):
    """The write-off's evidence items are the choices of `item` (the `?item=` one preselected)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent_id = self.data.get("write_off") if self.is_bound else self.initial.get("write_off")
        parent = (
            WriteOff.objects.filter(pk=parent_id).select_related("write_off_ground").first()
            if parent_id
            else None
        )
        if parent is not None and "item" in self.fields:
            items = parent.write_off_ground.evidence_list
            self.fields["item"] = forms.ChoiceField(
                label=self.fields["item"].label, choices=[(item, item) for item in items]
            )
        if "write_off" in self.fields:
            self.fields["write_off"].queryset = self.fields["write_off"].queryset.filter(
                approved_at__isnull=True
            )
        if "complete_termination" in self.fields:
            queryset = self.fields["complete_termination"].queryset
            self.fields["complete_termination"].queryset = queryset.filter(approved_at__isnull=True)


class EvidenceCreateView(ServiceCreateView):
    """Opened from a request's page: `?write_off=` (or `?complete_termination=`) and `?item=`."""

    parent_field = "write_off"

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        for name in (self.parent_field, "item"):
            if name in self.request.GET:
                initial[name] = self.request.GET[name]
        return initial

    def get_success_url(self) -> str:
        prefix = WRITE_OFF_URL_PREFIX if self.parent_field == "write_off" else TERMINATION_URL_PREFIX
        return reverse(f"{prefix}:inspect", args=[getattr(self.object, f"{self.parent_field}_id")])


class TerminationEvidenceCreateView(EvidenceCreateView):
    parent_field = "complete_termination"


TERMINATION_URL_PREFIX = "wagtailsnippets_litigation_completetermination"


def _file_name(upload: Any) -> str:
    return upload.original_name or upload.file.name.rsplit("/", 1)[-1]


class WriteOffEvidenceViewSet(ScopedSnippetViewSet):
    model = WriteOffEvidence
    case_path = "write_off__case"
    record_keyword = "upload"
    create_service = staticmethod(services.write_off_evidence_upload)
    update_service = staticmethod(services.write_off_evidence_update)
    delete_service = staticmethod(services.write_off_evidence_delete)
    add_view_class = EvidenceCreateView
    base_form_class = EvidenceForm
    inspect_view_enabled = False
    icon = "doc-full"
    menu_label = gettext_lazy("Write-off evidence")
    list_display = ["item", "write_off", Column("file", label=gettext_lazy("File"), accessor=_file_name)]
    panels = [FieldPanel("write_off"), FieldPanel("item"), FieldPanel("file")]


class CompleteTerminationEvidenceViewSet(ScopedSnippetViewSet):
    model = CompleteTerminationEvidence
    case_path = "complete_termination__case"
    record_keyword = "upload"
    create_service = staticmethod(services.complete_termination_evidence_upload)
    update_service = staticmethod(services.complete_termination_evidence_update)
    delete_service = staticmethod(services.complete_termination_evidence_delete)
    add_view_class = TerminationEvidenceCreateView
    base_form_class = EvidenceForm
    inspect_view_enabled = False
    icon = "doc-full"
    menu_label = gettext_lazy("Complete termination evidence")
    list_display = [
        "item",
        "complete_termination",
        Column("file", label=gettext_lazy("File"), accessor=_file_name),
    ]
    panels = [FieldPanel("complete_termination"), FieldPanel("item"), FieldPanel("file")]


class WriteOffGroundViewSet(ServiceViewSetMixin, SnippetViewSet):
    """Reference data: every role reads the grounds, the head of recovery keeps them."""

    model = WriteOffGround
    record_keyword = "write_off_ground"
    create_service = staticmethod(services.write_off_ground_add)
    update_service = staticmethod(services.write_off_ground_update)
    delete_service = staticmethod(services.write_off_ground_delete)
    copy_view_enabled = False
    icon = "list-ul"
    menu_label = gettext_lazy("Write-off grounds")
    list_display = ["__str__", "code", "verified", "active", "sort_order"]
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("code")]),
        FieldRowPanel([FieldPanel("article"), FieldPanel("sort_order")]),
        FieldRowPanel([FieldPanel("verified"), FieldPanel("cross_default"), FieldPanel("active")]),
        FieldPanel("evidence_items"),
    ]

    def register_chooser_viewset(self) -> None:
        return None


# --- the case page --------------------------------------------------------------------------------


def write_offs_section(case: Any, request: Any) -> str:
    """The case's write-offs and complete terminations, and the links to request them."""
    return render_to_string(
        "litigation/write_off_section.html",
        {
            "case": case,
            "write_offs": list(case.write_offs.select_related("loan").order_by("created_at", "pk")),
            "terminations": list(
                case.complete_terminations.select_related("loan").order_by("created_at", "pk")
            ),
            # Whoever sees a case may change it, auditors aside, who may add nothing.
            "can_edit": request.user.has_perm("litigation.add_writeoff"),
        },
        request=request,
    )


# --- downloads and the fault determination --------------------------------------------------------


def write_off_evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file, only to users who may see the write-off's case (never plain media)."""
    visible = WriteOffEvidence.objects.filter(write_off__case__in=cases_visible_to(request.user).values("pk"))
    return record_file_download(visible, pk, field="file", name_field="original_name")


def termination_evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    visible = CompleteTerminationEvidence.objects.filter(
        complete_termination__case__in=cases_visible_to(request.user).values("pk")
    )
    return record_file_download(visible, pk, field="file", name_field="original_name")


def write_off_fault_determine(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: record the art. 19 determination; out-of-scope write-offs are a 404."""
    write_off = get_object_or_404(WriteOff, pk=pk, case__in=cases_visible_to(request.user).values("pk"))
    if not request.user.has_perm("litigation.change_writeoff"):
        raise PermissionDenied
    if not cases_editable_by(request.user).filter(pk=write_off.case_id).exists():
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = FaultDeterminationForm(request.POST)
    back = reverse(f"{WRITE_OFF_URL_PREFIX}:inspect", args=[write_off.pk])
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(back)
    try:
        services.write_off_fault_determine(
            write_off=write_off,
            determined_on=form.cleaned_data["determined_on"],
            determination=form.cleaned_data["determination"],
            user=request.user,
            source="admin",
        )
    except RecoveryError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Fault determination recorded."))
    return HttpResponseRedirect(back)


def register_write_off_urls() -> list:
    return [
        path(
            "litigation/write-off-evidence/<int:pk>/",
            write_off_evidence_download,
            name="litigation_write_off_evidence",
        ),
        path(
            "litigation/termination-evidence/<int:pk>/",
            termination_evidence_download,
            name="litigation_termination_evidence",
        ),
        path(
            "litigation/write-off/<int:pk>/fault/",
            write_off_fault_determine,
            name="litigation_write_off_fault",
        ),
    ]
