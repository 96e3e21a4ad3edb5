"""The private calendar feed: `/calendar/<token>.ics` with the owner's open deadlines and, through
the `recovery_calendar_events` hook, litigation's hearings; parsed back with icalendar."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from litigation.models import Hearing, Lawsuit
from recovery.lib.deadline_display import why_step
from recovery.models import AlertPolicy, CaseStatus, Deadline
from recovery.services.alert_preferences import alert_preference_for, alert_preference_update
from recovery.services.deadlines import deadlines_recompute
from recovery.views.calendar import CALENDAR_EVENTS_HOOK, calendar_events

CASE_PAGE = "wagtailsnippets_recovery_case:inspect"


def _feed_url(user) -> str:
    return reverse("recovery_calendar_feed", args=[alert_preference_for(user=user).calendar_token])


def _feed(client, user):
    response = client.get(_feed_url(user))
    assert response.status_code == 200
    return response, Calendar.from_ical(response.content)


def _events(calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _deadlines(case) -> list[Deadline]:
    # Live deadlines: a lapsed one leaves the feed (#12 §4), so the loans fell due a year ago.
    case.loans.update(due_on=timezone.localdate() - timedelta(days=365))
    deadlines_recompute(case_ids=[case.pk])
    found = list(Deadline.objects.live(timezone.localdate()).filter(case=case).select_related("party"))
    assert found, "the recompute gives every case with a loan at least one open deadline"
    return found


def _hearing(case, *, on: date, at: time | None = None, courtroom: str = "第12法庭") -> Hearing:
    suit = Lawsuit.objects.create(
        case=case,
        court="上海市浦东新区人民法院",
        court_case_number=f"(2026)沪0115民初{case.pk}号",
        cause_of_action="金融借款合同纠纷",
        claim_amount=Decimal("80000.00"),
        filed_on=date(2026, 1, 5),
    )
    return Hearing.objects.create(lawsuit=suit, date=on, time=at, courtroom=courtroom)


@pytest.mark.django_db
def test_the_feed_holds_the_owners_deadlines_as_all_day_events(client, staff, make_case):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer, name="刘建国")
    deadlines = _deadlines(case)
    response, calendar = _feed(client, lawyer)  # no session: the token is the credential

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["ETag"]
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//Recovery Desk//")
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["X-WR-CALNAME"]) == "Recovery Desk 期限"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"

    events = _events(calendar)
    case_url = settings.BASE_URL + reverse(CASE_PAGE, args=[case.pk])
    hints = dict(AlertPolicy.objects.values_list("kind", "action_hint"))
    for deadline in deadlines:
        event = events[f"deadline-{deadline.pk}@recovery-desk"]
        start = event.decoded("DTSTART")
        assert start == deadline.act_by and not isinstance(start, datetime)  # all-day, VALUE=DATE
        assert f"DTSTART;VALUE=DATE:{start:%Y%m%d}".encode() in response.content
        assert event.decoded("DTEND") == deadline.act_by + timedelta(days=1)
        assert str(event["URL"]) == case_url
        summary = str(event["SUMMARY"])
        assert summary.startswith("[") and f"] {case.number} " in summary
        assert (deadline.party.name if deadline.party else "刘建国") in summary
        assert summary.endswith(deadline.subject)
        description = str(event["DESCRIPTION"])
        assert (deadline.legal_end.isoformat() if deadline.legal_end else "—") in description
        why = why_step(deadline.steps)  # the rule that set the date, not the last (calendar) step
        assert why["kind"] == "period" and f"{why['text']} ({why['source']})" in description
        assert hints[deadline.kind] and hints[deadline.kind] in description
        assert event.decoded("DTSTAMP") == deadline.computed_at.astimezone(UTC).replace(microsecond=0)
        assert event.decoded("LAST-MODIFIED") == event.decoded("DTSTAMP")
        (alarm,) = event.walk("VALARM")
        assert alarm.decoded("TRIGGER") < timedelta(0) and str(alarm["ACTION"]) == "DISPLAY"
    limitation = next(d for d in deadlines if d.kind == "limitation")
    assert str(events[f"deadline-{limitation.pk}@recovery-desk"]["SUMMARY"]).startswith(
        f"[时效] {case.number} "
    )


@pytest.mark.django_db
def test_the_feed_follows_the_owners_language_and_changed_dates(client, staff, make_case):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    deadline = next(d for d in _deadlines(case) if d.kind == "limitation")
    uid = f"deadline-{deadline.pk}@recovery-desk"
    first, _calendar = _feed(client, lawyer)

    moved = deadline.act_by + timedelta(days=200)
    Deadline.objects.filter(pk=deadline.pk).update(safe_end=moved, act_by=moved, computed_at=timezone.now())
    alert_preference_update(user=lawyer, digest_hour=8, language="en")
    second, calendar = _feed(client, lawyer)
    event = _events(calendar)[uid]  # same UID: calendar apps move the entry, not duplicate it
    assert event.decoded("DTSTART") == moved
    assert str(event["SUMMARY"]).startswith(f"[Limitation] {case.number} ")
    assert f"Act by: {moved.isoformat()}" in str(event["DESCRIPTION"])
    assert first["ETag"] != second["ETag"]

    again = client.get(_feed_url(lawyer), HTTP_IF_NONE_MATCH=second["ETag"])
    assert again.status_code == 304


@pytest.mark.django_db
def test_the_feed_holds_the_hearings_of_the_owners_cases_through_the_hook(client, staff, make_case):
    from wagtail import hooks

    assert any(fn.__module__ == "litigation.admin.docket" for fn in hooks.get_hooks(CALENDAR_EVENTS_HOOK))
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer, loans=0)
    today = timezone.localdate()
    all_day = _hearing(case, on=today + timedelta(days=9))
    timed = _hearing(case, on=today + timedelta(days=12), at=time(9, 30), courtroom="第3法庭")
    _hearing(case, on=today - timedelta(days=200))  # long past: left out

    _response, calendar = _feed(client, lawyer)
    events = _events(calendar)
    assert set(events) == {f"hearing-{all_day.pk}@recovery-desk", f"hearing-{timed.pk}@recovery-desk"}
    first = events[f"hearing-{all_day.pk}@recovery-desk"]
    assert first.decoded("DTSTART") == all_day.date
    assert "第12法庭" in str(first["LOCATION"]) and case.number in str(first["SUMMARY"])
    assert str(first["SUMMARY"]).startswith("[开庭] ")
    assert str(first["URL"]) == settings.BASE_URL + reverse(CASE_PAGE, args=[case.pk])
    second = events[f"hearing-{timed.pk}@recovery-desk"]
    start = second.decoded("DTSTART")
    assert start == datetime(timed.date.year, timed.date.month, timed.date.day, 1, 30, tzinfo=UTC)
    assert second.decoded("DTEND") - start == timedelta(hours=2)


@pytest.mark.django_db
def test_the_feed_leaves_out_other_peoples_cases_closed_cases_and_done_deadlines(client, staff, make_case):
    lawyer, other = staff["lawyer"], staff["other_lawyer"]
    mine = make_case(assignee=lawyer)
    theirs = make_case(assignee=other)
    closed = make_case(assignee=lawyer)
    mine_deadlines = _deadlines(mine)
    theirs_deadlines = _deadlines(theirs)
    _deadlines(closed)
    theirs_hearing = _hearing(theirs, on=timezone.localdate() + timedelta(days=3))
    mine.shared_with.add(other)  # shared with the other lawyer, but not assigned to them
    type(closed).objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)
    done = mine_deadlines[0]
    Deadline.objects.filter(pk=done.pk).update(done=True, done_note="已起诉")

    uids = set(_events(_feed(client, lawyer)[1]))
    assert uids == {f"deadline-{d.pk}@recovery-desk" for d in mine_deadlines[1:]}
    other_uids = set(_events(_feed(client, other)[1]))
    assert other_uids == {f"deadline-{d.pk}@recovery-desk" for d in theirs_deadlines} | {
        f"hearing-{theirs_hearing.pk}@recovery-desk"
    }
    # A manager sees the branch in the admin, but their feed has only the cases assigned to them.
    assert _events(_feed(client, staff["manager"])[1]) == {}
    assert calendar_events(staff["head"]) == []


@pytest.mark.django_db
def test_an_unknown_token_or_an_inactive_owner_gives_404(client, staff):
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    url = _feed_url(staff["lawyer"])
    assert client.get(url).status_code == 200
    staff["lawyer"].is_active = False
    staff["lawyer"].save()
    assert client.get(url).status_code == 404
    assert client.post(_feed_url(staff["other_lawyer"])).status_code == 405
