"""Sign-in lockout (django-axes): what a locked-out client is told, who is locked out now, and
the head of recovery's unlock.

Failures are counted per user name and per client address (config/settings.py, AXES_*); the
admin sign-in and HTTP Basic on the API both count, because both call authenticate().

Imported by `recovery.admin.docket`, so that these hooks register with the others; axes
imports `lockout_response` and `client_ip` by their dotted paths.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.forms.auth import LoginForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import LogFormatter

from recovery.lib.audit import audit_note
from recovery.models import Role
from recovery.selectors.access import role_of
from recovery.services import RecoveryError

ACCOUNT_UNLOCKED = "recovery.account.unlocked"
LOCKOUT_KINDS = ("account", "address")


# --- what a locked-out client gets -------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address: the proxy's header when one is configured (CLIENT_IP_HEADER),
    otherwise the connection's. The header is only trusted when named: a client could set it."""
    header = settings.CLIENT_IP_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        # X-Forwarded-For lists client, proxy, proxy…: the first entry is the client.
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.META.get("REMOTE_ADDR", "")


def _retry_after_seconds(request: HttpRequest) -> int | None:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else None


def _lockout_message(retry_after: int | None) -> str:
    if retry_after:
        minutes = max(1, round(retry_after / 60))
        return ngettext(
            "This account or address is locked after too many failed sign-in attempts. Try again "
            "in %(minutes)d minute, or ask the head of recovery to unlock it.",
            "This account or address is locked after too many failed sign-in attempts. Try again "
            "in %(minutes)d minutes, or ask the head of recovery to unlock it.",
            minutes,
        ) % {"minutes": minutes}
    return _(
        "This account or address is locked after too many failed sign-in attempts. Ask the head "
        "of recovery to unlock it."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with the reason. API clients (HTTP Basic, JSON, XHR) get
    JSON; people get the sign-in page with the reason above the form. The right password does
    not help while locked: the axes backend refuses before the password is checked."""
    retry_after = _retry_after_seconds(request)
    message = _lockout_message(retry_after)
    wants_json = (
        "HTTP_AUTHORIZATION" in request.META
        or request.path.startswith("/api/")
        or request.headers.get("x-requested-with") == "XMLHttpRequest"
        or "application/json" in request.headers.get("accept", "")
    )
    if wants_json:
        response: HttpResponse = JsonResponse(
            {"errors": [message], "locked": True, "retry_after": retry_after},
            status=429,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        # A fresh form: the refused one says "wrong password", which is not the reason.
        form = LoginForm(request, initial={"username": request.POST.get("username", "")})
        response = TemplateResponse(
            request,
            "recovery/accounts/locked_out.html",
            {"form": form, "lockout_message": message, "next": request.POST.get("next", "")},
            status=429,
        )
        response.render()
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# --- who is locked out now ---------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    kind: str  # "account" or "address"
    value: str
    failures: int
    last_attempt: datetime
    until: datetime | None  # None: until unlocked

    @property
    def kind_label(self) -> str:
        return _("Account") if self.kind == "account" else _("Address")


def _recent_attempts(cool_off: timedelta | None) -> Any:
    attempts = AccessAttempt.objects.all()
    if cool_off:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts


# Each kind of lockout: the attempt column it counts, and the setting holding its limit.
LOCKOUT_COUNTS = (
    ("account", "username", "LOGIN_FAILURE_LIMIT"),
    ("address", "ip_address", "LOGIN_ADDRESS_FAILURE_LIMIT"),
)
# What failure_limit answers when nothing is locked: more failures than can ever be counted.
_NEVER = 2**62


def _failures(column: str, value: str, cool_off: timedelta | None) -> int:
    attempts = _recent_attempts(cool_off).filter(**{column: value})
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    """AXES_FAILURE_LIMIT: axes locks when its count reaches this number, but it counts the
    larger of the account's and the address's failures against one limit. An account and an
    address have limits of their own, so this decides: 0 (locked) when either has reached its
    limit within the cool-off, otherwise more than any count."""
    cool_off = get_cool_off(request)
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    for _kind, column, setting in LOCKOUT_COUNTS:
        value = username if column == "username" else address
        if value and _failures(column, value, cool_off) >= getattr(settings, setting):
            return 0
    return _NEVER


def current_lockouts() -> list[Lockout]:
    """Every user name and address at or over its failure limit within the cool-off, as axes
    counts them (the failures of all its recent attempts, summed)."""
    cool_off = get_cool_off()
    lockouts = []
    for kind, column, setting in LOCKOUT_COUNTS:
        limit = getattr(settings, setting)
        attempts = _recent_attempts(cool_off).exclude(**{f"{column}__isnull": True})
        if column == "username":  # (an address field turns "" into NULL, excluded already)
            attempts = attempts.exclude(username="")
        rows = (
            attempts.values(column)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
            .order_by("-last")
        )
        lockouts += [
            Lockout(
                kind=kind,
                value=row[column],
                failures=row["failures"],
                last_attempt=row["last"],
                until=row["last"] + cool_off if cool_off else None,
            )
            for row in rows
        ]
    return lockouts


def _is_locked(kind: str, value: str) -> bool:
    return any(lockout.kind == kind and lockout.value == value for lockout in current_lockouts())


# --- unlocking: the head of recovery only, audited ---------------------------------------------


def _require_head(by: Any) -> None:
    if role_of(by) != Role.HEAD:
        raise RecoveryError(_("Only the head of recovery can unlock accounts."))


@transaction.atomic
def account_unlock(*, username: str, by: Any) -> int:
    """Clear the failed sign-ins of `username` (from every address); returns how many attempt
    records were cleared. Audited on the user's record (on the head's own when no such user)."""
    _require_head(by)
    username = (username or "").strip()
    if not username or not _is_locked("account", username):
        raise RecoveryError(
            _("The account %(username)s is not locked.") % {"username": username}, field="username"
        )
    cleared = reset(username=username)
    user = get_user_model().objects.filter(username=username).first()
    audit_note(user or by, user=by, action=ACCOUNT_UNLOCKED, data={"username": username, "cleared": cleared})
    return cleared


@transaction.atomic
def address_unlock(*, ip_address: str, by: Any) -> int:
    """Clear the failed sign-ins from `ip_address` (for every user name). Audited on the
    head's own record: an address belongs to no one."""
    _require_head(by)
    ip_address = (ip_address or "").strip()
    if not ip_address or not _is_locked("address", ip_address):
        raise RecoveryError(
            _("The address %(address)s is not locked.") % {"address": ip_address}, field="ip_address"
        )
    cleared = reset(ip=ip_address)
    audit_note(by, user=by, action=ACCOUNT_UNLOCKED, data={"ip_address": ip_address, "cleared": cleared})
    return cleared


