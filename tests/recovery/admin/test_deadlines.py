"""The deadline pages: listing across cases, dashboard panel, case section, what-if, calculator,
JSON API and the holiday calendar years."""

import base64
import json
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from recovery.models import Deadline, DeadlineKind, DeadlineStatus, HolidayYear, Loan, Role
from recovery.services.deadlines import deadlines_recompute

LISTING = "recovery_deadlines:index"
API = "/api/deadlines/compute"


def _recompute(*cases):
    deadlines_recompute(case_ids=[case.pk for case in cases])


def _deadline(case, key, *, safe_end, **fields):
    values = {
        "kind": DeadlineKind.LIMITATION,
        "rule": "limitation",
        "party": case.debtor,
        "party_role": "borrower",
        "subject": f"贷款 {key}",
        "trigger": date(2023, 1, 1),
        "raw_end": safe_end,
        "legal_end": safe_end,
        "safe_end": safe_end,
        "act_by": safe_end,
        "status": DeadlineStatus.RUNNING,
        "steps": [{"date": "2023-01-01", "source": "民法典第188条", "text": "三年"}],
        "computed_at": timezone.now(),
    } | fields
    return Deadline.objects.create(case=case, key=key, **values)


def _listing(client, **params):
    response = client.get(reverse(LISTING), params)
    assert response.status_code == 200
    return response.content.decode()


def _basic(username):
    token = base64.b64encode(f"{username}:pw-{username}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


# --- permissions of the computed records -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_no_role_may_add_change_or_delete_a_deadline(make_user, role):
    user = make_user(f"u-{role}", role)
    assert user.has_perm("recovery.view_deadline")
    for action in ("add", "change", "delete"):
        assert not user.has_perm(f"recovery.{action}_deadline")
    assert user.has_perm("recovery.view_holidayyear")
    assert user.has_perm("recovery.change_holidayyear") == (role == Role.HEAD)


@pytest.mark.django_db
def test_the_listing_has_no_add_edit_or_delete_view(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    deadline = _deadline(case, "x", safe_end=timezone.localdate() + timedelta(days=3))
    client.force_login(staff["head"])
    page = _listing(client)
    assert case.number in page
    for suffix in ("add/", f"edit/{deadline.pk}/", f"delete/{deadline.pk}/"):
        assert client.get(f"/admin/recovery/deadlines/{suffix}").status_code == 404


# --- listing ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_lawyer_lists_only_the_deadlines_of_their_own_cases(client, staff, make_case):
    today = timezone.localdate()
    own = make_case(assignee=staff["lawyer"])
    other = make_case(assignee=staff["other_lawyer"])
    _deadline(own, "own", safe_end=today + timedelta(days=5))
    _deadline(other, "other", safe_end=today + timedelta(days=5))
    client.force_login(staff["lawyer"])
    page = _listing(client)
    assert own.number in page and "贷款 own" in page
    assert other.number not in page and "贷款 other" not in page
    export = client.get(reverse(LISTING), {"export": "csv"})
    exported = b"".join(export.streaming_content).decode()
    assert own.number in exported and other.number not in exported
    client.force_login(staff["manager"])  # same branch: sees both
    page = _listing(client)
    assert own.number in page and other.number in page
    client.force_login(staff["other_manager"])  # another branch
    assert own.number not in _listing(client)


@pytest.mark.django_db
def test_the_listing_links_the_case_page_and_shows_markers_in_order(client, staff, make_case):
    today = timezone.localdate()
    case = make_case(assignee=staff["lawyer"])
    later = _deadline(case, "later", safe_end=today + timedelta(days=60), calendar_provisional=True)
    sooner = _deadline(
        case, "sooner", safe_end=today + timedelta(days=2), at_risk=True, at_risk_note="无凭证"
    )
    client.force_login(staff["lawyer"])
    page = _listing(client)
    case_url = reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])
    assert f'href="{case_url}#deadline-{sooner.pk}"' in page
    assert page.index("贷款 sooner") < page.index("贷款 later")
    assert "at risk" in page or "有风险" in page
    assert reverse("recovery_deadlines:what_if", args=[later.pk]) in page


