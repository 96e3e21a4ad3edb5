"""Brute force: repeated failed sign-ins lock the account and the address (admin login and HTTP
Basic on the API); a locked-out user is told so; the head of recovery can unlock."""

import base64
import json

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import translation
from wagtail.models import ModelLogEntry

from recovery.admin.accounts import ACCOUNT_UNLOCKED, account_unlock, address_unlock, current_lockouts
from recovery.services import RecoveryError

LOGIN = "/admin/login/"
API = "/api/deadlines/compute"
CALCULATION = {"rule": "limitation", "trigger": "2021-03-15"}


def _sign_in(client, username, password, *, address="10.1.1.1", language="en"):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _basic(client, username, password, *, address="10.1.1.1"):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return client.post(
        API,
        data=json.dumps(CALCULATION),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {token}",
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.fixture
def fresh_client(client):
    """A client with no session left over: each sign-in attempt starts anonymous."""

    def make():
        client.logout()
        return client

    return make


@pytest.mark.django_db
def test_the_right_password_signs_in_before_any_failure(client, staff):
    response = _sign_in(client, "lawyer", "pw-lawyer")
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, staff):
    for attempt in range(30):
        response = _sign_in(client, "lawyer", f"wrong-{attempt}")
        assert response.status_code in (200, 429)
    response = _sign_in(client, "lawyer", "pw-lawyer")
    assert not _signed_in(client)
    assert response.status_code == 429
    page = response.content.decode()
    assert "locked" in page.lower()
    assert "head of recovery" in page
    # The page is the sign-in page still: the form is there to try again later.
    assert 'name="password"' in page


@pytest.mark.django_db
def test_the_lockout_is_told_in_chinese(client, staff):
    for attempt in range(6):
        _sign_in(client, "lawyer", f"wrong-{attempt}", language="zh-hans")
    response = _sign_in(client, "lawyer", "pw-lawyer", language="zh-hans")
    assert response.status_code == 429
    page = response.content.decode()
    assert "已锁定" in page
    assert "清收负责人" in page


@pytest.mark.django_db
def test_the_account_stays_locked_from_another_address(client, staff):
    """Per user: an attacker who spreads guesses over many addresses still locks the account."""
    for attempt in range(10):
        _sign_in(client, "lawyer", f"wrong-{attempt}", address=f"10.2.0.{attempt}")
    response = _sign_in(client, "lawyer", "pw-lawyer", address="10.9.9.9")
    assert response.status_code == 429
    assert not _signed_in(client)


