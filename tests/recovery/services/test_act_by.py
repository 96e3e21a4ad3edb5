"""The date we act on is the one that holds without unproven facts (#12 §1), and the digest's
"why" quotes the rule that set it (#12 §6).

Most tests use the demo's own at-risk case (seed_demo): a limitation that ends in about 20
days unless a visit recorded without proof of delivery is proven, when it ends about 30 days
later. Its dates are relative to today, so the tests compare with what the demo stored."""

import io
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from recovery.alerting.thresholds import due_threshold
from recovery.deadlines.calculator import compute_from_json
from recovery.lib.deadline_display import why_step
from recovery.models import (
    Alert,
    AlertStatus,
    CaseParty,
    CollectionAction,
    Deadline,
    DeadlineKind,
    Party,
    PartyKind,
    PartyRole,
)
from recovery.registry import default_thresholds
from recovery.selectors.deadlines import dashboard_deadlines
from recovery.services.alert_preferences import alert_preference_for
from recovery.services.alerts import alerts_record, alerts_run, plan_alerts
from recovery.services.cases import record_update
from recovery.services.collection import collection_action_record
from recovery.services.deadlines import deadlines_recompute
from recovery.services.loan_parties import GuaranteeTerms, case_party_save
from tests.recovery.handover import resident_id

LIMITATION_THRESHOLDS = default_thresholds()["limitation"]
LISTING = "recovery_deadlines:index"


# --- the demo's at-risk case -------------------------------------------------------------


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    today = timezone.localdate()
    # The one limitation that an unproven fact moves out of the next 30 days.
    [deadline] = Deadline.objects.open().filter(
        kind=DeadlineKind.LIMITATION,
        at_risk=True,
        act_by__gte=today,
        act_by__lte=today + timedelta(days=30),
        safe_end__gt=today + timedelta(days=30),
    )
    [visit] = [fact for fact in deadline.facts if not fact["proven"]]
    return deadline, visit


def _action_edit(fact) -> str:
    return reverse("wagtailsnippets_recovery_collectionaction:edit", args=[fact["action"]])


def test_the_demo_at_risk_limitation_acts_on_the_date_without_the_unproven_visit(demo):
    deadline, visit = demo
    assert deadline.act_by == deadline.conservative_safe_end < deadline.safe_end
    assert (deadline.safe_end - deadline.act_by).days >= 20  # the visit moves it about a month
    assert visit["kind"] == "demand_delivered" and visit["action"]
    assert CollectionAction.objects.get(pk=visit["action"]).case_id == deadline.case_id
    # The explanation says which date holds without the visit and by which rule.
    step = why_step(deadline.steps)
    assert step["kind"] == "act_by" and step["source"] == "民法典第188条"
    assert visit["label"] in step["text"] and f"{deadline.act_by.year}年" in step["text"]


def test_the_demo_listing_sorts_and_filters_by_the_act_by_date_and_shows_both(client, demo):
    deadline, visit = demo
    today = timezone.localdate()
    # A deadline that falls between the two dates: it comes after the at-risk one.
    between = (
        Deadline.objects.open()
        .filter(act_by__gt=deadline.act_by, act_by__lt=deadline.safe_end)
        .exclude(pk=deadline.pk)
        .first()
    )
    assert between is not None
    client.force_login(type(deadline.case.assignee).objects.get(username="head"))  # sees every case
    page = client.get(reverse(LISTING), {"due": "90"}).content.decode()
    assert page.index(f"#deadline-{deadline.pk}") < page.index(f"#deadline-{between.pk}")
    within_30 = client.get(reverse(LISTING), {"due": "30"}).content.decode()
    assert f"#deadline-{deadline.pk}" in within_30
    row = within_30.split(f"#deadline-{deadline.pk}")[1].split("</tr>")[0]
    assert deadline.act_by.isoformat() in row and deadline.safe_end.isoformat() in row
    assert visit["label"] in row and _action_edit(visit) in row  # "upload the proof" links the visit
    assert (deadline.act_by - today).days <= 30


