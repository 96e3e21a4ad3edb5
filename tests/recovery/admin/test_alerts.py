"""Deadline alerts in the admin: each user's preferences (account settings) and calendar address,
the alerts sent (scoped, constant queries) and the alert policies (head of recovery only)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from recovery.models import Alert, AlertPolicy, AlertPreference, AlertStatus, Deadline, Role
from recovery.services import RecoveryError
from recovery.services.alert_preferences import (
    ALERT_PREFERENCE_UPDATED,
    CALENDAR_TOKEN_REVOKED,
    alert_preference_for,
    alert_preference_update,
    calendar_token_revoke,
)
from recovery.services.alerts import ALERT_POLICY_UPDATED
from recovery.services.deadlines import deadlines_recompute
from tests.recovery.admin.account_helpers import ACCOUNT, account_form_data

ALERTS = "recovery_alerts:index"
POLICIES = "recovery_alert_policies:index"


def _feed(client, token):
    return client.get(reverse("recovery_calendar_feed", args=[token]))


# --- preferences and the calendar address ---------------------------------------------------------


@pytest.mark.django_db
def test_the_account_settings_show_the_alert_preferences_and_calendar_address(client, staff):
    client.force_login(staff["lawyer"])
    page = client.get(reverse(ACCOUNT)).content.decode()
    preference = AlertPreference.objects.get(user=staff["lawyer"])
    assert 'data-testid="alert-preferences"' in page
    assert f"/calendar/{preference.calendar_token}.ics" in page
    assert "webcal://" in page
    assert "cannot be switched off" in page or "不能关闭" in page
    assert 'name="deadline_alerts-digest_hour"' in page and 'name="deadline_alerts-language"' in page
    # There is no switch to turn alerts off.
    assert set(AlertPreference._meta.get_fields()) and not hasattr(preference, "enabled")


@pytest.mark.django_db
def test_a_user_sets_digest_hour_and_language_in_the_account_settings(client, staff):
    lawyer = staff["lawyer"]
    client.force_login(lawyer)
    data = account_form_data(client)
    assert data["deadline_alerts-digest_hour"] == 8
    data |= {"deadline_alerts-digest_hour": "7", "deadline_alerts-language": "en"}
    response = client.post(reverse(ACCOUNT), data)
    assert response.status_code == 302, response.context and [
        p.get_form().errors for ps in response.context["panels_by_tab"].values() for p in ps
    ]
    preference = AlertPreference.objects.get(user=lawyer)
    assert (preference.digest_hour, preference.language) == (7, "en")
    entry = ModelLogEntry.objects.for_instance(preference).get(action=ALERT_PREFERENCE_UPDATED)
    assert entry.user_id == lawyer.pk
    assert entry.data["changes"] == {"digest_hour": [8, 7], "language": ["zh-hans", "en"]}
    assert preference.calendar_token not in str(entry.data)

    data |= {"deadline_alerts-digest_hour": "24"}
    response = client.post(reverse(ACCOUNT), data)
    assert response.status_code == 200  # the form again, with the error
    assert AlertPreference.objects.get(user=lawyer).digest_hour == 7


@pytest.mark.django_db
def test_the_preference_services_validate_and_audit(staff):
    lawyer = staff["lawyer"]
    with pytest.raises(RecoveryError) as problem:
        alert_preference_update(user=lawyer, digest_hour=24, language="en")
    assert problem.value.field == "digest_hour"
    with pytest.raises(RecoveryError) as problem:
        alert_preference_update(user=lawyer, digest_hour=6, language="fr")
    assert problem.value.field == "language"
    assert alert_preference_update(user=lawyer, digest_hour=6, language="zh-hans") == {"digest_hour": [8, 6]}
    assert alert_preference_update(user=lawyer, digest_hour=6, language="zh-hans") == {}
    old = alert_preference_for(user=lawyer).calendar_token
    new = calendar_token_revoke(user=lawyer).calendar_token
    assert new != old and len(new) >= 40
    entry = ModelLogEntry.objects.get(action=CALENDAR_TOKEN_REVOKED)
    assert old not in str(entry.data) and new not in str(entry.data)


@pytest.mark.django_db
def test_revoking_the_calendar_address_retires_the_old_one(client, staff):
    lawyer = staff["lawyer"]
    old = alert_preference_for(user=lawyer).calendar_token
    assert _feed(client, old).status_code == 200
    client.force_login(lawyer)
    assert client.get(reverse("recovery_calendar_revoke")).status_code == 405  # POST only
    response = client.post(reverse("recovery_calendar_revoke"))
    assert response.status_code == 302 and response["Location"].startswith(reverse(ACCOUNT))
    new = AlertPreference.objects.get(user=lawyer).calendar_token
    assert new != old
    client.logout()
    assert _feed(client, old).status_code == 404
    assert _feed(client, new).status_code == 200
    client.force_login(lawyer)
    assert f"/calendar/{new}.ics" in client.get(reverse(ACCOUNT)).content.decode()


# --- the alerts sent -------------------------------------------------------------------------------


def _deadline_of(case) -> Deadline:
    deadlines_recompute(case_ids=[case.pk])
    return Deadline.objects.filter(case=case).order_by("pk").first()


def _alerts(deadline, recipient, thresholds, **fields) -> list[Alert]:
    today = timezone.localdate()
    values = {"recipient_role": "assignee", "planned_on": today} | fields
    return [
        Alert.objects.create(
            deadline=deadline, act_by=deadline.act_by, threshold=threshold, recipient=recipient, **values
        )
        for threshold in thresholds
    ]


@pytest.fixture
def sent_alerts(staff, make_case):
    """An alert of a Shanghai case (overdue, sent) and one of a Hangzhou case (on the day, failing)."""
    shanghai = make_case(assignee=staff["lawyer"])
    hangzhou = make_case(assignee=staff["other_lawyer"], branch="杭州分行")
    deadlines = {"shanghai": _deadline_of(shanghai), "hangzhou": _deadline_of(hangzhou)}
    Alert.objects.all().delete()  # whatever the recompute mailed at once
    (overdue,) = _alerts(
        deadlines["shanghai"],
        staff["lawyer"],
        [-1],
        status=AlertStatus.SENT,
        sent_at=timezone.now(),
        attempts=1,
    )
    (failing,) = _alerts(
        deadlines["hangzhou"],
        staff["other_lawyer"],
        [0],
        attempts=3,
        last_error="SMTP 451 try later",
    )
    return {"cases": {"shanghai": shanghai, "hangzhou": hangzhou}, "overdue": overdue, "failing": failing}


def _listing(client, **params) -> str:
    response = client.get(reverse(ALERTS), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_alerts_sent_are_scoped_by_role(client, staff, sent_alerts):
    shanghai, hangzhou = sent_alerts["cases"]["shanghai"], sent_alerts["cases"]["hangzhou"]

    client.force_login(staff["manager"])
    page = _listing(client)
    assert shanghai.number in page and hangzhou.number not in page
    case_link = reverse("wagtailsnippets_recovery_case:inspect", args=[shanghai.pk])
    assert f'href="{case_link}#deadline-{sent_alerts["overdue"].deadline_id}"' in page
    assert "逾期" in page and "lawyer" in page

    client.force_login(staff["other_manager"])
    page = _listing(client)
    assert hangzhou.number in page and shanghai.number not in page
    assert "当天" in page and "SMTP 451 try later" in page

    for role in ("head", "auditor"):
        client.force_login(staff[role])
        page = _listing(client)
        assert shanghai.number in page and hangzhou.number in page
        home = client.get(reverse("wagtailadmin_home")).content.decode()
        assert "deadline-alerts-sent" in home

    # Lawyers see the alerts sent to them, and only those (#12 §6: it was a 404).
    Alert.objects.create(
        deadline=sent_alerts["failing"].deadline,
        act_by=sent_alerts["failing"].act_by,
        threshold=3,
        recipient=staff["manager"],
        recipient_role="manager",
        planned_on=timezone.localdate(),
    )  # about a Hangzhou case, to a Shanghai manager: theirs, whatever the branch
    client.force_login(staff["manager"])
    assert hangzhou.number in _listing(client)
    client.force_login(staff["lawyer"])
    page = _listing(client)
    assert shanghai.number in page and hangzhou.number not in page
    assert client.get(reverse("recovery_alerts:index_results")).status_code == 200
    assert "deadline-alerts-sent" in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(staff["other_lawyer"])
    page = _listing(client)
    assert hangzhou.number in page and shanghai.number not in page


@pytest.mark.django_db
def test_the_alerts_sent_filter_by_status_recipient_and_date(client, staff, sent_alerts):
    shanghai, hangzhou = sent_alerts["cases"]["shanghai"], sent_alerts["cases"]["hangzhou"]
    client.force_login(staff["head"])

    def shown(**params):
        page = _listing(client, **params)
        return {name for name, case in (("sh", shanghai), ("hz", hangzhou)) if case.number in page}

    assert shown(status=AlertStatus.SENT) == {"sh"}
    assert shown(status=AlertStatus.PENDING) == {"hz"}
    assert shown(recipient=staff["other_lawyer"].pk) == {"hz"}
    today = timezone.localdate()
    Alert.objects.filter(pk=sent_alerts["failing"].pk).update(planned_on=today - timedelta(days=10))
    assert shown(planned_on_from=(today - timedelta(days=1)).isoformat()) == {"sh"}
    assert shown(planned_on_to=(today - timedelta(days=5)).isoformat()) == {"hz"}


@pytest.mark.django_db
def test_the_alerts_sent_listing_runs_a_constant_number_of_queries(
    client, staff, make_case, django_assert_num_queries
):
    cases = [make_case(assignee=staff["lawyer"]) for _ in range(5)]
    deadlines = [_deadline_of(case) for case in cases]
    Alert.objects.all().delete()
    for index, deadline in enumerate(deadlines):
        _alerts(deadline, staff["lawyer"], [index + 1])
    client.force_login(staff["manager"])
    _listing(client)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as five:
        page = _listing(client)
    assert page.count("#deadline-") == 5
    for index, deadline in enumerate(deadlines):
        _alerts(deadline, staff["other_lawyer"], range(10 + index * 7, 17 + index * 7))
    assert Alert.objects.count() == 40
    with django_assert_num_queries(len(five.captured_queries)):
        page = _listing(client)
    assert page.count("#deadline-") == 40


# --- alert policies ---------------------------------------------------------------------------------


def _policy_edit_url(policy) -> str:
    return reverse("recovery_alert_policies:edit", args=[policy.pk])


@pytest.mark.django_db
def test_the_head_edits_an_alert_policy_through_the_audited_service(client, staff):
    policy = AlertPolicy.objects.get(kind="limitation")
    client.force_login(staff["head"])
    page = client.get(reverse(POLICIES)).content.decode()
    assert policy.thresholds in page and _policy_edit_url(policy) in page
    response = client.post(
        _policy_edit_url(policy),
        {"thresholds": "7，30, 120,0, 30", "action_hint": "寄送催收函并取得签收凭证"},
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.thresholds == "120, 30, 7, 0"  # normalised by AlertPolicy.clean()
    assert policy.action_hint == "寄送催收函并取得签收凭证"
    entry = ModelLogEntry.objects.for_instance(policy).get(action=ALERT_POLICY_UPDATED)
    assert entry.user_id == staff["head"].pk
    assert entry.data["changes"]["thresholds"][1] == "120, 30, 7, 0"
    assert entry.data["source"] == "alert policy"


@pytest.mark.django_db
def test_invalid_thresholds_show_the_policys_message(client, staff):
    policy = AlertPolicy.objects.get(kind="appeal_judgment")
    before = policy.thresholds
    client.force_login(staff["head"])
    response = client.post(_policy_edit_url(policy), {"thresholds": "5, abc", "action_hint": "上诉"})
    assert response.status_code == 200
    assert "“abc”不是 0–3650 之间的天数" in response.content.decode()
    response = client.post(_policy_edit_url(policy), {"thresholds": " , ", "action_hint": "上诉"})
    assert "至少填写一个天数" in response.content.decode()
    policy.refresh_from_db()
    assert policy.thresholds == before


@pytest.mark.django_db
def test_only_the_head_changes_alert_policies_and_nobody_adds_or_deletes_them(client, staff):
    policy = AlertPolicy.objects.get(kind="limitation")
    before = (policy.thresholds, policy.action_hint)
    for name in ("lawyer", "manager", "auditor"):
        client.force_login(staff[name])
        page = client.get(reverse(POLICIES))
        assert page.status_code == 200 and policy.thresholds in page.content.decode()  # may view
        assert _policy_edit_url(policy) not in page.content.decode()
        response = client.post(_policy_edit_url(policy), {"thresholds": "1", "action_hint": "x"})
        assert response.status_code in (302, 403)
        policy.refresh_from_db()
        assert (policy.thresholds, policy.action_hint) == before
    client.force_login(staff["head"])
    for url in ("/admin/recovery/alert-policies/new/", f"/admin/recovery/alert-policies/delete/{policy.pk}/"):
        assert client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_no_role_writes_alerts_deadlines_or_preferences_through_the_generic_admin(make_user, role):
    user = make_user(f"u-{role}", role)
    for model in ("alert", "deadline", "alertpreference"):
        for action in ("add", "change", "delete"):
            assert not user.has_perm(f"recovery.{action}_{model}")
    assert user.has_perm("recovery.view_alertpolicy")
    assert user.has_perm("recovery.change_alertpolicy") == (role == Role.HEAD)
    assert not user.has_perm("recovery.add_alertpolicy")
    assert not user.has_perm("recovery.delete_alertpolicy")
