"""Deadline alerts in the admin:

* each user's alert preferences, a panel of Wagtail's account settings (Notifications tab):
  digest hour, alert language, the private calendar-feed address and a button to revoke it;
* 已发送的期限提醒, the alerts sent (Reports menu), read-only: everyone sees the alerts sent
  to them; managers also those of the cases they see, the head of recovery and auditors all;
* the alert policies (Settings menu): thresholds and what-to-do text per deadline kind,
  edited by the head of recovery through the audited services, viewed by everyone else.

Imported by `recovery.admin.docket`, so that these hooks register with the others.
"""

from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.account import BaseSettingsPanel, notifications_tab
from wagtail.admin.views.generic import EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import LogFormatter

from recovery.admin.base import ReadOnlyListingMixin, ScopedFilterSet, ServiceFormMixin
from recovery.alerting.thresholds import LAPSED
from recovery.lib.links import case_path
from recovery.lib.masking import SafeExportMixin
from recovery.models import Alert, AlertPolicy, AlertRecipientRole, AlertStatus
from recovery.selectors.access import role_of
from recovery.selectors.alerts import alert_listing, alert_recipients, may_list_alerts
from recovery.services.alert_preferences import (
    CALENDAR_TOKEN_REVOKED,
    alert_preference_for,
    alert_preference_update,
    calendar_feed_url,
    calendar_subscribe_url,
    calendar_token_revoke,
)
from recovery.services.alerts import alert_policy_update

ALERTS_NAMESPACE = "recovery_alerts"
POLICIES_NAMESPACE = "recovery_alert_policies"
REVOKE_URL_NAME = "recovery_calendar_revoke"
NO_SWITCH_OFF_HELP = gettext_lazy(
    "Alerts about the statutory deadlines of your own cases cannot be switched off: a missed "
    "limitation or appeal period loses the claim. You can choose when the daily digest arrives "
    "and its language; deadlines that newly fall within three days are mailed at once."
)


# --- preferences: a panel of the account settings ------------------------------------------------


