"""The hand-over import in the admin: upload → check (preview) → confirm → result, and the
listing of every import. The phases themselves live in `recovery.services.imports`."""

import io
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from openpyxl import Workbook
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet

from recovery.admin.base import ReadOnlyListingMixin
from recovery.checks.cells import inert_row
from recovery.handover import COLUMNS
from recovery.models import ImportRun, ImportStatus
from recovery.selectors.imports import COUNT_KEYS, import_runs_listed_for, import_runs_visible_to
from recovery.services import RecoveryError
from recovery.services.imports import (
    ALLOWED_EXTENSIONS,
    PREVIEW_ERROR_ROWS,
    WORKING_STATUSES,
    errors_shown_to,
    import_run_check_start,
    import_run_confirm,
    import_run_create,
    import_run_discard,
    import_run_mark_stalled,
    import_run_progress,
    import_run_retry,
    may_confirm,
    may_discard,
    may_retry,
    notice_recipient,
    preview_expires_at,
    sample_shown_to,
    text_shown_to,
)

ADD_PERMISSION = "recovery.add_importrun"
VIEW_PERMISSIONS = ("recovery.add_importrun", "recovery.view_importrun")
NAMESPACE = "recovery_imports"
DOCKET_MENU_HOOK = "register_docket_menu_item"


def _url(name: str, *args: Any) -> str:
    return reverse(f"{NAMESPACE}:{name}", args=args)


def _may_view_imports(user: Any) -> bool:
    return any(user.has_perm(permission) for permission in VIEW_PERMISSIONS)


class RunMixin:
    """Views of one run: 404 unless the user may see it (managers: their own runs)."""

    def get_run(self) -> ImportRun:
        if not _may_view_imports(self.request.user):
            raise PermissionDenied
        runs = import_runs_visible_to(self.request.user)
        if not runs.filter(pk=self.kwargs["pk"]).exists():
            raise Http404
        # A run whose worker died, or a preview nobody confirmed in time, says so at once.
        import_run_mark_stalled(run_ids=[self.kwargs["pk"]])
        return get_object_or_404(runs, pk=self.kwargs["pk"])


