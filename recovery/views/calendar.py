"""Each user's private calendar feed: `GET /calendar/<token>.ics`, an iCalendar file that
Outlook, Apple Calendar and Google Calendar subscribe to.

What it holds, for the token's owner:

* the open deadlines (not done, with an act-by date) of the open cases assigned to them and
  visible to them — an all-day event on the act-by date (`act_by`) with a reminder the day
  before. A lapsed one (act-by date passed) leaves the feed: it was said once, by the lapse
  notice, and is decided on the case page (recovery.services.lapses). Managers and the head of
  recovery get their own assigned cases only, like a lawyer: the feed is a personal agenda,
  the admin listings show everything else;
* whatever other apps contribute through the `recovery_calendar_events` hook: each function
  registered there takes the user and returns a list of `CalendarEvent` (another app adds the
  hearings of the same cases). recovery never imports those apps.

The feed is generated on each request, so it follows every recomputed date. The address is
the credential: an unknown or revoked token gives 404. The texts are in the owner's alert
language.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from icalendar import Alarm, Calendar, Event
from wagtail import hooks

from recovery.checks.dates import SHANGHAI
from recovery.lib.deadline_display import once_proven_text, why_text
from recovery.lib.language import language_for
from recovery.lib.links import case_url
from recovery.models import OPEN_STATUSES, AlertPreference, Deadline
from recovery.registry import deadline_kind, is_deadline_kind
from recovery.selectors.access import cases_visible_to, role_of
from recovery.services.alerts import policies

CALENDAR_EVENTS_HOOK = "recovery_calendar_events"
CALENDAR_NAME = "Recovery Desk 期限"
PRODID = "-//Recovery Desk//Deadlines//ZH"
UID_DOMAIN = "recovery-desk"
FEED_TIMEZONE = SHANGHAI.key
# An all-day event's reminder: the day before at 09:00 (15 hours before its midnight start).
ALL_DAY_REMINDER = timedelta(hours=15)
TIMED_REMINDER = timedelta(days=1)


@dataclass(frozen=True)
class CalendarEvent:
    """One entry of the feed. `at` None makes it an all-day event on `on`; otherwise it starts
    at `at` (Asia/Shanghai) on `on` and lasts `duration`. `uid` must be stable across requests
    (e.g. "hearing-12@recovery-desk") so that calendar apps update the entry in place."""

    uid: str
    on: date
    summary: str
    description: str = ""
    url: str = ""
    location: str = ""
    at: time | None = None
    duration: timedelta = timedelta(hours=2)
    last_modified: datetime | None = None
    reminder: bool = True


def event_uid(kind: str, pk: Any) -> str:
    return f"{kind}-{pk}@{UID_DOMAIN}"


def feed_cases(user: Any) -> Any:
    """The cases whose dates go into `user`'s feed: open, assigned to them, visible to them."""
    return cases_visible_to(user).filter(assignee=user, status__in=OPEN_STATUSES)


# --- the deadlines ------------------------------------------------------------------------------


def _act_by(deadline: Deadline) -> str:
    """2026-12-22, or 2026-12-22 (2027-01-21 once “…” is proven — upload the proof: URL)."""
    once = once_proven_text(deadline)
    return f"{deadline.act_by.isoformat()} ({once})" if once else deadline.act_by.isoformat()


