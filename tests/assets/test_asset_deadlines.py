"""The assets app's deadlines on the docket: renewal and expiry of our measures, the suit after a
pre-suit measure, and competitors' first seizures we wait behind (law.md §4.1, §4.3, §4.4)."""

from datetime import date
from decimal import Decimal

import pytest

from assets.deadlines import asset_deadlines
from assets.models import AssetDeadlineKind, MeasureStage, MeasureStatus
from assets.services import measure_end, measure_renew
from litigation.models import Lawsuit
from recovery.models import Deadline, PartyRole
from recovery.registry import deadline_providers
from recovery.services.cases import record_create
from tests.assets.preservation_helpers import ADDRESS, make_asset, make_measure

D = date.fromisoformat


@pytest.fixture
def case(make_case, staff):
    return make_case(assignee=staff["lawyer"])


@pytest.fixture
def asset(case, staff):
    return make_asset(case, user=staff["lawyer"])


def deadlines(case, kind):
    return list(Deadline.objects.filter(case=case, kind=kind).order_by("trigger", "id"))


def dates(deadline) -> tuple[str, str, str]:
    return deadline.raw_end.isoformat(), deadline.legal_end.isoformat(), deadline.safe_end.isoformat()


def sue(case, filed_on: date, user=None) -> Lawsuit:
    return record_create(
        instance=Lawsuit(
            case=case,
            court="上海市浦东新区人民法院",
            cause_of_action="金融借款合同纠纷",
            claim_amount=Decimal("80000"),
            filed_on=filed_on,
        ),
        user=user,
    )


def test_the_provider_is_registered_after_litigations():
    names = [provider.__module__ for provider in deadline_providers()]
    assert "assets.deadlines" in names
    assert names.index("litigation.deadlines") < names.index("assets.deadlines")


# --- renewal and expiry --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expiry", "renewal_dates", "expiry_safe_end"),
    [
        # §4.3: E − 7 = 2025-10-07 is in the National Day holiday: file by 2025-09-30.
        pytest.param(
            "2025-10-14", ("2025-10-07", "2025-09-30", "2025-09-30"), "2025-10-14", id="National Day"
        ),
        # E − 7 = 2026-02-23 (Spring Festival): back to the make-up Saturday 2026-02-14.
        pytest.param(
            "2026-03-02", ("2026-02-23", "2026-02-14", "2026-02-14"), "2026-03-02", id="Spring Festival"
        ),
        # E − 7 = 2026-05-24, a Sunday: file by Friday 2026-05-22; E itself is a Sunday.
        pytest.param("2026-05-31", ("2026-05-24", "2026-05-22", "2026-05-22"), "2026-05-29", id="Sunday"),
    ],
)
def test_our_measure_has_a_renewal_deadline_and_an_expiry(
    asset, case, expiry, renewal_dates, expiry_safe_end
):
    measure = make_measure(asset, registered="2024-10-15", expires=expiry, ruling="(2025)沪0115执保123号")
    [renewal] = deadlines(case, AssetDeadlineKind.PRESERVATION_RENEWAL)
    assert renewal.rule == "preservation_renewal" and renewal.trigger == D(expiry)
    assert dates(renewal) == renewal_dates
    assert renewal.subject == f"查封 (2025)沪0115执保123号 — {ADDRESS}"
    assert renewal.key.endswith(f"measure:{measure.pk}")
    assert renewal.party == case.debtor and renewal.party_role == PartyRole.BORROWER
    assert any(step["source"] == "保全规定第18条" for step in renewal.steps)
    assert any("首封" in step["text"] for step in renewal.steps)
    [end] = deadlines(case, AssetDeadlineKind.PRESERVATION_EXPIRY)
    assert end.rule == "preservation_expiry"
    assert dates(end) == (expiry, expiry, expiry_safe_end)
    assert any(step["source"] == "查扣冻规定第27条" for step in end.steps)