class AlertPreferenceForm(forms.Form):
    digest_hour = forms.TypedChoiceField(
        label=gettext_lazy("Daily digest at"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text=gettext_lazy("The hour (Asia/Shanghai time) at which your daily digest of alerts is sent."),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of alerts"),
        choices=settings.LANGUAGES,
        help_text=gettext_lazy("The language of alert e-mails and of your calendar feed."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def save(self) -> dict:
        return alert_preference_update(
            user=self.user,
            digest_hour=self.cleaned_data["digest_hour"],
            language=self.cleaned_data["language"],
        )


class AlertPreferencesPanel(BaseSettingsPanel):
    name = "deadline_alerts"
    title = gettext_lazy("Deadline alerts")
    tab = notifications_tab
    order = 50
    template_name = "recovery/alerts/preferences_panel.html"

    def is_active(self) -> bool:
        return role_of(self.user) is not None

    @cached_property
    def preference(self) -> Any:
        return alert_preference_for(user=self.user)

    def get_form(self) -> AlertPreferenceForm:
        initial = {"digest_hour": self.preference.digest_hour, "language": self.preference.language}
        if self.request.method == "POST":
            return AlertPreferenceForm(self.request.POST, prefix=self.name, initial=initial, user=self.user)
        return AlertPreferenceForm(prefix=self.name, initial=initial, user=self.user)

    def get_context_data(self) -> dict:
        return {
            "form": self.get_form(),
            "help_text": NO_SWITCH_OFF_HELP,
            "feed_url": calendar_feed_url(self.preference),
            "subscribe_url": calendar_subscribe_url(self.preference),
            "revoke_url": reverse(REVOKE_URL_NAME),
        }


def alert_preferences_panel(request: HttpRequest, user: Any, profile: Any) -> AlertPreferencesPanel:
    return AlertPreferencesPanel(request, user, profile)


@require_POST
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    """A new calendar-feed address for the signed-in user; the old one stops working."""
    if role_of(request.user) is None:
        raise Http404
    calendar_token_revoke(user=request.user)
    messages.success(
        request,
        _("Your calendar has a new address; the old one no longer works. Subscribe to the new one."),
    )
    return redirect(reverse("wagtailadmin_account") + "#tab-notifications")


def register_alert_urls() -> list:
    return [path("recovery/alerts/calendar/revoke/", calendar_revoke, name=REVOKE_URL_NAME)]


def register_alert_log_actions(actions: Any) -> None:
    @actions.register_action(CALENDAR_TOKEN_REVOKED)
    class CalendarTokenRevoked(LogFormatter):
        label = gettext_lazy("Calendar address revoked")
        message = gettext_lazy("Calendar address revoked")


# --- the alerts sent -------------------------------------------------------------------------------


def threshold_label(threshold: int) -> str:
    if threshold == LAPSED:
        return _("Lapse notice")
    if threshold < 0:
        return _("Overdue")
    if threshold == 0:
        return _("On the day")
    return ngettext("%(days)s day before", "%(days)s days before", threshold) % {"days": threshold}


def _local_time(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _alert_case_url(alert: Alert) -> str:
    return case_path(alert.deadline.case_id) + f"#deadline-{alert.deadline_id}"


def _recipient_name(alert: Alert) -> str:
    user = alert.recipient
    return user.get_full_name() or user.get_username()


def _staff_users(request: Any = None) -> Any:
    return alert_recipients()


class AlertFilterSet(ScopedFilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=AlertStatus.choices)
    recipient = django_filters.ModelChoiceFilter(label=gettext_lazy("Recipient"), queryset=_staff_users)
    recipient_role = django_filters.ChoiceFilter(
        label=gettext_lazy("Sent as"), choices=AlertRecipientRole.choices
    )
    planned_on = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Alert date"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Alert
        fields = ["status", "recipient", "recipient_role", "planned_on"]


class AlertIndexView(SafeExportMixin, IndexView):
    page_title = gettext_lazy("Deadline alerts sent")
    default_ordering = "-created_at"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not may_list_alerts(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self) -> Any:
        return alert_listing(self.request.user)

    def get_list_buttons(self, instance: Any) -> list:
        return []


class AlertListingMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return may_list_alerts(request.user)


class AlertViewSet(ReadOnlyListingMixin, ModelViewSet):
    """Every alert planned or sent, newest first; read-only (alerts are written by the engine)."""

    model = Alert
    name = ALERTS_NAMESPACE
    url_prefix = "recovery/alerts"
    icon = "mail"
    menu_label = gettext_lazy("Deadline alerts sent")
    menu_name = "deadline-alerts-sent"
    menu_order = 50
    menu_hook = "register_reports_menu_item"
    index_view_class = AlertIndexView
    filterset_class = AlertFilterSet
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    list_per_page = 50
    list_display = [
        Column("recipient", label=gettext_lazy("Recipient"), accessor=_recipient_name, sort_key="recipient"),
        Column(
            "recipient_role",
            label=gettext_lazy("Sent as"),
            accessor="get_recipient_role_display",
            sort_key="recipient_role",
        ),
        TitleColumn(
            "case",
            label=gettext_lazy("Case"),
            accessor=lambda alert: alert.deadline.case.number,
            get_url=_alert_case_url,
            sort_key="deadline__case__number",
        ),
        Column(
            "kind", label=gettext_lazy("Deadline"), accessor=lambda alert: alert.deadline.get_kind_display()
        ),
        Column(
            "act_by",
            label=gettext_lazy("Act by"),
            accessor=lambda alert: alert.act_by.isoformat(),
            sort_key="act_by",
        ),
        Column(
            "threshold",
            label=gettext_lazy("Alert"),
            accessor=lambda alert: threshold_label(alert.threshold),
            sort_key="threshold",
        ),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display", sort_key="status"),
        Column("attempts", label=gettext_lazy("Attempts"), sort_key="attempts"),
        Column("last_error", label=gettext_lazy("Last error"), accessor=lambda a: a.last_error or "—"),
        Column(
            "sent_at",
            label=gettext_lazy("Sent at"),
            accessor=lambda alert: _local_time(alert.sent_at),
            sort_key="sent_at",
        ),
    ]

    @property
    def menu_item_class(self) -> type:
        return AlertListingMenuItem

    def get_urlpatterns(self) -> list:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]


def register_alert_viewset() -> AlertViewSet:
    return AlertViewSet()


# --- alert policies ----------------------------------------------------------------------------------


class AlertPolicyIndexView(SafeExportMixin, IndexView):
    def get_list_buttons(self, instance: Any) -> list:
        return []


class AlertPolicyEditView(ServiceFormMixin, EditView):
    """Saved through `alert_policy_update`: validated by AlertPolicy.clean() and audited."""

    def save_instance(self) -> AlertPolicy:
        instance = self.form.save(commit=False)
        alert_policy_update(policy=instance, user=self.request.user)
        return instance


class AlertPolicyViewSet(ModelViewSet):
    """One policy per deadline kind (created by the migration): listed and edited, never added
    or deleted. Only the head of recovery may change them (see recovery.services.staff)."""

    model = AlertPolicy
    name = POLICIES_NAMESPACE
    url_prefix = "recovery/alert-policies"
    icon = "warning"
    menu_label = gettext_lazy("Alert policies")
    menu_order = 910
    add_to_settings_menu = True
    index_view_class = AlertPolicyIndexView
    edit_view_class = AlertPolicyEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    ordering = ["kind"]
    list_display = [
        "kind",  # the title column: links to the edit view for those who may change it
        Column("thresholds", label=gettext_lazy("Days before the act-by date")),
        Column("action_hint", label=gettext_lazy("What to do")),
    ]
    panels = [
        FieldPanel("kind", read_only=True),
        FieldPanel("thresholds"),
        FieldPanel("action_hint", widget=forms.Textarea(attrs={"rows": 3})),
    ]

    def get_common_view_kwargs(self, **kwargs: Any) -> dict:
        return super().get_common_view_kwargs(
            **{"add_url_name": None, "delete_url_name": None, "usage_url_name": None, **kwargs}
        )

    def get_urlpatterns(self) -> list:
        return [
            pattern
            for pattern in super().get_urlpatterns()
            if pattern.name in {"index", "index_results", "edit", "history", "history_results"}
        ]


def register_alert_policy_viewset() -> AlertPolicyViewSet:
    return AlertPolicyViewSet()