@pytest.mark.django_db
def test_the_listing_filters(client, staff, make_case, branches):
    today = timezone.localdate()
    own = make_case(assignee=staff["lawyer"])
    hangzhou = make_case(assignee=staff["other_lawyer"], branch="杭州分行")
    _deadline(own, "d5", safe_end=today + timedelta(days=5))
    _deadline(own, "d20", safe_end=today + timedelta(days=20), kind=DeadlineKind.GUARANTEE_PERIOD)
    _deadline(own, "d60", safe_end=today + timedelta(days=60), at_risk=True)
    _deadline(own, "d200", safe_end=today + timedelta(days=200))
    _deadline(own, "late", safe_end=today - timedelta(days=3), status=DeadlineStatus.EXPIRED)
    _deadline(own, "finished", safe_end=today + timedelta(days=4), done=True, done_note="已起诉")
    _deadline(hangzhou, "hz", safe_end=today + timedelta(days=6))
    client.force_login(staff["head"])

    def shown(**params):
        page = _listing(client, **params)
        return {
            key for key in ("d5", "d20", "d60", "d200", "late", "finished", "hz") if f"贷款 {key}\n" in page
        }

    assert shown() == {"d5", "d20", "d60", "d200", "late", "hz"}  # default: not done
    assert shown(due="7") == {"d5", "hz"}
    assert shown(due="30") == {"d5", "d20", "hz"}
    assert shown(due="90") == {"d5", "d20", "d60", "hz"}
    assert shown(due="overdue") == {"late"}
    assert shown(kind=DeadlineKind.GUARANTEE_PERIOD) == {"d20"}
    assert shown(status=DeadlineStatus.EXPIRED) == {"late"}
    assert shown(at_risk="true") == {"d60"}
    assert shown(done="yes") == {"finished"}
    assert "finished" in {k for k in ("finished",) if "贷款 finished\n" in _listing(client, done="all")}
    assert shown(assignee=staff["other_lawyer"].pk) == {"hz"}
    assert shown(branch=branches["杭州分行"].pk) == {"hz"}


@pytest.mark.django_db
def test_the_listing_runs_a_constant_number_of_queries(client, staff, make_case, django_assert_num_queries):
    today = timezone.localdate()
    cases = [make_case(assignee=staff["lawyer"]) for _ in range(5)]

    def add(start, stop):
        for i in range(start, stop):
            _deadline(cases[i % 5], f"k{i}", safe_end=today + timedelta(days=i))

    add(0, 5)
    client.force_login(staff["lawyer"])
    _listing(client)  # warm the session and the permission caches
    with CaptureQueriesContext(connection) as five:
        page = _listing(client)
    assert page.count('data-testid="') >= 0 and "贷款 k4\n" in page
    add(5, 50)
    with django_assert_num_queries(len(five.captured_queries)):
        page = _listing(client)
    assert "贷款 k49\n" in page


# --- dashboard ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_dashboard_counts_my_deadlines(client, staff, make_case):
    today = timezone.localdate()
    mine = make_case(assignee=staff["lawyer"])
    theirs = make_case(assignee=staff["other_lawyer"])
    _deadline(mine, "m-late", safe_end=today - timedelta(days=1))
    _deadline(mine, "m-5", safe_end=today + timedelta(days=5))
    _deadline(mine, "m-25", safe_end=today + timedelta(days=25))
    _deadline(mine, "m-80", safe_end=today + timedelta(days=80))
    _deadline(theirs, "t-5", safe_end=today + timedelta(days=5))
    client.force_login(staff["lawyer"])
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'data-testid="my-deadlines"' in page
    counts = page.split('data-testid="my-deadline-counts"')[1].split("</tr>")[0]
    assert [part.split("<")[0] for part in counts.split('">')[2:6]] == ["1", "1", "2", "3"]
    assert "贷款 m-5" in page and "贷款 t-5" not in page
    assert 'data-testid="scope-deadline-counts"' not in page
    assert 'aria-labelledby="my-docket-heading"' in page  # the docket panel is still there
    client.force_login(staff["manager"])
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    scope = page.split('data-testid="scope-deadline-counts"')[1].split("</tr>")[0]
    assert [part.split("<")[0] for part in scope.split('">')[2:6]] == ["1", "2", "3", "4"]


# --- case page and what if ------------------------------------------------------------------


@pytest.fixture
def case_with_demand(staff, make_case, make_action):
    """Loan due 2023-01-01; a demand delivered 2024-03-04 with a tracking number."""
    case = make_case(assignee=staff["lawyer"])
    make_action(
        case,
        kind="letter",
        acted_on=date(2024, 3, 1),
        reached=True,
        delivered_on=date(2024, 3, 4),
        tracking_number="EMS1",
        signed_on=date(2024, 3, 4),
    )
    _recompute(case)
    return case