def test_a_renewal_moves_both_deadlines(asset, case, staff):
    measure = make_measure(asset, registered="2024-10-15", expires="2025-10-14")
    measure_renew(
        measure=measure, renewed_on=date(2025, 9, 26), new_expires_on=date(2026, 5, 31), user=staff["lawyer"]
    )
    [renewal] = deadlines(case, AssetDeadlineKind.PRESERVATION_RENEWAL)
    assert renewal.safe_end == date(2026, 5, 22)
    [end] = deadlines(case, AssetDeadlineKind.PRESERVATION_EXPIRY)
    assert end.trigger == date(2026, 5, 31)


def test_waiting_seizures_of_ours_have_renewal_deadlines_too(asset, case):
    make_measure(asset, registered="2024-10-15", ours=False, expires="2027-10-14")
    make_measure(asset, registered="2024-11-01", expires="2026-05-31")
    [renewal] = deadlines(case, AssetDeadlineKind.PRESERVATION_RENEWAL)
    assert any("第2顺位轮候" in step["text"] for step in renewal.steps)


def test_an_ended_measure_leaves_the_docket(asset, case):
    measure = make_measure(asset, registered="2024-10-15", expires="2025-10-14")
    assert deadlines(case, AssetDeadlineKind.PRESERVATION_RENEWAL)
    measure_end(measure=measure, status=MeasureStatus.LIFTED, ended_on=date(2025, 1, 5), reason="", user=None)
    assert deadlines(case, AssetDeadlineKind.PRESERVATION_RENEWAL) == []
    assert deadlines(case, AssetDeadlineKind.PRESERVATION_EXPIRY) == []


def test_competitors_measures_have_no_renewal_deadline_for_us(asset, case):
    make_measure(asset, registered="2024-10-15", ours=False, expires="2025-10-14")
    assert deadlines(case, AssetDeadlineKind.PRESERVATION_RENEWAL) == []
    assert deadlines(case, AssetDeadlineKind.COMPETITOR_SEIZURE_EXPIRY) == []  # we hold nothing behind it


# --- pre-suit preservation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("measured", "expected"),
    [
        # §4.1: measure taken 2025-09-10: sue by 2025-10-10 (the holiday ends 10-08).
        pytest.param("2025-09-10", ("2025-10-10",) * 3, id="after the holiday"),
        # §4.1: measure taken 2025-09-05: raw 10-05 (holiday), legal 10-09, safe 09-30.
        pytest.param("2025-09-05", ("2025-10-05", "2025-10-09", "2025-09-30"), id="in the holiday"),
    ],
)
def test_a_pre_suit_measure_must_be_followed_by_a_suit_within_30_days(asset, case, measured, expected):
    make_measure(
        asset, registered=measured, measured=measured, stage=MeasureStage.PRE_SUIT, expires="2028-09-01"
    )
    [deadline] = deadlines(case, AssetDeadlineKind.PRE_SUIT_PRESERVATION)
    assert deadline.rule == "pre_suit_preservation" and deadline.trigger == D(measured)
    assert dates(deadline) == expected
    assert not deadline.done


def test_suing_in_time_completes_the_pre_suit_deadline(asset, case, staff):
    make_measure(
        asset,
        registered="2025-09-10",
        measured="2025-09-10",
        stage=MeasureStage.PRE_SUIT,
        expires="2028-09-01",
    )
    sue(case, date(2025, 10, 9), user=staff["lawyer"])
    [deadline] = deadlines(case, AssetDeadlineKind.PRE_SUIT_PRESERVATION)
    assert deadline.done and "起诉" in deadline.done_note
    assert [fact["kind"] for fact in deadline.facts] == ["suit_filed"]


def test_a_suit_filed_before_the_measure_or_too_late_does_not_complete_it(asset, case, staff):
    sue(case, date(2025, 9, 1), user=staff["lawyer"])  # an earlier, unrelated suit
    make_measure(
        asset,
        registered="2025-09-10",
        measured="2025-09-10",
        stage=MeasureStage.PRE_SUIT,
        expires="2028-09-01",
    )
    [deadline] = deadlines(case, AssetDeadlineKind.PRE_SUIT_PRESERVATION)
    assert not deadline.done
    sue(case, date(2025, 10, 20), user=staff["lawyer"])  # after 2025-10-10
    [deadline] = deadlines(case, AssetDeadlineKind.PRE_SUIT_PRESERVATION)
    assert not deadline.done
    assert any(step["source"] == "民事诉讼法第104条" and "晚于" in step["text"] for step in deadline.steps)