def test_the_demo_dashboard_counts_the_at_risk_limitation_within_30_days(client, demo):
    deadline, visit = demo
    lawyer = deadline.case.assignee
    today = timezone.localdate()
    counts = dashboard_deadlines(lawyer, today=today).mine
    # Counted by the date that holds without unproven facts, not by the optimistic one.
    earliest = [
        min(d.conservative_safe_end or d.safe_end, d.safe_end)
        for d in Deadline.objects.open().filter(case__assignee=lawyer)
    ]
    assert counts.within_30 == sum(1 for day in earliest if today <= day <= today + timedelta(days=30))
    assert counts.within_30 >= 1
    client.force_login(lawyer)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    panel = page.split('data-testid="my-deadlines"')[1]
    assert deadline.act_by.isoformat() in panel and deadline.safe_end.isoformat() in panel
    assert _action_edit(visit) in panel


def test_the_demo_at_risk_limitation_is_alerted_at_the_threshold_of_its_act_by_date(demo):
    deadline, _visit = demo
    today = timezone.localdate()
    [alert] = [a for a in plan_alerts(today=today) if a.deadline_id == deadline.pk and a.role == "assignee"]
    assert alert.act_by == deadline.act_by
    assert alert.threshold == due_threshold(deadline.act_by, today, LIMITATION_THRESHOLDS)
    assert alert.threshold != due_threshold(deadline.safe_end, today, LIMITATION_THRESHOLDS)
    assert alert.threshold <= 30


def _line_of(text: str, case_number: str) -> str:
    """The digest's item of a case (plain text: items start with "* ")."""
    [item] = [block for block in text.split("\n* ") if block.startswith(case_number)]
    return item


def test_the_demo_digest_says_both_dates_and_quotes_the_rule_that_set_the_date(demo, smtp_sink):
    deadline, visit = demo
    lawyer = deadline.case.assignee
    alerts_run(today=timezone.localdate())
    [message] = [m for m in smtp_sink.messages if m["To"] == lawyer.email]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    item = _line_of(text, deadline.case.number)
    proof_url = settings.BASE_URL + _action_edit(visit)
    for body in (item, html):
        assert deadline.act_by.isoformat() in body and deadline.safe_end.isoformat() in body
        assert visit["label"] in body and proof_url in body
    # 依据: the rule that set the act-by date (three years, CC 188), not the working-day rounding.
    why = why_step(deadline.steps)
    assert f"{why['text']} ({why['source']})" in item
    assert "为稳妥起见" not in item.split("依据")[1].split("\n")[0]


def test_the_demo_calendar_feed_starts_on_the_act_by_date(client, demo):
    deadline, visit = demo
    token = alert_preference_for(user=deadline.case.assignee).calendar_token
    response = client.get(reverse("recovery_calendar_feed", args=[token]))
    [event] = [
        e
        for e in Calendar.from_ical(response.content).walk("VEVENT")
        if str(e["UID"]) == f"deadline-{deadline.pk}@recovery-desk"
    ]
    assert event.decoded("DTSTART") == deadline.act_by
    description = str(event["DESCRIPTION"])
    assert deadline.safe_end.isoformat() in description and visit["label"] in description
    assert settings.BASE_URL + _action_edit(visit) in description
    why = why_step(deadline.steps)
    assert why["kind"] == "act_by" and why["text"] in description


def test_recording_the_proof_moves_the_act_by_date_and_replaces_the_waiting_alerts(demo, smtp_sink):
    deadline, visit = demo
    today = timezone.localdate()
    lawyer = deadline.case.assignee
    alerts_record(planned=plan_alerts(today=today), today=today)
    [waiting] = Alert.objects.filter(deadline=deadline, recipient=lawyer)
    assert (waiting.act_by, waiting.status) == (deadline.act_by, AlertStatus.PENDING)
    optimistic = deadline.safe_end

    action = CollectionAction.objects.get(pk=visit["action"])
    action.signed_on = action.delivered_on  # the signed receipt is found and recorded
    record_update(instance=action, user=lawyer)

    deadline.refresh_from_db()
    assert deadline.act_by == deadline.safe_end == optimistic
    assert not deadline.at_risk and deadline.conservative_safe_end is None
    # At once, before any digest: the alert for the old date is obsolete, the new date planned.
    waiting.refresh_from_db()
    assert waiting.status == AlertStatus.OBSOLETE
    [replanned] = Alert.objects.filter(deadline=deadline, recipient=lawyer, status=AlertStatus.PENDING)
    assert replanned.act_by == optimistic
    assert replanned.threshold == due_threshold(optimistic, today, LIMITATION_THRESHOLDS)

    alerts_run(today=today)
    [message] = [m for m in smtp_sink.messages if m["To"] == lawyer.email]
    item = _line_of(message.get_body(preferencelist=("plain",)).get_content(), deadline.case.number)
    assert optimistic.isoformat() in item and waiting.act_by.isoformat() not in item