@pytest.mark.django_db
def test_the_case_page_explains_each_deadline(client, staff, case_with_demand):
    limitation = Deadline.objects.get(case=case_with_demand, kind=DeadlineKind.LIMITATION)
    assert limitation.raw_end == date(2027, 3, 4)
    client.force_login(staff["lawyer"])
    page = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[case_with_demand.pk]))
    html = page.content.decode()
    assert 'data-testid="case-deadlines"' in html
    assert f'id="deadline-{limitation.pk}"' in html
    assert "<details" in html and 'data-testid="deadline-steps"' in html
    assert "民法典第188条" in html and "民法典第195条" in html
    assert "2027-03-04" in html
    assert "2024-03-04" in html  # the fact used
    assert reverse("recovery_deadlines:what_if", args=[limitation.pk]) in html


@pytest.mark.django_db
def test_the_case_page_shows_the_risk_and_the_conservative_date(client, staff, make_case, make_action):
    case = make_case(assignee=staff["lawyer"])
    make_action(case, kind="call", acted_on=date(2024, 3, 1), reached=True, delivered_on=date(2024, 3, 1))
    _recompute(case)
    limitation = Deadline.objects.get(case=case, kind=DeadlineKind.LIMITATION)
    assert limitation.at_risk and limitation.conservative_safe_end
    client.force_login(staff["lawyer"])
    html = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])).content.decode()
    assert 'data-testid="deadline-risk"' in html
    assert limitation.conservative_safe_end.isoformat() in html


@pytest.mark.django_db
def test_what_if_a_demand_is_delivered_gives_a_later_date_and_writes_nothing(client, staff, case_with_demand):
    limitation = Deadline.objects.get(case=case_with_demand, kind=DeadlineKind.LIMITATION)
    before = list(Deadline.objects.order_by("pk").values())
    logs_before = ModelLogEntry.objects.count()
    client.force_login(staff["lawyer"])
    url = reverse("recovery_deadlines:what_if", args=[limitation.pk])
    plain = client.get(url)
    assert plain.status_code == 200
    assert "2024-03-04" in plain.content.decode()  # the stored input
    response = client.get(
        url, {"event_type_0": "demand_delivered", "event_date_0": "2026-06-01", "as_of": "2026-06-02"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="what-if-hypothetical"' in html
    result = html.split('data-testid="what-if-result"')[1]
    assert "2029-06-01" in result  # raw end: three years from the new demand
    assert "民法典第195条" in result
    current = html.split('data-testid="what-if-current"')[1].split('data-testid="what-if-hypothetical"')[0]
    assert "2027-03-04" in current and "2029-06-01" not in current
    assert list(Deadline.objects.order_by("pk").values()) == before
    assert ModelLogEntry.objects.count() == logs_before


@pytest.mark.django_db
def test_what_if_shows_a_bad_date_next_to_its_row(client, staff, case_with_demand):
    limitation = Deadline.objects.get(case=case_with_demand, kind=DeadlineKind.LIMITATION)
    client.force_login(staff["lawyer"])
    response = client.get(
        reverse("recovery_deadlines:what_if", args=[limitation.pk]),
        {"event_type_1": "demand_delivered", "event_date_1": "2026-02-30"},
    )
    html = response.content.decode()
    assert 'data-testid="error-event_date_1"' in html
    assert "不是真实存在的日期（" in html and "not a real calendar date" in html
    assert 'data-testid="what-if-hypothetical"' not in html


@pytest.mark.django_db
def test_what_if_is_404_for_another_lawyers_case(client, staff, case_with_demand):
    limitation = Deadline.objects.get(case=case_with_demand, kind=DeadlineKind.LIMITATION)
    client.force_login(staff["other_lawyer"])
    assert client.get(reverse("recovery_deadlines:what_if", args=[limitation.pk])).status_code == 404
    client.force_login(staff["other_manager"])
    assert client.get(reverse("recovery_deadlines:what_if", args=[limitation.pk])).status_code == 404
    client.force_login(staff["auditor"])
    assert client.get(reverse("recovery_deadlines:what_if", args=[limitation.pk])).status_code == 200


# --- the standalone calculator ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_calculator_computes_the_contract_example(client, staff):
    client.force_login(staff["lawyer"])
    url = reverse("recovery_deadlines:calculator")
    assert client.get(url).status_code == 200
    response = client.get(
        url,
        {
            "rule": "limitation",
            "trigger": "2021-03-15",
            "as_of": "2025-01-01",
            "event_type_0": "",
            "event_date_0": "",
            "event_type_3": "demand_delivered",
            "event_date_3": "2022-10-01",
        },
    )
    html = response.content.decode()
    result = html.split('data-testid="calculator-result"')[1]
    assert "2025-10-01" in result and "2025-10-09" in result and "2025-09-30" in result
    assert "民法典第195条" in result


@pytest.mark.django_db
def test_the_calculator_shows_problems_next_to_the_fields(client, staff):
    client.force_login(staff["lawyer"])
    response = client.get(
        reverse("recovery_deadlines:calculator"),
        {
            "rule": "limitation",
            "trigger": "2021-02-30",
            "event_type_2": "demand_delivered",
            "event_date_2": "x",
        },
    )
    html = response.content.decode()
    assert 'data-testid="calculator-result"' not in html
    assert "不是真实存在的日期（" in html and "not a real calendar date" in html
    assert 'data-testid="error-event_date_2"' in html
    assert "日期应写作 YYYY-MM-DD" in html.split('data-testid="error-event_date_2"')[1][:200]


@pytest.mark.django_db
def test_the_calculator_is_in_the_admin_menu(client, staff):
    client.force_login(staff["auditor"])
    assert (
        reverse("recovery_deadlines:calculator") in client.get(reverse("wagtailadmin_home")).content.decode()
    )


# --- JSON API ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_needs_credentials(client, staff):
    response = client.post(
        API, data='{"rule":"limitation","trigger":"2021-03-15"}', content_type="application/json"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    wrong = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"lawyer:nope").decode()}
    assert client.post(API, data="{}", content_type="application/json", **wrong).status_code == 401


@pytest.mark.django_db
def test_the_api_answers_an_array_like_the_command(client, staff):
    from recovery.selectors.deadlines import deadline_compute

    items = [
        {"id": "a", "rule": "limitation", "trigger": "2021-03-15", "as_of": "2025-01-01",
         "events": [{"type": "demand_delivered", "date": "2022-10-01"}]},
        {"id": "b", "rule": "appeal_judgment", "trigger": "2025-09-20", "as_of": "2025-09-21"},
    ]  # fmt: skip
    response = client.post(API, data=json.dumps(items), content_type="application/json", **_basic("lawyer"))
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body] == ["a", "b"]
    assert body[0]["raw_end"] == "2025-10-01" and body[0]["legal_end"] == "2025-10-09"
    assert body[0]["safe_end"] == "2025-09-30"
    assert body == [deadline_compute(item) for item in items]


