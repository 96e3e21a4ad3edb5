"""Ranking preservation measures on an asset: first seizure and waiting list by registration
time, moving up when a measure is lifted or lapses (查扣冻规定 26, 27), renewals, and the mail
to our lawyer when our waiting seizure becomes the first seizure."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from assets.models import MeasureRenewal, MeasureStatus, PreservationMeasure
from assets.services import (
    LAPSE_REASON,
    MEASURE_RECORDED,
    MEASURE_RENEWED,
    measure_end,
    measure_record,
    measure_renew,
    measures_lapse_expired,
)
from recovery.checks.identity import resident_id_with_check
from recovery.models import AlertPreference, CaseParty, Party, PartyKind, PartyRole
from recovery.services import RecoveryError
from tests.assets.preservation_helpers import ADDRESS, at, make_asset, make_measure, positions


@pytest.fixture
def case(make_case, staff):
    return make_case(assignee=staff["lawyer"])


@pytest.fixture
def asset(case, staff):
    return make_asset(case, user=staff["lawyer"])


def mail_parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


# --- positions ---------------------------------------------------------------------------


def test_positions_follow_registration_time_not_recording_order(asset, staff):
    late = make_measure(asset, registered="2025-05-01", ours=False, user=staff["lawyer"])
    early = make_measure(asset, registered="2025-03-03", user=staff["lawyer"])
    middle = make_measure(asset, registered=at("2025-03-03", "15:30"), ours=False, user=staff["lawyer"])
    assert positions(asset) == {early.pk: 1, middle.pk: 2, late.pk: 3}
    assert early.position == 1  # the instance given back carries its position
    # Pushing the first seizure down to second place is audited as a ranking change.
    entry = ModelLogEntry.objects.for_instance(late).filter(data__source="ranking").latest("pk")
    assert entry.data["changes"] == {"position": [2, 3]}
    assert entry.data["case"] == asset.case_id


def test_ties_in_registration_time_go_by_id(asset):
    first = make_measure(asset, registered=at("2025-03-03", "09:00"), ours=False)
    second = make_measure(asset, registered=at("2025-03-03", "09:00"))
    assert positions(asset) == {first.pk: 1, second.pk: 2}


def test_a_corrected_registration_time_re_ranks(asset, staff):
    ours = make_measure(asset, registered="2025-03-03")
    theirs = make_measure(asset, registered="2025-04-01", ours=False)
    theirs = PreservationMeasure.objects.get(pk=theirs.pk)  # as a form would load it
    theirs.registered_at = at("2025-02-01", "07:30")  # 31 January in UTC
    theirs.measured_on = date(2025, 2, 1)
    theirs.position = 99  # service-kept: ignored
    measure_record(measure=theirs, user=staff["lawyer"])
    assert positions(asset) == {theirs.pk: 1, ours.pk: 2}


# --- lifting the first seizure -------------------------------------------------------------


def test_lifting_the_first_seizure_promotes_ours_and_mails_our_lawyer_once(
    asset, staff, smtp_sink, django_capture_on_commit_callbacks, settings
):
    settings.BASE_URL = "http://testserver.example"
    theirs = make_measure(asset, registered="2025-03-03", ours=False, applicant="某资产管理公司")
    ours = make_measure(asset, registered="2025-04-10", ruling="(2025)沪0115执保123号")
    behind = make_measure(asset, registered="2025-05-20", ours=False)
    with django_capture_on_commit_callbacks(execute=True):
        promoted = measure_end(
            measure=theirs,
            status=MeasureStatus.LIFTED,
            ended_on=date(2025, 8, 1),
            reason="申请人撤回保全申请",
            # Someone else than the case's lawyer, with the case in scope: their branch manager.
            user=staff["manager"],
        )
    assert [m.pk for m in promoted] == [ours.pk, behind.pk]
    assert positions(asset) == {theirs.pk: None, ours.pk: 1, behind.pk: 2}
    theirs.refresh_from_db()
    assert (theirs.status, theirs.ended_on, theirs.end_reason) == (
        "lifted",
        date(2025, 8, 1),
        "申请人撤回保全申请",
    )
    ours.refresh_from_db()
    assert ours.converted_on == date(2025, 8, 1)
    assert PreservationMeasure.objects.get(pk=behind.pk).converted_on is None  # not ours

    [message] = smtp_sink.messages
    assert message["To"] == "lawyer@example.com"
    assert message["Subject"].strip() == f"您在 {ADDRESS} 上的轮候查封已转为首封"
    text, html = mail_parts(message)
    case_link = "http://testserver.example" + reverse(
        "wagtailsnippets_recovery_case:inspect", args=[asset.case_id]
    )
    assert case_link in text and case_link in html
    assert "(2025)沪0115执保123号" in text and "2025-08-01" in text and "某资产管理公司" in text
    assert "<p>" in html and "(2025)沪0115执保123号" in html

    # Later changes on the asset send nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        measure_end(
            measure=behind, status=MeasureStatus.LIFTED, ended_on=date(2025, 9, 1), reason="", user=None
        )
    assert len(smtp_sink.messages) == 1


def test_the_mail_is_in_the_lawyers_language(asset, staff, smtp_sink, django_capture_on_commit_callbacks):
    AlertPreference.objects.create(user=staff["lawyer"], language="en")
    theirs = make_measure(asset, registered="2025-03-03", ours=False)
    make_measure(asset, registered="2025-04-10")
    with django_capture_on_commit_callbacks(execute=True):
        measure_end(
            measure=theirs, status=MeasureStatus.LIFTED, ended_on=date(2025, 8, 1), reason="", user=None
        )
    [message] = smtp_sink.messages
    assert message["Subject"].strip() == f"Your waiting seizure on {ADDRESS} is now the first seizure"
    text, _html = mail_parts(message)
    assert "took effect as the first seizure on 2025-08-01" in text


def test_no_mail_when_a_competitor_becomes_first_or_the_transaction_rolls_back(
    asset, staff, smtp_sink, django_capture_on_commit_callbacks
):
    first = make_measure(asset, registered="2025-03-03", ours=False)
    second = make_measure(asset, registered="2025-04-01", ours=False)
    ours = make_measure(asset, registered="2025-05-01")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        measure_end(
            measure=first, status=MeasureStatus.LIFTED, ended_on=date(2025, 8, 1), reason="", user=None
        )
    assert callbacks == [] and smtp_sink.messages == []
    assert positions(asset) == {first.pk: None, second.pk: 1, ours.pk: 2}
    ours.refresh_from_db()
    assert ours.converted_on is None


def test_lifting_a_waiting_measure_closes_the_gap(asset, smtp_sink, django_capture_on_commit_callbacks):
    first = make_measure(asset, registered="2025-03-03")
    waiting = make_measure(asset, registered="2025-04-01", ours=False)
    last = make_measure(asset, registered="2025-05-01", ours=False)
    with django_capture_on_commit_callbacks(execute=True):
        promoted = measure_end(
            measure=waiting, status=MeasureStatus.LIFTED, ended_on=date(2025, 6, 1), reason="", user=None
        )
    assert [m.pk for m in promoted] == [last.pk]
    assert positions(asset) == {first.pk: 1, waiting.pk: None, last.pk: 2}
    assert smtp_sink.messages == []


def test_a_measure_ends_once_and_only_lifted_or_lapsed(asset):
    measure = make_measure(asset)
    with pytest.raises(RecoveryError) as error:
        measure_end(measure=measure, status="active", ended_on=date(2025, 6, 1), reason="", user=None)
    assert error.value.field == "status"
    with pytest.raises(RecoveryError) as error:
        measure_end(measure=measure, status="lifted", ended_on=date(2025, 1, 1), reason="", user=None)
    assert error.value.field == "ended_on"
    measure_end(measure=measure, status="lifted", ended_on=date(2025, 6, 1), reason="", user=None)
    with pytest.raises(RecoveryError) as error:
        measure_end(measure=measure, status="lapsed", ended_on=date(2025, 7, 1), reason="", user=None)
    assert error.value.field == "status"


# --- lapsing -------------------------------------------------------------------------------


def test_expired_measures_lapse_and_the_waiting_list_moves_up(
    asset, staff, smtp_sink, django_capture_on_commit_callbacks
):
    theirs = make_measure(asset, registered="2024-05-06", ours=False, expires="2025-05-05")
    ours = make_measure(asset, registered="2024-07-01", expires="2027-06-30")
    renewed = make_measure(asset, registered="2024-08-01", ours=False, expires="2025-05-04")
    measure_renew(
        measure=renewed, renewed_on=date(2025, 4, 20), new_expires_on=date(2028, 5, 4), user=staff["lawyer"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert measures_lapse_expired(today=date(2025, 5, 5)) == 0  # the expiry day itself still holds
        assert measures_lapse_expired(today=date(2025, 5, 6)) == 1
    theirs.refresh_from_db()
    assert theirs.status == MeasureStatus.LAPSED and theirs.position is None
    assert theirs.end_reason == LAPSE_REASON == "期限届满未续封（查扣冻规定第27条）"
    assert theirs.ended_on == date(2025, 5, 6)  # effect ends with 05-05; lapsed the next day
    ours.refresh_from_db()
    assert (ours.position, ours.converted_on) == (1, date(2025, 5, 6))
    assert positions(asset)[renewed.pk] == 2
    assert len(smtp_sink.messages) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert measures_lapse_expired(today=date(2025, 5, 6)) == 0  # idempotent
    assert len(smtp_sink.messages) == 1


def test_measures_lapsing_together_do_not_convert_each_other(
    asset, smtp_sink, django_capture_on_commit_callbacks
):
    theirs = make_measure(asset, registered="2024-05-06", ours=False, expires="2025-05-05")
    our_lapsing = make_measure(asset, registered="2024-06-01", expires="2025-05-05")
    our_lasting = make_measure(asset, registered="2024-07-01", expires="2027-06-30")
    with django_capture_on_commit_callbacks(execute=True):
        assert measures_lapse_expired(today=date(2025, 6, 1)) == 2
    our_lapsing.refresh_from_db()
    assert our_lapsing.status == MeasureStatus.LAPSED and our_lapsing.converted_on is None
    our_lasting.refresh_from_db()
    assert (our_lasting.position, our_lasting.converted_on) == (1, date(2025, 5, 6))
    assert positions(asset)[theirs.pk] is None
    assert len(smtp_sink.messages) == 1


def test_the_nightly_task_lapses(asset, smtp_sink, django_capture_on_commit_callbacks):
    from assets.tasks import lapse_expired_measures_task

    measure = make_measure(asset, registered="2024-05-06", expires="2025-05-05")
    assert lapse_expired_measures_task.delay("2025-05-07").get() == 1
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.LAPSED


def test_the_beat_schedule_runs_the_lapse_nightly():
    from config.celery import app

    entries = [
        entry for entry in app.conf.beat_schedule.values() if entry["task"] == "assets.lapse_expired_measures"
    ]
    assert len(entries) == 1


# --- renewals ------------------------------------------------------------------------------


def test_a_renewal_moves_the_expiry_and_keeps_the_rank(asset, staff):
    first = make_measure(asset, registered="2024-10-15", expires="2025-10-14")
    second = make_measure(asset, registered="2024-11-01", ours=False)
    renewal = measure_renew(
        measure=first,
        renewed_on=date(2025, 9, 30),
        new_expires_on=date(2026, 10, 13),
        ruling_number="(2025)沪0115执保123号之一",
        user=staff["lawyer"],
    )
    assert MeasureRenewal.objects.get() == renewal
    assert renewal.recorded_by == staff["lawyer"]
    first.refresh_from_db()
    assert first.expires_on == date(2026, 10, 13) and first.position == 1
    assert positions(asset)[second.pk] == 2
    entry = ModelLogEntry.objects.for_instance(first).filter(action=MEASURE_RENEWED).latest("pk")
    assert entry.data["changes"]["expires_on"] == ["2025-10-14", "2026-10-13"]


def test_a_renewal_after_the_expiry_is_refused_because_the_seizure_lapsed(asset, staff):
    measure = make_measure(asset, registered="2024-10-15", expires="2025-10-14")
    with pytest.raises(RecoveryError) as error:
        measure_renew(
            measure=measure,
            renewed_on=date(2025, 10, 15),
            new_expires_on=date(2026, 10, 14),
            user=staff["lawyer"],
        )
    assert error.value.field == "renewed_on"
    assert "查扣冻规定第27条" in error.value.message
    assert not MeasureRenewal.objects.exists()
    # On the expiry day itself it is still in time.
    measure_renew(
        measure=measure, renewed_on=date(2025, 10, 14), new_expires_on=date(2026, 10, 14), user=None
    )


def test_a_renewal_must_extend_the_term(asset):
    measure = make_measure(asset, registered="2024-10-15", expires="2025-10-14")
    for new_expiry in (date(2025, 10, 14), date(2025, 10, 1)):
        with pytest.raises(RecoveryError) as error:
            measure_renew(measure=measure, renewed_on=date(2025, 9, 1), new_expires_on=new_expiry, user=None)
        assert error.value.field == "new_expires_on"


def test_an_ended_measure_cannot_be_renewed(asset):
    measure = make_measure(asset, registered="2024-10-15", expires="2025-10-14")
    measure_end(measure=measure, status="lifted", ended_on=date(2025, 3, 1), reason="", user=None)
    with pytest.raises(RecoveryError):
        measure_renew(
            measure=measure, renewed_on=date(2025, 9, 1), new_expires_on=date(2026, 10, 14), user=None
        )


# --- owners --------------------------------------------------------------------------------


def test_the_owner_must_be_a_party_of_the_case(case, staff):
    stranger = Party.objects.create(
        kind=PartyKind.PERSON, name="无关人", id_number=resident_id_with_check("31011519700101991")
    )
    with pytest.raises(RecoveryError) as error:
        make_asset(case, owner=stranger, user=staff["lawyer"])
    assert error.value.field == "owner"
    CaseParty.objects.create(case=case, party=stranger, role=PartyRole.GUARANTOR)
    asset = make_asset(case, owner=stranger, user=staff["lawyer"])
    assert asset.owner == stranger


def test_measures_are_audited_against_their_case(asset, staff):
    measure = make_measure(asset, user=staff["lawyer"])
    entry = ModelLogEntry.objects.for_instance(measure).get(action=MEASURE_RECORDED)
    assert entry.data["case"] == asset.case_id and entry.user == staff["lawyer"]
    assert entry.data["values"]["position"] == 1
    measure.refresh_from_db()
    assert measure.recorded_by == staff["lawyer"]


def test_positions_stay_gap_free_through_many_changes(asset):
    measures = [
        make_measure(
            asset, registered=(date(2025, 1, 1) + timedelta(days=offset)).isoformat(), ours=offset % 2 == 0
        )
        for offset in (9, 3, 7, 1, 5)
    ]
    for index in (2, 0):
        measure_end(measure=measures[index], status="lifted", ended_on=date(2025, 6, 1), reason="", user=None)
    active = PreservationMeasure.objects.filter(asset=asset, status="active").order_by("registered_at")
    assert [m.position for m in active] == [1, 2, 3]


def test_without_an_assignee_the_conversion_is_recorded_and_nobody_mailed(
    make_case, smtp_sink, django_capture_on_commit_callbacks
):
    asset = make_asset(make_case())
    theirs = make_measure(asset, registered="2025-03-03", ours=False)
    ours = make_measure(asset, registered="2025-04-10")
    with django_capture_on_commit_callbacks(execute=True):
        measure_end(
            measure=theirs, status=MeasureStatus.LIFTED, ended_on=date(2025, 8, 1), reason="", user=None
        )
    ours.refresh_from_db()
    assert ours.converted_on == date(2025, 8, 1)
    assert smtp_sink.messages == []


def test_an_early_morning_registration_is_checked_as_a_shanghai_date():
    """07:30 in Shanghai is 23:30 the day before in UTC: still not before the measure."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from assets.models import PreservationMeasure

    measure = PreservationMeasure(
        measured_on=date(2025, 3, 10),
        registered_at=datetime(2025, 3, 10, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(
            ZoneInfo("UTC")
        ),
        expires_on=date(2028, 3, 9),
    )
    measure.clean()  # no error