# --- the what-if page -------------------------------------------------------------------------


@pytest.fixture
def unproven_case(make_case, staff, make_action):
    """Loan due 2023-01-01 (limitation 2025-12-31); a call reached the debtor on 2024-03-01
    with no proof: 2027-03-01 if proven."""
    case = make_case(assignee=staff["lawyer"])
    make_action(case, kind="call", acted_on=date(2024, 3, 1), reached=True, delivered_on=date(2024, 3, 1))
    deadlines_recompute(case_ids=[case.pk], today=date(2024, 6, 1))
    return case


@pytest.mark.django_db
def test_the_what_if_page_shows_the_act_by_date_as_the_docket_does(client, staff, unproven_case):
    deadline = Deadline.objects.get(case=unproven_case, kind=DeadlineKind.LIMITATION)
    assert (deadline.act_by, deadline.safe_end) == (date(2025, 12, 31), date(2027, 3, 1))
    client.force_login(staff["lawyer"])
    url = reverse("recovery_deadlines:what_if", args=[deadline.pk])
    html = client.get(url, {"as_of": "2025-06-01"}).content.decode()
    recorded = html.split('data-testid="what-if-current"')[1].split('data-testid="what-if-hypothetical"')[0]
    hypothesis = html.split('data-testid="what-if-result"')[1]
    for section in (recorded, hypothesis):
        act_by = section.split('data-testid="result-safe-end"')[1].split("</dd>")[0]
        assert "<strong>2025-12-31</strong>" in act_by and "2027-03-01" in act_by
        assert _action_edit(deadline.facts[0]) in act_by
    sentence = html.split('data-testid="what-if-sentence"')[1].split("</p>")[0]
    assert "2025-12-31" in sentence and "2027-03-01" in sentence
    # The auditor sees both dates but no link to change the record.
    client.force_login(staff["auditor"])
    html = client.get(url).content.decode()
    assert "2027-03-01" in html and _action_edit(deadline.facts[0]) not in html


# --- a guarantee kept only by an unproven demand ------------------------------------------------


def _joint_guarantor(case):
    guarantor = Party.objects.create(
        kind=PartyKind.PERSON, name="连带保证人", id_number=resident_id("31011519700101003")
    )
    case_party_save(
        case_party=CaseParty(case=case, party=guarantor, role=PartyRole.GUARANTOR),
        loans=case.loans.all(),
        terms=GuaranteeTerms(guarantee_type="joint"),
        user=None,
    )
    return guarantor


def _demand_on(case, guarantor, user, **proof):
    # Due 2023-01-01: the six-month guarantee period ends 2023-07-01; asked in time.
    return collection_action_record(
        action=CollectionAction(
            case=case,
            kind="notice",
            acted_on=date(2023, 3, 1),
            addressed_to=guarantor,
            reached=True,
            delivered_on=date(2023, 3, 4),
            **proof,
        ),
        user=user,
    )