@pytest.mark.django_db
def test_the_api_lists_every_problem(client, staff):
    items = [{"rule": "nope", "trigger": "2021-03-15"}, {"rule": "limitation", "trigger": "2021-02-30"}]
    response = client.post(API, data=json.dumps(items), content_type="application/json", **_basic("auditor"))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(line.startswith("input[0]: field 'rule'") for line in errors)
    assert any(line.startswith("input[1]: field 'trigger'") for line in errors)
    bad_json = client.post(API, data="{", content_type="application/json", **_basic("auditor"))
    assert bad_json.status_code == 400 and bad_json.json()["errors"][0].startswith("input: not valid JSON")


@pytest.mark.django_db
def test_the_api_accepts_a_session_with_its_csrf_token(staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff["lawyer"])
    body = '{"rule":"appeal_ruling","trigger":"2025-09-20"}'
    assert client.post(API, data=body, content_type="application/json").status_code == 403
    client.get(reverse("wagtailadmin_home"))
    token = client.cookies["csrftoken"].value
    response = client.post(API, data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["rule"] == "appeal_ruling"
    # Basic auth needs no CSRF token.
    anonymous = Client(enforce_csrf_checks=True)
    assert (
        anonymous.post(API, data=body, content_type="application/json", **_basic("lawyer")).status_code == 200
    )


@pytest.mark.django_db
def test_the_api_refuses_a_user_without_a_role(client, django_user_model):
    django_user_model.objects.create_user(username="norole", password="pw-norole")
    response = client.post(API, data="{}", content_type="application/json", **_basic("norole"))
    assert response.status_code == 403


# --- holiday calendar years -------------------------------------------------------------------


HOLIDAYS_2031 = "2031-01-01\n2031-10-01..2031-10-07  # 国庆节"


@pytest.fixture
def case_ending_in_2031(staff, make_case):
    """A loan due 2028-10-03: its limitation ends in 2031, a year with no calendar yet."""
    case = make_case(assignee=staff["lawyer"])
    Loan.objects.filter(case=case).update(due_on=date(2028, 10, 3))
    _recompute(case)
    return case


@pytest.mark.django_db
def test_the_head_enters_a_holiday_year_and_deadlines_are_recomputed(client, staff, case_ending_in_2031):
    limitation = Deadline.objects.get(case=case_ending_in_2031, kind=DeadlineKind.LIMITATION)
    assert limitation.raw_end == date(2031, 10, 3) and limitation.calendar_provisional
    # A Friday, but 1-3 October are statutory holidays even before the 2031 notice (law.md §0.3):
    # rolled over them and the weekend.
    assert limitation.legal_end == date(2031, 10, 6)
    client.force_login(staff["head"])
    add_url = reverse("wagtailsnippets_recovery_holidayyear:add")
    form = client.get(add_url).content.decode()
    assert "2027-10-01..2027-10-07" in form  # the format is explained
    response = client.post(
        add_url,
        {
            "year": "2031",
            "notice": "国办发明电〔2030〕1号",
            "holidays": HOLIDAYS_2031,
            "make_up_working_days": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    limitation.refresh_from_db()
    assert not limitation.calendar_provisional
    assert limitation.legal_end == date(2031, 10, 8)  # rolled over the National Day holiday
    year = HolidayYear.objects.get(year=2031)
    assert ModelLogEntry.objects.filter(object_id=str(year.pk), content_type__model="holidayyear").exists()

    # Editing the year goes through the same service.
    edit_url = reverse("wagtailsnippets_recovery_holidayyear:edit", args=[year.pk])
    response = client.post(
        edit_url,
        {
            "year": "2031",
            "notice": "国办发明电〔2030〕1号",
            "holidays": "2031-01-01",
            "make_up_working_days": "",
        },
    )
    assert response.status_code == 302
    limitation.refresh_from_db()
    assert limitation.legal_end == date(2031, 10, 3)  # the entered notice rules: 3 October is a working day


@pytest.mark.django_db
def test_a_bad_holiday_list_is_shown_on_the_field(client, staff):
    client.force_login(staff["head"])
    response = client.post(
        reverse("wagtailsnippets_recovery_holidayyear:add"),
        {"year": "2031", "notice": "x", "holidays": "2031-13-01", "make_up_working_days": "2031-10-08"},
    )
    assert response.status_code == 200
    assert not HolidayYear.objects.exists()


@pytest.mark.django_db
def test_a_lawyer_may_read_but_not_enter_a_holiday_year(client, staff, case_ending_in_2031):
    client.force_login(staff["lawyer"])
    assert client.get(reverse("wagtailsnippets_recovery_holidayyear:list")).status_code == 200
    add_url = reverse("wagtailsnippets_recovery_holidayyear:add")
    assert client.get(add_url).status_code == 302
    response = client.post(
        add_url, {"year": "2031", "notice": "x", "holidays": HOLIDAYS_2031, "make_up_working_days": ""}
    )
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert not HolidayYear.objects.exists()
    assert Deadline.objects.get(case=case_ending_in_2031, kind=DeadlineKind.LIMITATION).calendar_provisional
    assert not Permission.objects.filter(
        group__user=staff["lawyer"], codename__in=["add_holidayyear", "change_holidayyear"]
    ).exists()


@pytest.mark.django_db
def test_deleting_a_holiday_year_makes_its_deadlines_provisional_again(client, staff, case_ending_in_2031):
    client.force_login(staff["head"])
    client.post(
        reverse("wagtailsnippets_recovery_holidayyear:add"),
        {"year": "2031", "notice": "n", "holidays": HOLIDAYS_2031, "make_up_working_days": ""},
    )
    year = HolidayYear.objects.get(year=2031)
    limitation = Deadline.objects.get(case=case_ending_in_2031, kind=DeadlineKind.LIMITATION)
    assert not limitation.calendar_provisional
    response = client.post(reverse("wagtailsnippets_recovery_holidayyear:delete", args=[year.pk]))
    assert response.status_code == 302
    limitation.refresh_from_db()
    assert limitation.calendar_provisional and limitation.legal_end == date(2031, 10, 6)  # statutory 1-3 Oct
