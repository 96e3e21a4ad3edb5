"""The account page (#12 §6): every user saves any tab, demo users have proper names, and a
refused save shows its errors where the user looks (recovery.admin.account_settings)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from recovery.models import AlertPreference, Role
from tests.recovery.admin.account_helpers import ACCOUNT, account_form_data

ROLE_WORDS = ("律师", "主任", "经理", "主管", "审计", "负责人")
_TAB_PANEL = re.compile(r'id="tab-([\w-]+)"\s+class="w-tabs__panel"')


def _section(page: str, tab: str) -> str:
    """The HTML of one tab's panel section."""
    starts = {match.group(1): match.start() for match in _TAB_PANEL.finditer(page)}
    following = [start for start in starts.values() if start > starts[tab]]
    return page[starts[tab] : min(following, default=len(page))]


def _tabs_element(page: str) -> str:
    start = page.index('<div class="w-tabs"')
    return page[start : page.index("\n", start)]  # the opening tag, on one line


@pytest.mark.django_db
def test_a_user_without_names_saves_the_alert_tab(client, staff):
    """Failed before the fix: Wagtail's name panel required 姓, so nothing could be saved."""
    lawyer = staff["lawyer"]
    assert not lawyer.first_name and not lawyer.last_name
    client.force_login(lawyer)
    data = account_form_data(client)
    assert data["name_email-last_name"] == ""
    data |= {"deadline_alerts-digest_hour": "7"}
    response = client.post(reverse(ACCOUNT), data)
    assert response.status_code == 302
    assert AlertPreference.objects.get(user=lawyer).digest_hour == 7


@pytest.mark.django_db
def test_the_name_tab_still_saves_names(client, staff):
    lawyer = staff["lawyer"]
    client.force_login(lawyer)
    data = account_form_data(client) | {"name_email-last_name": "赵", "name_email-first_name": "明"}
    assert client.post(reverse(ACCOUNT), data).status_code == 302
    lawyer.refresh_from_db()
    assert (lawyer.last_name, lawyer.first_name) == ("赵", "明")


@pytest.mark.django_db
def test_the_demo_users_have_proper_names_and_save_their_settings_unchanged(client, capsys):
    """Failed before the fix: the role was the first name ("承办律师 赵律师") and 姓 was empty."""
    call_command("seed_demo")
    capsys.readouterr()
    users = get_user_model().objects.filter(staff_profile__isnull=False).select_related("staff_profile")
    assert {user.username for user in users} >= {"head", "manager", "lawyer", "lawyer2", "auditor"}
    for user in users:
        assert user.last_name and user.first_name, user.username
        assert not any(word in user.first_name + user.last_name for word in ROLE_WORDS), user.username
    assert get_user_model().objects.get(username="lawyer2").staff_profile.role == Role.LAWYER
    for user in users:
        client.force_login(user)
        data = account_form_data(client) | {"deadline_alerts-digest_hour": "9"}
        response = client.post(reverse(ACCOUNT), data)
        assert response.status_code == 302, user.username
        assert AlertPreference.objects.get(user=user).digest_hour == 9


@pytest.mark.django_db
def test_an_invalid_alert_value_is_shown_in_the_alert_panel_and_the_page_opens_there(client, staff):
    lawyer = staff["lawyer"]
    client.force_login(lawyer)
    data = account_form_data(client) | {"deadline_alerts-digest_hour": "24"}
    response = client.post(reverse(ACCOUNT), data)
    assert response.status_code == 200
    page = response.content.decode()
    alerts_tab = _section(page, "notifications")
    assert 'data-testid="alert-preferences"' in alerts_tab
    assert "error-message" in alerts_tab and "24" in alerts_tab
    assert "error-message" not in _section(page, "profile")
    assert 'data-w-tabs-active-panel-id-value="tab-notifications"' in _tabs_element(page)
    # Posted to the page itself, without a #tab-… that would open another tab.
    assert f'action="{reverse(ACCOUNT)}"' in page
    # The reason is also above the tabs, naming the tab, the panel and the field.
    messages = [str(message) for message in response.context["messages"]]
    assert len(messages) == 1
    assert "Deadline alerts" in messages[0] or "期限提醒" in messages[0]
    assert AlertPreference.objects.get(user=lawyer).digest_hour == 8


@pytest.mark.django_db
def test_an_error_on_the_profile_tab_opens_the_profile_tab(client, staff):
    client.force_login(staff["lawyer"])
    data = account_form_data(client) | {"name_email-email": "", "deadline_alerts-digest_hour": "7"}
    response = client.post(reverse(ACCOUNT), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "error-message" in _section(page, "profile")
    assert 'data-w-tabs-active-panel-id-value="tab-profile"' in _tabs_element(page)
    assert AlertPreference.objects.get(user=staff["lawyer"]).digest_hour == 8


@pytest.mark.django_db
def test_the_account_page_is_served_by_the_recovery_view(client, staff):
    from recovery.admin.account_settings import AccountSettingsView

    client.force_login(staff["auditor"])
    response = client.get(reverse(ACCOUNT))
    assert response.status_code == 200
    assert isinstance(response.context["view"], AccountSettingsView)
    client.logout()
    assert client.get(reverse(ACCOUNT)).status_code == 302  # to the sign-in page