@pytest.mark.django_db
def test_a_guarantee_kept_only_by_an_unproven_demand_stays_open_until_the_proof_is_recorded(
    client, make_case, staff
):
    case = make_case(assignee=staff["lawyer"])
    guarantor = _joint_guarantor(case)
    demand = _demand_on(case, guarantor, staff["lawyer"])
    period = Deadline.objects.get(case=case, kind=DeadlineKind.GUARANTEE_PERIOD, party=guarantor)
    # Not "done": it is acted on by the period's end, and says what completes it.
    assert not period.done and period.at_risk and period in Deadline.objects.open()
    assert period.act_by == period.safe_end == date(2023, 6, 30)
    assert "连带保证人" in period.done_once_proven and "缺少送达凭证" in period.at_risk_note
    assert [fact["action"] for fact in period.facts] == [demand.pk]
    assert any(a.deadline_id == period.pk for a in plan_alerts(today=date(2023, 6, 20)))
    client.force_login(staff["lawyer"])
    page = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])).content.decode()
    row = page.split(f'id="deadline-{period.pk}"')[1].split("</tr>")[0]
    assert "2023-06-30" in row and _action_edit(period.facts[0]) in row
    assert "done once" in row or "即告完成" in row

    demand.tracking_number = "EMS1"  # the proof of delivery is recorded
    record_update(instance=demand, user=staff["lawyer"])
    period.refresh_from_db()
    assert period.done and not period.at_risk and not period.done_once_proven
    assert "连带保证人" in period.done_note


@pytest.mark.django_db
def test_a_proven_demand_keeps_the_guarantee_even_after_an_unproven_earlier_one(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    guarantor = _joint_guarantor(case)
    _demand_on(case, guarantor, staff["lawyer"])
    collection_action_record(
        action=CollectionAction(
            case=case,
            kind="letter",
            acted_on=date(2023, 5, 1),
            addressed_to=guarantor,
            reached=True,
            delivered_on=date(2023, 5, 5),
            tracking_number="EMS2",
        ),
        user=staff["lawyer"],
    )
    period = Deadline.objects.get(case=case, kind=DeadlineKind.GUARANTEE_PERIOD, party=guarantor)
    assert period.done and not period.at_risk and "2023-05-05" in period.done_note
    # The guarantor's own limitation runs from the earlier demand: the earlier end (CC 694).
    own = Deadline.objects.get(case=case, kind=DeadlineKind.GUARANTOR_LIMITATION, party=guarantor)
    assert own.trigger == date(2023, 3, 4)


# --- the step that set the date (§6) ----------------------------------------------------------


@pytest.mark.django_db
def test_why_is_the_interruption_that_set_the_date_not_the_rounding(make_case, staff, make_action):
    case = make_case(assignee=staff["lawyer"])
    make_action(
        case,
        kind="letter",
        acted_on=date(2024, 3, 1),
        reached=True,
        delivered_on=date(2024, 3, 3),
        signed_on=date(2024, 3, 3),
    )
    deadlines_recompute(case_ids=[case.pk], today=date(2024, 6, 1))
    deadline = Deadline.objects.get(case=case, kind=DeadlineKind.LIMITATION)
    # 2027-03-03 is a Wednesday: no rounding; the last step is the interruption itself.
    kinds = [step["kind"] for step in deadline.steps]
    assert kinds[:2] == ["period", "period"]
    step = why_step(deadline.steps)
    assert step["source"] == "民法典第195条" and "2027年3月3日" in step["text"]


@pytest.mark.parametrize(
    ("item", "why_source"),
    [
        ({"rule": "limitation", "trigger": "2023-01-01"}, "民法典第188条"),  # ends on a holiday: rounded
        ({"rule": "guarantee_period", "trigger": "2023-01-01"}, "民法典第692条"),
        ({"rule": "preservation_renewal", "trigger": "2026-10-04"}, "保全规定第18条"),
        ({"rule": "appeal_judgment", "trigger": "2026-09-20"}, "民事诉讼法第171条"),
    ],
)
def test_the_contract_output_keeps_its_steps_and_the_stored_kinds_find_the_rule(item, why_source):
    from recovery.deadlines import compute_deadline

    output = compute_from_json(item | {"as_of": "2026-01-01"})
    assert all(set(step) == {"date", "source", "text"} for step in output["steps"])  # the contract
    result = compute_deadline(item["rule"], date.fromisoformat(item["trigger"]), as_of=date(2026, 1, 1))
    stored = [step.as_stored() for step in result.steps]
    assert [{k: v for k, v in step.items() if k != "kind"} for step in stored] == output["steps"]
    assert stored[-1]["kind"] == "calendar"  # each of these ends on a rest day: the last step rounds
    assert why_step(stored)["source"] == why_source