class RunActionMixin(RunMixin):
    """A POST-only action on one run: a run the user may not see is not found whatever the
    method (a 405 first would answer for runs out of scope too). `perform` calls the service
    and returns the success message, if any; a refusal is shown on the run page."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.run = self.get_run()
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return super().dispatch(request, *args, **kwargs)

    def perform(self, run: ImportRun, user: Any) -> str | None:
        raise NotImplementedError

    def post(self, request: Any, pk: int) -> Any:
        if not request.user.has_perm(ADD_PERMISSION):
            raise PermissionDenied
        try:
            message = self.perform(self.run, request.user)
        except RecoveryError as problem:
            messages.error(request, problem.message)
        else:
            if message:
                messages.success(request, message)
        return redirect(_url("run", self.run.pk))


def _problems_note(run: ImportRun) -> str:
    """ "共 699,999 个问题，仅保留前 1,000 个" when the run kept only the first problems."""
    kept = len(run.errors or [])
    if run.error_count <= kept:
        return ""
    return _("%(total)s problems in all; only the first %(kept)s are kept.") % {
        "total": f"{run.error_count:,}",
        "kept": f"{kept:,}",
    }


def _breadcrumbs(*items: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"url": reverse("wagtailadmin_home"), "label": _("Home")},
        {"url": _url("index"), "label": _("Hand-over imports")},
        *items,
    ]


# --- upload --------------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Hand-over file"),
        help_text=gettext_lazy("The bank's list of loans handed over, as .xlsx (first sheet) or .csv."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_EXTENSIONS)}),
    )
    strict = forms.BooleanField(
        label=gettext_lazy("Strict: import nothing if any row is rejected"),
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_EXTENSIONS):
            raise forms.ValidationError(_("The file must be .xlsx or .csv."))
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.")
                % {"limit": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


class UploadView(WagtailAdminTemplateMixin, FormView):
    template_name = "recovery/imports/upload.html"
    form_class = UploadForm
    header_icon = "upload"

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not request.user.has_perm(ADD_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return _("Upload hand-over file")

    def get_breadcrumbs_items(self) -> list:
        return _breadcrumbs({"url": "", "label": self.get_page_title()})

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        context["max_mb"] = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        context["async_rows"] = settings.HANDOVER_ASYNC_ROWS
        return context

    def form_valid(self, form: UploadForm) -> Any:
        try:
            run = import_run_create(
                upload=form.cleaned_data["file"], user=self.request.user, strict=form.cleaned_data["strict"]
            )
        except RecoveryError as problem:
            form.add_error(problem.field if problem.field in form.fields else None, problem.message)
            return self.form_invalid(form)
        import_run_check_start(run=run)
        return redirect(_url("run", run.pk))


# --- one run: preview, progress, result ------------------------------------------------------


class RunView(RunMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "recovery/imports/run.html"
    header_icon = "upload"

    @cached_property
    def run(self) -> ImportRun:
        return self.get_run()

    def get_page_title(self) -> str:
        return _("Hand-over import #%(id)s") % {"id": self.run.pk}

    def get_page_subtitle(self) -> str:
        return self.run.file_name

    def get_breadcrumbs_items(self) -> list:
        return _breadcrumbs({"url": "", "label": self.get_page_title()})

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        run = self.run
        user = self.request.user
        working = run.status in WORKING_STATUSES
        kept = len(run.errors or [])
        preview = dict(run.preview or {})
        summary = dict(run.summary or {})
        for counts in (preview, summary):
            if counts.get("unknown_columns"):
                counts["unknown_columns"] = [text_shown_to(user, name) for name in counts["unknown_columns"]]
        sample = sample_shown_to(user, preview.pop("sample", None) or [])
        context.update(
            run=run,
            working=working,
            progress=import_run_progress(run) if working else None,
            status_url=_url("status", run.pk),
            errors_url=_url("errors", run.pk),
            confirm_url=_url("confirm", run.pk),
            retry_url=_url("retry", run.pk),
            discard_url=_url("discard", run.pk),
            preview=preview,
            summary=summary,
            failure=text_shown_to(user, run.failure),
            first_errors=errors_shown_to(user, (run.errors or [])[:PREVIEW_ERROR_ROWS]),
            # The first rows as they will be imported, one cell per column of the format.
            sample_columns=[column.chinese for column in COLUMNS],
            sample_rows=[
                {
                    "row": line.get("row"),
                    "action": ACTION_LABELS.get(line.get("action"), ""),
                    "cells": [line.get(column.field, "") for column in COLUMNS],
                }
                for line in sample
            ],
            more_errors=max(kept - PREVIEW_ERROR_ROWS, 0),
            error_count=max(run.error_count, kept),
            problems_note=_problems_note(run),
            can_confirm=may_confirm(run, user),
            can_retry=may_retry(run, user),
            can_discard=may_discard(run, user),
            expires_at=preview_expires_at(run) if run.status == ImportStatus.PREVIEWED else None,
            notice_recipient=notice_recipient(run),
            loans_url=reverse("wagtailsnippets_recovery_loan:list"),
        )
        return context


ACTION_LABELS = {
    "created": gettext_lazy("new"),
    "updated": gettext_lazy("changed"),
    "unchanged": gettext_lazy("unchanged"),
}


class RunStatusView(RunMixin, View):
    """The progress bar's poll: a few numbers as JSON, never cached by the browser."""

    def get(self, request: Any, pk: int) -> JsonResponse:
        response = JsonResponse(import_run_progress(self.get_run()))
        response["Cache-Control"] = "no-store"
        return response


class RunConfirmView(RunActionMixin, View):
    def perform(self, run: ImportRun, user: Any) -> str | None:
        if import_run_confirm(run=run, user=user):
            return _("The import has started; this page shows its progress.")
        return None


class RunRetryView(RunActionMixin, View):
    """Check a failed or expired run's stored file again."""

    def perform(self, run: ImportRun, user: Any) -> str | None:
        import_run_retry(run=run, user=user)
        return None


class RunDiscardView(RunActionMixin, View):
    def perform(self, run: ImportRun, user: Any) -> str | None:
        import_run_discard(run=run, user=user)
        return _("The import was discarded; nothing was written.")


class RunErrorReportView(RunMixin, View):
    """Every problem the run found, one line each, as an .xlsx the bank can correct from."""

    def get(self, request: Any, pk: int) -> HttpResponse:
        run = self.get_run()
        if run.status not in (
            ImportStatus.PREVIEWED,
            ImportStatus.DONE,
            ImportStatus.FAILED,
            ImportStatus.DISCARDED,
        ):
            raise Http404
        errors = errors_shown_to(request.user, run.errors or [])
        # The rejected row's original cells follow the four columns, under the file's own
        # column names, on each line of the row (stored once per row: see error_records).
        columns = next((error["cells"] for error in errors if error.get("cells")), [])
        # write_only streams rows into the file instead of building every cell object first.
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Rejected rows"))
        headings = [_("Row"), _("Column"), _("Value"), _("Reason")]
        sheet.append(inert_row([*headings, *(column for column, _text in columns)]))
        cells: list[str] = []
        previous_row = None
        # Every cell inert: the rejected values are whatever the file held, =HYPERLINK(…) too.
        for error in errors:
            if error.get("row") != previous_row:
                cells = [text for _column, text in error.get("cells") or []]
                previous_row = error.get("row")
            sheet.append(
                inert_row(
                    [error.get("row"), error.get("column"), error.get("value"), error.get("message"), *cells]
                )
            )
        note = _problems_note(run)
        if note:
            sheet.append(inert_row([None, None, None, note]))
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.xlsx"'
        return response


