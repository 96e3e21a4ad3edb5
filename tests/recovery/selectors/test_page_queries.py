"""The listings read through selectors in a fixed, pinned number of queries: the case listing,
the hand-over imports and the alerts sent. Each count is taken on a warm page twice, the second
time with several times the rows; both must equal the pinned number, so a query per row fails
the first check and an added constant query the second (the change that moves a number says
why)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recovery.models import Alert, Deadline, ImportRun
from recovery.selectors.alerts import alert_listing, alerts_visible_to, may_list_alerts
from recovery.selectors.imports import import_runs_listed_for, import_runs_visible_to
from recovery.services.cases import case_facts_changed

CASE_LISTING_QUERIES = 14
IMPORT_LISTING_QUERIES = 11
ALERT_LISTING_QUERIES = 12


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_case_listing_costs_a_pinned_number_of_queries(client, staff, make_case):
    for _ in range(5):
        make_case(assignee=staff["lawyer"], loans=2)
    client.force_login(staff["lawyer"])
    url = reverse("wagtailsnippets_recovery_case:list") + "?per_page=50"
    client.get(url)  # warm caches (content types, permissions)
    with_5 = _queries(client, url)
    for _ in range(20):
        make_case(assignee=staff["lawyer"], loans=2)
    assert (with_5, _queries(client, url)) == (CASE_LISTING_QUERIES, CASE_LISTING_QUERIES)


def _runs(user, count: int, start: int) -> None:
    for n in range(start, start + count):
        ImportRun.objects.create(
            file_name=f"移交{n}.xlsx",
            checksum=f"{n:0>64}",
            source="web",
            status="done",
            started_by=user,
            summary={"created": n, "updated": 0, "unchanged": 0, "rejected": 1},
            errors=[{"row": 3, "field": "name", "message": "缺少姓名"}],
        )


@pytest.mark.django_db
def test_the_import_listing_costs_a_pinned_number_of_queries(client, staff):
    _runs(staff["manager"], 3, 0)
    client.force_login(staff["manager"])
    url = reverse("recovery_imports:index")
    client.get(url)
    with_3 = _queries(client, url)
    _runs(staff["manager"], 20, 3)
    _runs(staff["other_manager"], 5, 23)
    page = client.get(url).content.decode()
    assert page.count("移交") >= 23 and "移交23.xlsx" not in page
    assert (with_3, _queries(client, url)) == (IMPORT_LISTING_QUERIES, IMPORT_LISTING_QUERIES)


@pytest.mark.django_db
def test_import_runs_are_seen_by_who_started_them_and_by_the_head(staff):
    _runs(staff["manager"], 1, 0)
    _runs(staff["other_manager"], 1, 1)
    seen = {
        role: set(import_runs_visible_to(staff[role]).values_list("file_name", flat=True)) for role in staff
    }
    assert seen["manager"] == {"移交0.xlsx"}
    assert seen["other_manager"] == {"移交1.xlsx"}
    assert seen["head"] == seen["auditor"] == {"移交0.xlsx", "移交1.xlsx"}
    assert seen["lawyer"] == set()
    run = import_runs_listed_for(staff["manager"]).get()
    assert (run.summary_created, run.summary_rejected) == ("0", "1")  # read out of the JSON as text
    assert {"errors", "preview", "summary"} <= run.get_deferred_fields()


def _alerts_for(case, recipient, count: int) -> None:
    deadline = Deadline.objects.filter(case=case).order_by("pk").first()
    for threshold in range(1, count + 1):
        Alert.objects.create(
            deadline=deadline,
            recipient=recipient,
            recipient_role="assignee",
            act_by=deadline.act_by or date(2030, 1, 1),
            threshold=threshold,
            planned_on=date(2030, 1, 1) - timedelta(days=threshold),
        )


@pytest.mark.django_db
def test_the_alert_listing_costs_a_pinned_number_of_queries(client, staff, make_case):
    cases = [make_case(assignee=staff["lawyer"]) for _ in range(2)]
    case_facts_changed(case_ids={case.pk for case in cases})
    Alert.objects.all().delete()
    _alerts_for(cases[0], staff["lawyer"], 3)
    client.force_login(staff["manager"])
    url = reverse("recovery_alerts:index")
    client.get(url)
    with_3 = _queries(client, url)
    _alerts_for(cases[1], staff["other_lawyer"], 20)
    assert (with_3, _queries(client, url)) == (ALERT_LISTING_QUERIES, ALERT_LISTING_QUERIES)


@pytest.mark.django_db
def test_alerts_are_seen_by_their_recipient_and_over_the_cases_one_sees(staff, make_case):
    mine = make_case(assignee=staff["lawyer"])
    theirs = make_case(assignee=staff["other_lawyer"], branch="杭州分行")
    case_facts_changed(case_ids={mine.pk, theirs.pk})
    Alert.objects.all().delete()
    _alerts_for(mine, staff["lawyer"], 1)
    _alerts_for(theirs, staff["other_lawyer"], 1)
    counts = {role: alerts_visible_to(staff[role]).count() for role in staff}
    assert counts == {
        "lawyer": 1,
        "other_lawyer": 1,
        "manager": 1,  # the Shanghai case's alert: the manager sees that case
        "other_manager": 1,
        "head": 2,
        "auditor": 2,
    }
    assert all(may_list_alerts(user) for user in staff.values())
    alert = alert_listing(staff["head"]).first()
    assert "recipient" in alert._state.fields_cache and "deadline" in alert._state.fields_cache
