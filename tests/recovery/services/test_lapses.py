"""A right that was lost is said once, clearly, and then decided (#12 §4).

The alert job runs over several consecutive days with a lapsed guarantee period: one lapse
notice per person (the lawyer and the manager), saying what was lost and what follows, and
nothing after it; the digests and the calendar feed leave it out; the lawyer records a decision
(audited), which the recompute clears when a proof recorded later moves the act-by date."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar
from wagtail.models import ModelLogEntry

from recovery.alerting.thresholds import LAPSED
from recovery.deadlines.lapse import GENERIC, is_lapsed, lapse_consequence
from recovery.models import (
    Alert,
    AlertPreference,
    CaseParty,
    CollectionAction,
    Deadline,
    DeadlineKind,
    LapseDecision,
    Party,
    PartyKind,
    PartyRole,
)
from recovery.registry import deadline_kinds
from recovery.services import RecoveryError
from recovery.services.alert_preferences import alert_preference_for
from recovery.services.alerts import alerts_run
from recovery.services.cases import record_update
from recovery.services.collection import collection_action_record
from recovery.services.deadlines import deadlines_recompute
from recovery.services.lapses import LAPSE_DECIDED, LAPSE_DECISION_CLEARED, deadline_lapse_decide
from recovery.services.loan_parties import GuaranteeTerms, case_party_save
from tests.recovery.handover import resident_id

GUARANTEE_LOST = "保证期间届满，保证人不再承担保证责任（民法典第693条）"
OVERDUE_LINE = "已逾期"
# make_case's loan is due 2023-01-01: the joint guarantee's six months end 2023-07-01 (a
# Saturday), so the guarantee period's act-by date is 2023-06-30; the limitation's 2025-12-31.
GUARANTEE_ACT_BY = date(2023, 6, 30)
LIMITATION_ACT_BY = date(2025, 12, 31)


def _text_and_html(message):
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


def _mails_to(sink, username):
    return [message for message in sink.messages if message["To"] == f"{username}@example.com"]


@pytest.fixture
def guaranteed_case(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    guarantor = Party.objects.create(
        kind=PartyKind.PERSON, name="保证人王五", id_number=resident_id("31011519700101003")
    )
    case_party_save(
        case_party=CaseParty(case=case, party=guarantor, role=PartyRole.GUARANTOR),
        loans=case.loans.all(),
        terms=GuaranteeTerms(guarantee_type="joint"),
        user=None,
    )
    period = Deadline.objects.get(case=case, kind=DeadlineKind.GUARANTEE_PERIOD)
    assert period.act_by == GUARANTEE_ACT_BY and not period.done
    return case


def _period(case) -> Deadline:
    return Deadline.objects.get(case=case, kind=DeadlineKind.GUARANTEE_PERIOD)


# --- the pure rule and its table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("act_by", "done", "today", "expected"),
    [
        (date(2026, 3, 31), False, date(2026, 3, 31), False),  # on the day: still live
        (date(2026, 3, 31), False, date(2026, 4, 1), True),  # the day after: lapsed
        (date(2023, 6, 30), False, date(2025, 10, 1), True),  # "824 days overdue"
        (date(2023, 6, 30), True, date(2025, 10, 1), False),  # done in time: nothing was lost
        (None, False, date(2025, 10, 1), False),  # no date (proceedings pending)
    ],
)
def test_a_deadline_is_lapsed_once_its_act_by_date_passed(act_by, done, today, expected):
    assert is_lapsed(act_by, done, today) is expected


@given(st.dates(), st.booleans(), st.dates())
def test_lapsed_means_not_done_and_past(act_by, done, today):
    assert is_lapsed(act_by, done, today) == (not done and act_by < today)


@pytest.mark.parametrize("kind", [kind.value for kind in deadline_kinds()])
def test_every_kind_says_what_its_lapse_loses_with_the_article(kind):
    # litigation's and assets' kinds are registered by their apps (AppConfig.ready).
    consequence = lapse_consequence(kind)
    assert consequence is not GENERIC, f"{kind}: no lapse consequence registered"
    assert "第" in consequence.source and consequence.lost and consequence.follows
    assert consequence.lost_en and consequence.follows_en
    english = consequence.text("en")
    assert english["lost"] == consequence.lost_en and consequence.lost in english["legal_text"]


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("guarantee_period", ["保证人不再承担保证责任", "民法典第693条"]),
        ("limitation", ["可以提出不履行义务的抗辩", "民法典第192条", "仍可起诉", "不得请求返还"]),
        ("mortgage", ["人民法院不予保护", "民法典第419条"]),
        ("enforcement", ["申请执行期间届满", "民事诉讼法第250条"]),
        ("preservation_expiry", ["效力消灭", "排序在先"]),
        ("appeal_judgment", ["发生法律效力"]),
    ],
)
def test_the_consequences_say_what_was_lost(kind, words):
    consequence = lapse_consequence(kind)
    for word in words:
        assert word in consequence.lost + consequence.follows


# --- said once, to the lawyer and the manager ----------------------------------------------------


@pytest.mark.django_db
def test_a_lapsed_guarantee_period_is_said_once_over_several_days(guaranteed_case, staff, smtp_sink):
    """Fails before #12 §4: the old overdue alert went to the head too and said only "N days
    overdue", not what was lost."""
    AlertPreference.objects.create(user=staff["manager"], language="en")
    first_day = date(2025, 9, 20)  # 813 days after the act-by date; the limitation is 102 days away
    for offset in range(6):
        alerts_run(today=first_day + timedelta(days=offset))

    assert len(_mails_to(smtp_sink, "lawyer")) == 1
    assert len(_mails_to(smtp_sink, "manager")) == 1
    assert _mails_to(smtp_sink, "head") == []
    assert len(smtp_sink.messages) == 2
    assert set(Alert.objects.values_list("threshold", "recipient__username")) == {
        (LAPSED, "lawyer"),
        (LAPSED, "manager"),
    }

    [lawyer_mail] = _mails_to(smtp_sink, "lawyer")
    for body in _text_and_html(lawyer_mail):
        assert GUARANTEE_LOST in body
        assert "保证期间不发生中止、中断和延长" in body  # what follows
        assert guaranteed_case.number in body and "保证人王五" in body
        assert OVERDUE_LINE not in body  # no "N days overdue"
    [manager_mail] = _mails_to(smtp_sink, "manager")
    for body in _text_and_html(manager_mail):
        assert "The guarantee period has ended: the guarantor is no longer liable." in body
        assert GUARANTEE_LOST in body  # the legal text stays, beside the gloss
        assert "days overdue" not in body