# --- the admin: Settings → locked accounts (head of recovery only; 404 for everyone else) --------


def _require_head_or_404(request: HttpRequest) -> None:
    if role_of(request.user) != Role.HEAD:
        raise Http404


class LockedAccountsView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "recovery/accounts/locked_accounts.html"
    header_icon = "lock"
    page_title = gettext_lazy("Locked accounts")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        _require_head_or_404(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        context.update(
            lockouts=current_lockouts(),
            failure_limit=settings.LOGIN_FAILURE_LIMIT,
            address_failure_limit=settings.LOGIN_ADDRESS_FAILURE_LIMIT,
            unlock_url=reverse("recovery_account_unlock"),
        )
        return context


def account_unlock_view(request: HttpRequest) -> HttpResponse:
    # The role first: to anyone else the URL does not exist, whatever the method.
    _require_head_or_404(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    kind = request.POST.get("kind", "")
    value = request.POST.get("value", "")
    try:
        if kind == "account":
            account_unlock(username=value, by=request.user)
            messages.success(request, _("The account %(username)s is unlocked.") % {"username": value})
        elif kind == "address":
            address_unlock(ip_address=value, by=request.user)
            messages.success(request, _("The address %(address)s is unlocked.") % {"address": value})
        else:
            messages.error(request, _("Choose an account or an address to unlock."))
    except RecoveryError as refused:
        messages.error(request, refused.message)
    return redirect("recovery_locked_accounts")


class HeadOnlyMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return role_of(request.user) == Role.HEAD


def register_lockout_urls() -> list:
    return [
        path("locked-accounts/", LockedAccountsView.as_view(), name="recovery_locked_accounts"),
        path("locked-accounts/unlock/", account_unlock_view, name="recovery_account_unlock"),
    ]


def register_locked_accounts_menu_item() -> MenuItem:
    return HeadOnlyMenuItem(
        gettext_lazy("Locked accounts"),
        reverse("recovery_locked_accounts"),
        name="locked-accounts",
        icon_name="lock",
        order=900,
    )


def register_unlock_action(actions: Any) -> None:
    @actions.register_action(ACCOUNT_UNLOCKED)
    class Unlocked(LogFormatter):
        label = gettext_lazy("Sign-in unlocked")

        def format_message(self, log_entry: Any) -> str:
            data = log_entry.data or {}
            if data.get("username"):
                return _("Unlocked the account %(username)s") % {"username": data["username"]}
            return _("Unlocked the address %(address)s") % {"address": data.get("ip_address", "")}


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in text)


def full_name(first_name: str, last_name: str) -> str:
    """A person's name as it is written: a Chinese name family name first and without a space
    (赵明), a Western one given name first (Ming Zhao)."""
    first, last = first_name.strip(), last_name.strip()
    if _is_cjk(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def user_full_name(user: Any) -> str:
    return full_name(user.first_name, user.last_name)
