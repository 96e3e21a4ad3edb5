from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail.admin import urls as wagtailadmin_urls

from recovery.views import site_history

urlpatterns = [
    # Ahead of Wagtail's own route, which is not scoped by case.
    path("admin/reports/site-history/", site_history, name="site_history"),
    path(
        "admin/reports/site-history/results/",
        site_history,
        {"results_only": True},
        name="site_history_results",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("", RedirectView.as_view(pattern_name="wagtailadmin_home", permanent=False)),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