@pytest.mark.django_db
def test_after_its_notice_a_lapse_leaves_the_digests(guaranteed_case, staff, smtp_sink):
    """The limitation's 30-day and 14-day alerts: the first digest says the lapse once, the
    second holds only the limitation. Fails before the fix: the first said "days overdue"."""
    alerts_run(today=LIMITATION_ACT_BY - timedelta(days=30))
    [first] = _mails_to(smtp_sink, "lawyer")
    text, html = _text_and_html(first)
    assert GUARANTEE_LOST in text and GUARANTEE_LOST in html
    assert "2025-12-31" in text and OVERDUE_LINE not in text

    alerts_run(today=LIMITATION_ACT_BY - timedelta(days=14))
    first_count = len(smtp_sink.messages)
    second = _mails_to(smtp_sink, "lawyer")[1]
    text, html = _text_and_html(second)
    assert "2025-12-31" in text
    for body in (text, html):
        assert "保证期间届满" not in body and OVERDUE_LINE not in body
    # ...and the day after the limitation's own act-by date, its lapse is said once too.
    alerts_run(today=LIMITATION_ACT_BY + timedelta(days=1))
    alerts_run(today=LIMITATION_ACT_BY + timedelta(days=2))
    lapse_mails = smtp_sink.messages[first_count:]
    assert sorted(m["To"] for m in lapse_mails) == ["lawyer@example.com", "manager@example.com"]
    limitation_lost = "诉讼时效期间届满，债务人可以提出不履行义务的抗辩（民法典第192条）"
    assert limitation_lost in _text_and_html(lapse_mails[0])[0]