def _deadline_event(deadline: Deadline, hint: str) -> CalendarEvent:
    case = deadline.case
    party = deadline.party or case.debtor
    # The short tag in front of the title, e.g. "[时效] RD2026000001 刘建国 贷款 HT-1": the kind's own.
    tag = deadline_kind(deadline.kind).calendar_tag if is_deadline_kind(deadline.kind) else deadline.kind
    lines = [
        _("%(kind)s: %(subject)s") % {"kind": deadline.get_kind_display(), "subject": deadline.subject},
        _("Act by: %(day)s") % {"day": _act_by(deadline)},
        _("Legal end: %(day)s") % {"day": deadline.legal_end.isoformat() if deadline.legal_end else "—"},
    ]
    why, source = why_text(deadline.steps)  # the rule that set the date, not the rounding
    if why:
        lines.append(_("Why: %(text)s") % {"text": f"{why} ({source})" if source else why})
    if deadline.at_risk_note:
        lines.append(_("At risk: %(note)s") % {"note": deadline.at_risk_note})
    if deadline.calendar_provisional:
        lines.append(_("Provisional: the holiday calendar of that year has not been entered yet."))
    if hint:
        lines.append(_("What to do: %(hint)s") % {"hint": hint})
    url = case_url(deadline.case_id)
    lines.append(url)
    return CalendarEvent(
        uid=event_uid("deadline", deadline.pk),
        on=deadline.act_by,
        summary=f"[{tag}] {case.number} {party.name} {deadline.subject}",
        description="\n".join(lines),
        url=url,
        last_modified=deadline.computed_at,
    )


def deadline_events(user: Any) -> list[CalendarEvent]:
    """The live deadlines of the user's own open cases (two queries whatever their number)."""
    hints = {kind: policy.action_hint for kind, policy in policies().items()}
    deadlines = (
        Deadline.objects.live(timezone.localdate())
        .filter(case__in=feed_cases(user).order_by().values("pk"))
        .select_related("case__debtor", "party")
        .order_by("act_by", "pk")
    )
    return [_deadline_event(deadline, hints.get(deadline.kind, "")) for deadline in deadlines]


def calendar_events(user: Any) -> list[CalendarEvent]:
    """Everything in the user's feed: their deadlines and every app's contributed events."""
    events = deadline_events(user)
    for contribute in hooks.get_hooks(CALENDAR_EVENTS_HOOK):
        events.extend(contribute(user))
    return events


# --- the iCalendar file ------------------------------------------------------------------------


def _stamp(event: CalendarEvent) -> datetime:
    """DTSTAMP: when the entry was last revised (a fixed value keeps the file, and its ETag,
    unchanged while nothing changed); the epoch of the feed when unknown."""
    if event.last_modified is not None:
        return event.last_modified.astimezone(UTC).replace(microsecond=0)
    return datetime(2000, 1, 1, tzinfo=UTC)


def _vevent(event: CalendarEvent) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", _stamp(event))
    if event.last_modified is not None:
        vevent.add("last-modified", _stamp(event))
    if event.at is None:
        vevent.add("dtstart", event.on)
        vevent.add("dtend", event.on + timedelta(days=1))
        vevent.add("transp", "TRANSPARENT")
    else:
        start = datetime.combine(event.on, event.at, tzinfo=SHANGHAI).astimezone(UTC)
        vevent.add("dtstart", start)
        vevent.add("dtend", start + event.duration)
    vevent.add("summary", event.summary)
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    if event.url:
        vevent.add("url", event.url)
    if event.reminder:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.summary)
        alarm.add("trigger", -(ALL_DAY_REMINDER if event.at is None else TIMED_REMINDER))
        vevent.add_component(alarm)
    return vevent


def calendar_build(events: list[CalendarEvent]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", FEED_TIMEZONE)
    calendar.add("x-published-ttl", "PT1H")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for event in sorted(events, key=lambda e: (e.on, e.at or time.min, e.uid)):
        calendar.add_component(_vevent(event))
    return calendar.to_ical()


def calendar_for(user: Any) -> bytes:
    """The user's feed, in their alert language."""
    with translation.override(language_for(user)):
        return calendar_build(calendar_events(user))


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed of the token's owner; 404 for an unknown or revoked token or an inactive user."""
    preference = (
        AlertPreference.objects.select_related("user", "user__staff_profile")
        .filter(calendar_token=token)
        .first()
    )
    if preference is None or role_of(preference.user) is None:
        raise Http404
    body = calendar_for(preference.user)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="recovery-desk.ics"'
    response["ETag"] = etag
    # A private address: never kept by shared caches, always revalidated.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response