# --- the listing ---------------------------------------------------------------------------


def _counts(run: ImportRun) -> str:
    """From the listing's annotations (see import_runs_listed_for), else the JSON itself."""
    summary = {key: getattr(run, f"summary_{key}", None) for key in COUNT_KEYS}
    preview = {key: getattr(run, f"preview_{key}", None) for key in COUNT_KEYS}
    if not any(value is not None for value in (*summary.values(), *preview.values())):
        if "summary" in run.get_deferred_fields():
            return "—"
        summary, preview = run.summary or {}, run.preview or {}
    done = any(summary.get(key) is not None for key in COUNT_KEYS)
    counts = summary if done else preview
    if not any(counts.get(key) is not None for key in COUNT_KEYS):
        return "—"
    text = _("%(created)s new, %(updated)s changed, %(unchanged)s unchanged, %(rejected)s rejected") % {
        key: counts.get(key) if counts.get(key) is not None else 0 for key in COUNT_KEYS
    }
    return text if done else _("checked: %(counts)s") % {"counts": text}


class ErrorReportColumn(Column):
    cell_template_name = "recovery/imports/error_report_cell.html"

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict:
        context = super().get_cell_context_data(instance, parent_context)
        context["report_url"] = _url("errors", instance.pk) if instance.error_count else None
        return context


class ImportRunIndexView(IndexView):
    page_title = gettext_lazy("Hand-over imports")
    add_item_label = gettext_lazy("Upload hand-over file")

    def get_base_queryset(self) -> Any:
        return import_runs_listed_for(self.request.user)

    def get_list_buttons(self, instance: Any) -> list:
        return []


class ImportRunViewSet(ReadOnlyListingMixin, ModelViewSet):
    add_view_name = "upload"  # the listing's "add" button opens the upload form

    """Read-only listing of the imports plus the upload flow; a run is only ever created by
    an upload (or the command), never through a generic model form."""

    model = ImportRun
    name = NAMESPACE
    url_prefix = "recovery/imports"
    icon = "upload"
    menu_label = gettext_lazy("Hand-over imports")
    menu_order = 20
    menu_hook = DOCKET_MENU_HOOK
    index_view_class = ImportRunIndexView
    copy_view_enabled = False
    add_to_reference_index = False
    list_filter = ["status", "source"]
    list_per_page = 50
    list_display = [
        TitleColumn(
            "file_name",
            label=gettext_lazy("File"),
            get_url=lambda run: _url("run", run.pk),
            sort_key="file_name",
        ),
        Column("id", label=gettext_lazy("Import"), accessor=lambda run: f"#{run.pk}", sort_key="id"),
        Column("started_by", label=gettext_lazy("Started by")),
        DateColumn("created_at", label=gettext_lazy("Uploaded at"), sort_key="created_at"),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display", sort_key="status"),
        Column("counts", label=gettext_lazy("Rows"), accessor=_counts),
        Column("checksum", label=gettext_lazy("SHA-256"), accessor=lambda run: run.checksum[:16] + "…"),
        # By its count: the column must not load the errors themselves, row after row.
        ErrorReportColumn("errors", label=gettext_lazy("Error report"), accessor="error_count"),
    ]

    @property
    def url_finder_class(self) -> type:
        finder = super().url_finder_class
        finder.edit_url_name = self.get_url_name("run")
        return finder

    def get_urlpatterns(self) -> list:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("upload/", UploadView.as_view(), name="upload"),
            path("<int:pk>/", RunView.as_view(), name="run"),
            path("<int:pk>/status/", RunStatusView.as_view(), name="status"),
            path("<int:pk>/confirm/", RunConfirmView.as_view(), name="confirm"),
            path("<int:pk>/retry/", RunRetryView.as_view(), name="retry"),
            path("<int:pk>/discard/", RunDiscardView.as_view(), name="discard"),
            path("<int:pk>/errors.xlsx", RunErrorReportView.as_view(), name="errors"),
        ]


class UploadMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return request.user.has_perm(ADD_PERMISSION)


def upload_menu_item() -> MenuItem:
    return UploadMenuItem(
        gettext_lazy("Import hand-over file"),
        _url("upload"),
        name="import-handover-file",
        icon_name="upload",
        order=19,
    )
