"""Views outside the snippet viewsets."""

from typing import Any

from django.http import FileResponse, Http404, HttpResponse
from wagtail.admin.auth import require_admin_access

from recovery.lib.files import record_file_download
from recovery.lib.masking import MaskedLogEntriesView
from recovery.models import CollectionAction, FirstRecourseException
from recovery.selectors.access import can_see_all_cases, can_view_personal_data, cases_visible_to
from recovery.selectors.imports import import_runs_visible_to

# Its messages mask personal data except for those allowed to see it.
_site_history = MaskedLogEntriesView.as_view()
_site_history_results = MaskedLogEntriesView.as_view(results_only=True)


@require_admin_access
def site_history(request: Any, *, results_only: bool = False) -> HttpResponse:
    """Wagtail's site-wide history lists every audited change by model permission, not by case:
    only those who see every case may read it (a lawyer would see other cases' titles)."""
    if not can_see_all_cases(request.user):
        raise Http404
    return (_site_history_results if results_only else _site_history)(request)


# --- downloads of uploaded files ---------------------------------------------------------------
# No media route serves uploads, in any mode: these views find the record in the user's scope
# first (404 outside it) and take nothing from the URL but its id (recovery.lib.files).


def collection_action_proof(request: Any, pk: int) -> FileResponse:
    """A collection action's proof of delivery, to those who see its case."""
    actions = CollectionAction.objects.filter(case__in=cases_visible_to(request.user).values("pk"))
    return record_file_download(actions, pk, field="proof_file", name_field="proof_original_name")


def first_recourse_evidence(request: Any, pk: int) -> FileResponse:
    """The evidence of an exception to a general guarantor's first-recourse defence, to those
    who see its case."""
    exceptions = FirstRecourseException.objects.filter(
        link__case_party__case__in=cases_visible_to(request.user).values("pk")
    )
    return record_file_download(exceptions, pk, field="evidence_file", name_field="evidence_original_name")


@require_admin_access
def import_run_file(request: Any, pk: int) -> FileResponse:
    """The hand-over file a run was uploaded with, to those who see the run (managers their own,
    the head every run) and may see personal data: the file holds every ID and phone number
    unmasked, so an auditor, who sees the runs masked, does not get it."""
    if not can_view_personal_data(request.user):
        raise Http404
    return record_file_download(
        import_runs_visible_to(request.user), pk, field="upload", name_field="file_name"
    )


def docket_bulk_action_refused(request: Any, app_label: str, model_name: str, action: str) -> HttpResponse:
    """Wagtail's bulk actions (delete, …) on docket records would bypass the case scoping, on
    the confirmation page already, and the audited services; they do not exist for them."""
    raise Http404("Bulk actions are not available for docket records.")
