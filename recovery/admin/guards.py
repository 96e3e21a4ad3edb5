"""Guards in front of Wagtail's own admin views, which check model permissions but know nothing
of case scoping. Each guard answers 404 for a record the user may not reach and otherwise hands
the request to Wagtail's view unchanged. `urlpatterns` is included in config/urls.py ahead of
Wagtail's admin URLs, on the very same paths, so `reverse()` and Wagtail's JavaScript keep
working while every request goes through the guard."""

from typing import Any

from django.apps import apps
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import URLResolver, include, path, re_path
from django.urls.resolvers import RegexPattern
from django.views.decorators.http import require_POST
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access
from wagtail.admin.models import EditingSession
from wagtail.admin.views import editing_sessions as wagtail_editing_sessions
from wagtail.admin.views.pages.ordering import SetPagePositionView
from wagtail.models import Page

from recovery.admin.base import ScopedSnippetViewSet
from recovery.registry import docket_apps

# The docket apps' records belong to a case (recovery.registry.docket_apps): a model of theirs
# without a scoped viewset has no editor at all (deadlines, alerts, import runs are written by
# services only), so no editing session.

# Reference data of the docket apps, tied to no case: Wagtail's own permission check (the head
# of recovery edits them) is the right one. Listed by hand so that a new docket model is refused
# until someone decides how it is scoped.
REFERENCE_MODELS = frozenset(
    {
        "recovery.branch",
        "recovery.defaultcause",
        "recovery.holidayyear",
        "recovery.alertpolicy",
        "recovery.dailyneedslimit",
    }
)


def _model_or_404(app_label: str, model_name: str) -> Any:
    try:
        return apps.get_model(app_label, model_name)
    except LookupError as error:
        raise Http404 from error


def _pk_or_404(model: Any, object_id: str) -> Any:
    """The primary key as the model's type; a malformed id would make Wagtail's view 500."""
    try:
        return model._meta.pk.to_python(unquote(object_id))
    except (ValidationError, ValueError, TypeError) as error:
        raise Http404 from error


def may_edit_record(user: Any, model: Any, pk: Any) -> bool:
    """Whether `user` may open the editor of record `pk`: the scoped viewset's write scope for
    docket records, Wagtail's own permission check (done by the wrapped view) for the rest."""
    label = model._meta.label_lower
    viewset = getattr(model, "snippet_viewset", None)
    if isinstance(viewset, ScopedSnippetViewSet):
        return viewset.scope(user, write=True).filter(pk=pk).exists()
    if model._meta.app_label in docket_apps():
        return label in REFERENCE_MODELS
    return True


@require_admin_access
@require_POST
def editing_session_ping(
    request: Any, app_label: str, model_name: str, object_id: str, session_id: int
) -> HttpResponse:
    """Wagtail's ping tells who else has the record open, after checking only the model-level
    change permission: a lawyer could learn of any case and of who works on it (issue 11, #14)."""
    model = _model_or_404(app_label, model_name)
    pk = _pk_or_404(model, object_id)
    if not may_edit_record(request.user, model, pk):
        raise Http404
    return wagtail_editing_sessions.ping(request, app_label, model_name, object_id, session_id)


@require_admin_access
@require_POST
def editing_session_release(request: Any, session_id: int) -> HttpResponse:
    """Only one's own session can be released; any other id is simply not found."""
    if not EditingSession.objects.filter(pk=session_id, user=request.user).exists():
        raise Http404
    return wagtail_editing_sessions.release(request, session_id)


# Wagtail's CMS side, which the product does not use: pages, their choosers, reports and workflows,
# documents, images, collections, form submissions, bulk actions, the admin API. Wagtail opens
# several of them to every admin user (choosers, the API) and some 500 (their search needs an app
# the product does not install); they would be the first place an upload or a page could leak.
CMS_PATH = (
    r"^admin/(?:pages|choose-page|choose-external-link|choose-email-link|choose-phone-link"
    r"|choose-anchor-link|api/main|documents|images|collections|workflows|forms|bulk"
    r"|reports/(?:locked|workflow|workflow_tasks|aging-pages|page-types-usage)"
    # Wagtail's deliberate 500, there to test error pages: no staff user should be able to raise it.
    r"|failwhale)/"
)
_wagtail_admin = URLResolver(RegexPattern(r"^/"), [path("admin/", include(wagtailadmin_urls))])


@require_admin_access
def cms_for_superusers_only(request: Any, **_kwargs: Any) -> HttpResponse:
    """404 for every role of the product; a superuser (the system administrator) reaches
    Wagtail's own view, resolved from Wagtail's URLs alone."""
    if not request.user.is_superuser:
        raise Http404
    match = _wagtail_admin.resolve(request.path_info)
    return match.func(request, *match.args, **match.kwargs)


_set_page_position = SetPagePositionView.as_view()


@require_admin_access
@require_POST
def page_set_position(request: Any, page_to_move_id: int) -> HttpResponse:
    """Wagtail's reordering asks the page's parent for permission and crashes (500) on the root
    page, which has none: any staff user could trigger it. The root is never reordered."""
    if not Page.objects.filter(pk=page_to_move_id, depth__gt=1).exists():
        raise Http404
    return _set_page_position(request, page_to_move_id=page_to_move_id)


urlpatterns = [
    # Before the CMS refusal below, which sends superusers on to Wagtail's crashing view.
    path(
        "admin/pages/<int:page_to_move_id>/set_position/",
        page_set_position,
        name="recovery_page_set_position",
    ),
    path(
        "admin/editing-sessions/ping/<str:app_label>/<str:model_name>/<str:object_id>/<int:session_id>/",
        editing_session_ping,
        name="recovery_editing_session_ping",
    ),
    path(
        "admin/editing-sessions/release/<int:session_id>/",
        editing_session_release,
        name="recovery_editing_session_release",
    ),
    re_path(CMS_PATH, cms_for_superusers_only, name="recovery_wagtail_cms"),
]