def test_an_in_suit_measure_has_no_pre_suit_deadline(asset, case):
    make_measure(asset, registered="2025-09-10", stage=MeasureStage.IN_SUIT)
    assert deadlines(case, AssetDeadlineKind.PRE_SUIT_PRESERVATION) == []


# --- competitors' first seizures -----------------------------------------------------------


def test_a_competitors_first_seizure_we_wait_behind_is_watched(asset, case):
    theirs = make_measure(
        asset, registered="2024-05-06", ours=False, applicant="某资产管理公司", expires="2026-05-31"
    )
    make_measure(asset, registered="2024-07-01", expires="2027-06-30")
    [watch] = deadlines(case, AssetDeadlineKind.COMPETITOR_SEIZURE_EXPIRY)
    assert watch.rule == "preservation_expiry" and watch.trigger == date(2026, 5, 31)
    assert dates(watch) == ("2026-05-31", "2026-05-31", "2026-05-29")
    assert watch.key.endswith(f"measure:{theirs.pk}")
    assert watch.party == case.debtor
    assert watch.subject.startswith("查封 ") and watch.subject.endswith(ADDRESS)
    note = next(step for step in watch.steps if step["source"] == "查扣冻规定第26条")
    assert "某资产管理公司" in note["text"] and "转为首封" in note["text"]


def test_no_watch_when_we_hold_the_first_seizure_or_nothing_active_behind(asset, case):
    ours = make_measure(asset, registered="2024-05-06", expires="2027-06-30")
    make_measure(asset, registered="2024-07-01", ours=False, expires="2026-05-31")
    assert deadlines(case, AssetDeadlineKind.COMPETITOR_SEIZURE_EXPIRY) == []  # we are first
    other = make_asset(case, description="沪A12345 车辆", kind="vehicle")
    make_measure(other, registered="2024-05-06", ours=False, expires="2026-05-31")
    waiting = make_measure(other, registered="2024-07-01", expires="2027-06-30")
    assert len(deadlines(case, AssetDeadlineKind.COMPETITOR_SEIZURE_EXPIRY)) == 1
    measure_end(measure=waiting, status=MeasureStatus.LIFTED, ended_on=date(2025, 1, 5), reason="", user=None)
    assert deadlines(case, AssetDeadlineKind.COMPETITOR_SEIZURE_EXPIRY) == []
    assert ours.pk


def test_the_watch_follows_the_next_first_seizure(asset, case):
    first = make_measure(asset, registered="2024-05-06", ours=False, expires="2026-05-31")
    second = make_measure(asset, registered="2024-06-01", ours=False, expires="2026-10-14")
    make_measure(asset, registered="2024-07-01", expires="2027-06-30")
    [watch] = deadlines(case, AssetDeadlineKind.COMPETITOR_SEIZURE_EXPIRY)
    assert watch.key.endswith(f"measure:{first.pk}")
    measure_end(measure=first, status=MeasureStatus.LIFTED, ended_on=date(2025, 1, 5), reason="", user=None)
    [watch] = deadlines(case, AssetDeadlineKind.COMPETITOR_SEIZURE_EXPIRY)
    assert watch.key.endswith(f"measure:{second.pk}") and watch.trigger == date(2026, 10, 14)
    assert "转为首封" in watch.steps[-1]["text"]


def test_the_provider_reads_only_the_cases_it_is_given(asset, case, make_case):
    from recovery.services.deadlines import collect_facts

    make_measure(asset, registered="2024-05-06", expires="2026-05-31")
    other = make_case()
    assert asset_deadlines(collect_facts([other.pk])) == []
    specs = asset_deadlines(collect_facts([case.pk]))
    assert sorted(spec.kind for spec in specs) == ["preservation_expiry", "preservation_renewal"]