@pytest.mark.django_db
def test_a_case_without_lawyer_or_manager_tells_the_head(make_case, staff, smtp_sink):
    case = make_case(assignee=None, branch="杭州分行")
    staff["other_manager"].is_active = False
    staff["other_manager"].save()
    deadlines_recompute(case_ids=[case.pk])
    alerts_run(today=LIMITATION_ACT_BY + timedelta(days=3))
    alerts_run(today=LIMITATION_ACT_BY + timedelta(days=4))
    assert [m["To"] for m in smtp_sink.messages] == ["head@example.com"]


# --- the calendar feed and the dashboard ----------------------------------------------------------


@pytest.mark.django_db
def test_a_lapsed_deadline_leaves_the_calendar_feed(client, staff, make_case):
    lawyer = staff["lawyer"]
    lapsed = make_case(assignee=lawyer)  # limitation act by 2025-12-31: lapsed today
    live = make_case(assignee=lawyer)
    live.loans.update(due_on=timezone.localdate() - timedelta(days=100))
    deadlines_recompute(case_ids=[lapsed.pk, live.pk])
    [gone] = Deadline.objects.filter(case=lapsed)
    [kept] = Deadline.objects.filter(case=live)
    assert gone.lapsed and not kept.lapsed

    token = alert_preference_for(user=lawyer).calendar_token
    response = client.get(reverse("recovery_calendar_feed", args=[token]))
    uids = {str(event["UID"]) for event in Calendar.from_ical(response.content).walk("VEVENT")}
    assert uids == {f"deadline-{kept.pk}@recovery-desk"}


def _lapsed_deadline(case, key, *, decision="", days=30):
    act_by = timezone.localdate() - timedelta(days=days)
    return Deadline.objects.create(
        case=case,
        key=key,
        kind=DeadlineKind.GUARANTEE_PERIOD,
        rule="guarantee_period",
        party=case.debtor,
        subject=f"贷款 {key}",
        trigger=date(2023, 1, 1),
        legal_end=act_by,
        safe_end=act_by,
        act_by=act_by,
        status="expired",
        lapse_decision=decision,
        lapse_reason="已核实" if decision else "",
        computed_at=timezone.now(),
    )


def _lapsed_count(page, row):
    cells = page.split(f'data-testid="{row}"')[1].split("</tr>")[0]
    return cells.split('data-testid="lapsed-undecided"')[1].split(">")[1].split("<")[0]


@pytest.mark.django_db
def test_lapsed_but_undecided_deadlines_are_a_dashboard_count(client, staff, make_case):
    """Fails before the fix: every lapsed deadline counted as "overdue", decided or not."""
    shanghai = make_case(assignee=staff["lawyer"])
    other = make_case(assignee=staff["other_lawyer"])
    hangzhou = make_case(assignee=staff["other_lawyer"], branch="杭州分行")
    Deadline.objects.all().delete()
    _lapsed_deadline(shanghai, "s-open")
    _lapsed_deadline(shanghai, "s-decided", decision=LapseDecision.RIGHT_LOST)
    _lapsed_deadline(other, "o-open")
    _lapsed_deadline(hangzhou, "h-open")

    def page_of(role):
        client.force_login(staff[role])
        return client.get(reverse("wagtailadmin_home")).content.decode()

    page = page_of("lawyer")
    assert _lapsed_count(page, "my-deadline-counts") == "1"
    assert "贷款 s-open" not in page  # counted, not listed above the live deadlines
    page = page_of("manager")
    assert _lapsed_count(page, "scope-deadline-counts") == "2"  # their branch
    assert _lapsed_count(page_of("head"), "scope-deadline-counts") == "3"  # everything
    assert _lapsed_count(page_of("other_manager"), "scope-deadline-counts") == "1"


