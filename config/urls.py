from django.urls import include, path
from django.views.generic import RedirectView
from wagtail.admin import urls as wagtailadmin_urls

from recovery.admin.account_settings import account_settings_view
from recovery.admin.guards import urlpatterns as wagtail_guard_urlpatterns
from recovery.registry import docket_apps
from recovery.views.api import deadline_compute_api
from recovery.views.calendar import calendar_feed
from recovery.views.downloads import docket_bulk_action_refused, import_run_file, site_history

urlpatterns = [
    # Ahead of Wagtail's own route, which is not scoped by case.
    path("admin/reports/site-history/", site_history, name="site_history"),
    path(
        "admin/reports/site-history/results/",
        site_history,
        {"results_only": True},
        name="site_history_results",
    ),
    # Wagtail's bulk actions would bypass the case scoping and the audited services.
    *[
        path(
            f"admin/bulk/{app_label}/<str:model_name>/<str:action>/",
            docket_bulk_action_refused,
            {"app_label": app_label},
        )
        for app_label in docket_apps()
    ],
    # The hand-over file of an import run (the imports' own views are a viewset without it).
    path("admin/recovery/imports/<int:pk>/file/", import_run_file, name="recovery_import_run_file"),
    path("api/deadlines/compute", deadline_compute_api, name="deadline_compute_api"),
    path("calendar/<slug:token>.ics", calendar_feed, name="recovery_calendar_feed"),
    # Wagtail's account page, optional names, refused saves explained (recovery.admin.account_settings).
    path("admin/account/", account_settings_view, name="wagtailadmin_account"),
    # Scoped guards on the same paths as Wagtail's own views, which are not scoped by case.
    *wagtail_guard_urlpatterns,
    path("admin/", include(wagtailadmin_urls)),
    path("", RedirectView.as_view(pattern_name="wagtailadmin_home", permanent=False)),
]

# No route serves MEDIA_ROOT, in any mode (DEBUG included): every uploaded file leaves through
# a download view that checks the user's access to its record (recovery.lib.files).