@pytest.mark.django_db
def test_one_address_guessing_many_accounts_is_locked(client, staff, settings):
    """Per address: one guess at each of many user names locks the address for everyone."""
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _sign_in(client, f"someone{n}", "guess", address="10.3.3.3")
    response = _sign_in(client, "head", "pw-head", address="10.3.3.3")
    assert response.status_code == 429
    assert not _signed_in(client)
    # Another address is not affected, and neither is the head's account.
    response = _sign_in(client, "head", "pw-head", address="10.4.4.4")
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_one_persons_typos_do_not_lock_colleagues_at_the_same_address(client, staff, settings):
    """Staff behind one NAT or proxy share an address: a locked account locks only itself."""
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT > settings.LOGIN_FAILURE_LIMIT
    for attempt in range(settings.LOGIN_FAILURE_LIMIT):
        _sign_in(client, "lawyer", f"typo-{attempt}", address="10.5.5.5")
    assert _sign_in(client, "lawyer", "pw-lawyer", address="10.5.5.5").status_code == 429
    response = _sign_in(client, "manager", "pw-manager", address="10.5.5.5")
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_the_address_limit_comes_from_the_settings(client, staff, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        _sign_in(client, f"someone{n}", "guess", address="10.6.6.6")
    assert _sign_in(client, "head", "pw-head", address="10.6.6.6").status_code == 429


@pytest.mark.django_db
def test_a_success_before_the_limit_starts_the_count_again(client, staff):
    for attempt in range(4):
        _sign_in(client, "lawyer", f"wrong-{attempt}")
    assert _sign_in(client, "lawyer", "pw-lawyer").status_code == 302
    client.logout()
    for attempt in range(4):
        _sign_in(client, "lawyer", f"again-{attempt}")
    assert _sign_in(client, "lawyer", "pw-lawyer").status_code == 302


@pytest.mark.django_db
def test_the_limit_comes_from_the_settings(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    _sign_in(client, "lawyer", "wrong-1")
    _sign_in(client, "lawyer", "wrong-2")
    assert _sign_in(client, "lawyer", "pw-lawyer").status_code == 429


# --- HTTP Basic on the API ------------------------------------------------------------------


@pytest.mark.django_db
def test_basic_auth_thirty_wrong_passwords_then_the_right_one_is_refused(client, staff):
    for attempt in range(30):
        response = _basic(client, "lawyer", f"wrong-{attempt}")
        assert response.status_code in (401, 429), response.content
    response = _basic(client, "lawyer", "pw-lawyer")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["locked"] is True
    assert "locked" in body["errors"][0]
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_basic_auth_works_before_the_limit(client, staff):
    assert _basic(client, "lawyer", "wrong").status_code == 401
    response = _basic(client, "lawyer", "pw-lawyer")
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_basic_auth_failures_lock_the_admin_login_too(client, staff):
    """One count per account, whichever door is knocked on."""
    for attempt in range(10):
        _basic(client, "lawyer", f"wrong-{attempt}", address="10.5.5.5")
    assert _sign_in(client, "lawyer", "pw-lawyer", address="10.6.6.6").status_code == 429


# --- the head of recovery unlocks -------------------------------------------------------------


def _lock(client, username, *, address="10.1.1.1"):
    for attempt in range(10):
        _sign_in(client, username, f"wrong-{attempt}", address=address)


@pytest.mark.django_db
def test_current_lockouts_lists_the_account_and_the_address(client, staff, settings):
    _lock(client, "lawyer")
    listed = {(row.kind, row.value) for row in current_lockouts()}
    assert ("account", "lawyer") in listed
    assert ("address", "10.1.1.1") not in listed  # one account's failures lock only the account
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _sign_in(client, f"someone{n}", "guess", address="10.2.2.2")
    assert ("address", "10.2.2.2") in {(row.kind, row.value) for row in current_lockouts()}


@pytest.mark.django_db
def test_the_head_unlocks_an_account_in_the_admin(client, staff):
    _lock(client, "lawyer", address="10.7.7.7")
    client.force_login(staff["head"])
    listing = client.get(reverse("recovery_locked_accounts"), HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200
    assert "lawyer" in listing.content.decode()
    response = client.post(
        reverse("recovery_account_unlock"), {"kind": "account", "value": "lawyer"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="lawyer").exists()
    entry = ModelLogEntry.objects.get(action=ACCOUNT_UNLOCKED)
    assert entry.user_id == staff["head"].pk
    assert entry.object_id == str(staff["lawyer"].pk)
    assert entry.data["username"] == "lawyer"
    # The lawyer signs in again, from another address (10.7.7.7 was unlocked with the account).
    client.logout()
    assert _sign_in(client, "lawyer", "pw-lawyer", address="10.8.8.8").status_code == 302


@pytest.mark.django_db
def test_the_head_unlocks_an_address(client, staff, settings):
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _sign_in(client, f"someone{n}", "guess", address="10.3.3.3")
    assert _sign_in(client, "head", "pw-head", address="10.3.3.3").status_code == 429
    address_unlock(ip_address="10.3.3.3", by=staff["head"])
    assert _sign_in(client, "head", "pw-head", address="10.3.3.3").status_code == 302
    entry = ModelLogEntry.objects.get(action=ACCOUNT_UNLOCKED)
    assert entry.data["ip_address"] == "10.3.3.3"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["lawyer", "manager", "auditor"])
def test_nobody_but_the_head_reaches_the_locked_accounts(client, staff, role):
    _lock(client, "other_lawyer")
    client.force_login(staff[role])
    assert client.get(reverse("recovery_locked_accounts")).status_code == 404
    # Not even "method not allowed": that would tell the URL exists.
    assert client.get(reverse("recovery_account_unlock")).status_code == 404
    response = client.post(reverse("recovery_account_unlock"), {"kind": "account", "value": "other_lawyer"})
    assert response.status_code == 404
    assert AccessAttempt.objects.filter(username="other_lawyer").exists()


@pytest.mark.django_db
def test_the_locked_accounts_menu_item_is_shown_to_the_head_only(client, staff):
    client.force_login(staff["head"])
    url = reverse("recovery_locked_accounts")
    assert url in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(staff["manager"])
    assert url not in client.get(reverse("wagtailadmin_home")).content.decode()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, staff):
    response = client.get(reverse("recovery_locked_accounts"))
    assert response.status_code == 302
    assert LOGIN in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["lawyer", "manager", "auditor"])
def test_the_unlock_service_refuses_everyone_but_the_head(client, staff, role):
    _lock(client, "other_lawyer")
    with pytest.raises(RecoveryError):
        account_unlock(username="other_lawyer", by=staff[role])
    assert AccessAttempt.objects.filter(username="other_lawyer").exists()
    assert not ModelLogEntry.objects.filter(action=ACCOUNT_UNLOCKED).exists()


@pytest.mark.django_db
def test_unlocking_an_account_that_is_not_locked_says_so(staff):
    with translation.override("en"), pytest.raises(RecoveryError) as refused:
        account_unlock(username="lawyer", by=staff["head"])
    assert refused.value.field == "username"
    assert "not locked" in refused.value.message


@pytest.mark.django_db
def test_a_bad_unlock_request_is_a_message_not_a_500(client, staff):
    client.force_login(staff["head"])
    response = client.post(reverse("recovery_account_unlock"), {"kind": "nonsense", "value": ""}, follow=True)
    assert response.status_code == 200
    response = client.post(
        reverse("recovery_account_unlock"), {"kind": "account", "value": "nobody"}, follow=True
    )
    assert response.status_code == 200
    assert list(response.context["messages"])
