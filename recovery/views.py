"""Views outside the snippet viewsets."""

from typing import Any

from django.http import Http404, HttpResponse
from django.views.static import serve
from wagtail.admin.auth import require_admin_access

from recovery.access import can_see_all_cases
from recovery.masking import MaskedLogEntriesView

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


# Upload folders that must never be served as plain media files, even in development: hand-over
# files, and assets' photos and documents (served by assets_file_download to those who see the case).
PRIVATE_MEDIA_PREFIXES = ("imports/", "assets/")


def serve_public_media(request: Any, path: str, document_root: str | None = None) -> HttpResponse:
    """django.views.static.serve for DEBUG, minus the private upload folders."""
    if path.lstrip("/").startswith(PRIVATE_MEDIA_PREFIXES):
        raise Http404
    return serve(request, path, document_root=document_root)


def docket_bulk_action_refused(request: Any, app_label: str, model_name: str, action: str) -> HttpResponse:
    """Wagtail's bulk actions (delete, …) on docket records would bypass the case scoping, on
    the confirmation page already, and the audited services; they do not exist for them."""
    raise Http404("Bulk actions are not available for docket records.")
