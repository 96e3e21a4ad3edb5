"""Wagtail's account page (Account → settings) as the docket's users need it.

Wagtail posts every tab of the page in one form and validates every panel's form on each save,
whatever tab the Save button was pressed on. Its name panel requires a last name (姓), so a
user without one could save nothing, not even the deadline-alert settings, and the only sign was
a red count on the Profile tab. Here:

- the name panel's first and last names are optional: they only label the user (the role and
  branch are the StaffProfile's, never part of a name);
- a refused save says so above the tabs, naming each tab, panel and field at fault, so the user
  reads it whatever tab they were on, and the page opens on the first tab with an error.

`AccountSettingsView` is served on Wagtail's own path and URL name, ahead of its admin URLs
(config/urls.py), so `reverse("wagtailadmin_account")` and Wagtail's menus lead to it.
"""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from wagtail.admin import messages
from wagtail.admin.auth import require_admin_access
from wagtail.admin.forms.account import NameEmailForm
from wagtail.admin.views.account import AccountView, NameEmailSettingsPanel
from wagtail.coreutils import cautious_slugify


class OptionalNameEmailForm(NameEmailForm):
    """Wagtail's name and e-mail form with the names optional (the e-mail stays required: the
    deadline alerts are mailed to it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name"):
            self.fields[name].required = False


class OptionalNameSettingsPanel(NameEmailSettingsPanel):
    form_class = OptionalNameEmailForm


def panel_errors(panel: Any) -> list[str]:
    """'Field: message' for every error of a bound panel form; [] when it is valid or unbound."""
    form = panel.get_form()
    if not form.is_bound or form.is_valid():
        return []
    found = []
    for field_name, errors in form.errors.items():
        label = form.fields[field_name].label if field_name in form.fields else None
        for error in errors:
            found.append(f"{label}: {error}" if label else str(error))
    return found


class AccountSettingsView(AccountView):
    template_name = "recovery/accounts/account.html"

    def get_panels(self) -> list:
        return [
            OptionalNameSettingsPanel(panel.request, panel.user, panel.profile)
            if type(panel) is NameEmailSettingsPanel
            else panel
            for panel in super().get_panels()
        ]

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        # Posted without the #tab-… of the tab the user was on, so that a refused save opens
        # where the error is (Wagtail's tabs prefer the address's tab to the one chosen here).
        context["action_url"] = reverse("wagtailadmin_account")
        if self.request.method != "POST":  # only a refused save renders the page on a POST
            return context
        problems, first_tab = [], None
        for tab, panels in context["panels_by_tab"].items():
            for panel in panels:
                for error in panel_errors(panel):
                    problems.append(f"{tab.title} › {panel.title} › {error}")
                    first_tab = first_tab or tab
        if problems:
            context["error_panel_id"] = f"tab-{cautious_slugify(first_tab.name)}"
            messages.error(
                self.request,
                _("Your account settings were not saved. Correct the following: %(problems)s")
                % {"problems": "; ".join(problems)},
            )
        return context


# As Wagtail decorates its own admin views: signed-in admin users only, never cached.
account_settings_view = never_cache(require_admin_access(AccountSettingsView.as_view()))