@pytest.mark.django_db
def test_the_listing_filters_lapsed_and_undecided(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    Deadline.objects.all().delete()
    _lapsed_deadline(case, "open")
    _lapsed_deadline(case, "decided", decision=LapseDecision.DISPUTED)
    live = _lapsed_deadline(case, "live", days=-10)
    assert not live.lapsed
    client.force_login(staff["manager"])

    def shown(**params):
        page = client.get(reverse("recovery_deadlines:index"), params).content.decode()
        return {key for key in ("open", "decided", "live") if f"贷款 {key}\n" in page}, page

    assert shown(due="lapsed")[0] == {"open", "decided"}
    assert shown(due="lapsed_undecided")[0] == {"open"}
    assert shown(lapse_decision=LapseDecision.DISPUTED)[0] == {"decided"}
    keys, page = shown()
    assert keys == {"open", "decided", "live"}
    assert "已届满: 有争议" in page and "已届满: 尚未决定" in page  # the listing's decision column


# --- the decision -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_lawyer_records_a_decision_audited(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    deadline = _lapsed_deadline(case, "k")
    decided = deadline_lapse_decide(
        deadline=deadline, decision=LapseDecision.WRITE_OFF, reason="保证人已无财产", user=staff["lawyer"]
    )
    stored = Deadline.objects.get(pk=deadline.pk)
    assert (stored.lapse_decision, stored.lapse_reason, stored.lapse_decided_by) == (
        "write_off",
        "保证人已无财产",
        staff["lawyer"],
    )
    assert stored.lapse_decided_at is not None and decided.pk == stored.pk
    [entry] = ModelLogEntry.objects.filter(action=LAPSE_DECIDED)
    assert entry.user == staff["lawyer"] and entry.object_id == str(deadline.pk)
    assert entry.data["decision"] == "write_off" and entry.data["case"] == case.pk
    assert entry.data["act_by"] == deadline.act_by.isoformat()


@pytest.mark.django_db
def test_a_decision_is_refused_without_reason_before_the_lapse_or_out_of_scope(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    lapsed = _lapsed_deadline(case, "lapsed")
    live = _lapsed_deadline(case, "live", days=-3)
    with pytest.raises(RecoveryError) as refused:
        deadline_lapse_decide(deadline=lapsed, decision="disputed", reason="  ", user=staff["lawyer"])
    assert refused.value.field == "reason"
    with pytest.raises(RecoveryError) as refused:
        deadline_lapse_decide(deadline=lapsed, decision="forgotten", reason="x", user=staff["lawyer"])
    assert refused.value.field == "decision"
    with pytest.raises(RecoveryError, match="not lapsed|尚未届满"):
        deadline_lapse_decide(deadline=live, decision="disputed", reason="x", user=staff["lawyer"])
    for outsider in ("other_lawyer", "other_manager", "auditor"):
        with pytest.raises(RecoveryError):
            deadline_lapse_decide(deadline=lapsed, decision="disputed", reason="x", user=staff[outsider])
    assert not ModelLogEntry.objects.filter(action=LAPSE_DECIDED).exists()
    assert Deadline.objects.get(pk=lapsed.pk).lapse_decision == ""


@pytest.mark.django_db
def test_a_proof_recorded_later_makes_it_live_again_and_clears_the_decision(staff, make_case):
    """The act-by date hangs on a demand without proof of delivery: lapsed, decided; the proof
    is recorded, the act-by date moves to the optimistic date, the decision no longer applies."""
    today = timezone.localdate()
    case = make_case(assignee=staff["lawyer"])
    due_on = today - timedelta(days=3 * 366 + 30)  # the limitation without the demand: lapsed
    case.loans.update(due_on=due_on)
    action = collection_action_record(
        action=CollectionAction(
            case=case,
            kind="visit",
            acted_on=due_on + timedelta(days=400),
            reached=True,
            delivered_on=due_on + timedelta(days=400),
        ),
        user=staff["lawyer"],
    )
    limitation = Deadline.objects.get(case=case, kind=DeadlineKind.LIMITATION)
    assert limitation.at_risk and limitation.lapsed
    assert limitation.act_by < today < limitation.safe_end
    deadline_lapse_decide(
        deadline=limitation, decision=LapseDecision.DISPUTED, reason="送达凭证待补", user=staff["lawyer"]
    )

    action.tracking_number = "EMS123"
    record_update(instance=action, user=staff["lawyer"])

    limitation.refresh_from_db()
    assert not limitation.lapsed and limitation.act_by == limitation.safe_end > today
    assert (limitation.lapse_decision, limitation.lapse_reason, limitation.lapse_decided_by) == ("", "", None)
    [cleared] = ModelLogEntry.objects.filter(action=LAPSE_DECISION_CLEARED)
    assert cleared.object_id == str(limitation.pk) and cleared.data["act_by"] == limitation.act_by.isoformat()


@pytest.mark.django_db
def test_a_recompute_that_does_not_move_the_date_keeps_the_decision(guaranteed_case, staff):
    period = _period(guaranteed_case)
    deadline_lapse_decide(
        deadline=period, decision=LapseDecision.RIGHT_LOST, reason="未在保证期间内主张", user=staff["lawyer"]
    )
    loan = guaranteed_case.loans.get()
    loan.principal_outstanding = loan.principal_outstanding - 1
    record_update(instance=loan, user=staff["lawyer"])  # facts changed, the date did not
    deadlines_recompute(case_ids=[guaranteed_case.pk], today=date(2026, 1, 5))
    assert _period(guaranteed_case).lapse_decision == LapseDecision.RIGHT_LOST


# --- the case page and the decision form -----------------------------------------------------------


@pytest.mark.django_db
def test_the_case_page_shows_the_lapse_and_takes_the_decision(client, staff, guaranteed_case):
    period = _period(guaranteed_case)
    case_page = reverse("wagtailsnippets_recovery_case:inspect", args=[guaranteed_case.pk])
    url = reverse("recovery_deadlines:lapse_decide", args=[period.pk])
    client.force_login(staff["lawyer"])
    html = client.get(case_page).content.decode()
    assert 'data-testid="lapsed-badge"' in html and GUARANTEE_LOST in html
    assert 'data-testid="deadline-lapse-undecided"' in html and f'action="{url}"' in html

    # No reason: the form comes back with the message on the field, nothing is stored.
    response = client.post(url, {"decision": "right_lost", "reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert _period(guaranteed_case).lapse_decision == ""

    response = client.post(url, {"decision": "right_lost", "reason": "未在保证期间内向保证人主张"})
    assert response.status_code == 302 and response["Location"].endswith(f"#deadline-{period.pk}")
    assert _period(guaranteed_case).lapse_decision == "right_lost"
    html = client.get(case_page).content.decode()
    assert 'data-testid="deadline-lapse-decision"' in html and "未在保证期间内向保证人主张" in html

    # The auditor reads the lapse, but has no form and may not post one.
    client.force_login(staff["auditor"])
    html = client.get(case_page).content.decode()
    assert GUARANTEE_LOST in html and 'data-testid="lapse-decision-form"' not in html
    assert client.post(url, {"decision": "disputed", "reason": "x"}).status_code == 404
    client.force_login(staff["other_lawyer"])
    assert client.get(url).status_code == 404
    assert _period(guaranteed_case).lapse_decision == "right_lost"
