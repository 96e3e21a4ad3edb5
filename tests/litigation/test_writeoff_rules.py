"""The write-off rules of 呆账办法 (law.md §8), pure: the grounds and their evidence, when a
written-off debt may be completely terminated (art. 16), when the fault determination is due
(art. 19), and how a case-wide write-off is split over its loans."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litigation.writeoff_rules import (
    COLLECTION_REPORT,
    DATED_TERMINATION_GROUNDS,
    LEGAL_OPINION,
    WRITE_OFF_GROUNDS,
    MissingGroundDate,
    TerminationFacts,
    TerminationGround,
    complete_termination_eligible_on,
    evidence_missing,
    fault_determination_due,
    split_pro_rata,
    write_off_ground,
)


@pytest.mark.parametrize(
    ("code", "must_include"),
    [
        # §8.2 annex 1 (一): a court or administrator certificate, or the internal collection report.
        ("bankruptcy", ["法院破产裁定或破产管理人证明", COLLECTION_REPORT]),
        # §8.2 annex 1 (二): death or the court's declaration, and recovery from the estate.
        (
            "death",
            [
                "死亡证明，或法院宣告失踪、宣告死亡、认定丧失民事行为能力的判决",
                "向其财产或遗产及保证人追偿的证据",
            ],
        ),
        ("disaster", ["自然灾害或意外事故的证明", "保险赔偿情况的证明"]),
        ("licence_revoked", ["营业执照被注销或吊销的证明", COLLECTION_REPORT]),
        # Arts 9–10: the other debt's ruling, the internal collection report and the legal opinion.
        (
            "cross_default",
            ["另一笔债务的终结（中止）执行或终结本次执行程序裁定", COLLECTION_REPORT, LEGAL_OPINION],
        ),
    ],
)
def test_each_ground_requires_its_evidence(code, must_include):
    ground = write_off_ground(code)
    for item in must_include:
        assert item in ground.evidence


def test_art_8_legal_opinion_is_required_for_every_ground():
    assert all(LEGAL_OPINION in ground.evidence for ground in WRITE_OFF_GROUNDS)


def test_only_the_art_9_10_ground_relies_on_another_debts_ruling():
    assert [g.code for g in WRITE_OFF_GROUNDS if g.cross_default] == ["cross_default"]
    assert write_off_ground("cross_default").article == "呆账办法第9条、第10条"


def test_unknown_ground_is_refused():
    with pytest.raises(KeyError):
        write_off_ground("criminal_sanction")  # annex 1 (五)+ is unverified: not seeded


def test_evidence_missing_lists_what_has_no_file_in_order():
    required = write_off_ground("bankruptcy").evidence
    assert evidence_missing(required, {COLLECTION_REPORT}) == [required[0], LEGAL_OPINION]
    assert evidence_missing(required, set(required)) == []


@pytest.mark.parametrize(
    ("ground", "ground_date", "eligible"),
    [
        # law.md §8.3 example: bankruptcy terminated 2023-05-10 → "more than 2 years" from 2025-05-11.
        (TerminationGround.BANKRUPTCY_TERMINATED, date(2023, 5, 10), date(2025, 5, 11)),
        # 29 February: the anniversary is 28 February (CC 202), eligible the day after.
        (TerminationGround.BANKRUPTCY_TERMINATED, date(2024, 2, 29), date(2026, 3, 1)),
        # (七): 2 years or more of failed remedial efforts after the dismissal / expiry.
        (TerminationGround.DISMISSED_OR_TIME_BARRED, date(2023, 5, 10), date(2025, 5, 10)),
        (TerminationGround.DISMISSED_OR_TIME_BARRED, date(2024, 2, 29), date(2026, 2, 28)),
        # Undated grounds: no eligible date, whatever date is given.
        (TerminationGround.COURT_TERMINATED, date(2024, 1, 1), None),
        (TerminationGround.MARKET_DISPOSAL, None, None),
        (TerminationGround.STATE_COUNCIL, None, None),
        (TerminationGround.OTHER_LAWFUL, None, None),
    ],
)
def test_complete_termination_eligible_on(ground, ground_date, eligible):
    assert complete_termination_eligible_on(ground, facts=TerminationFacts(ground_date)) == eligible


@pytest.mark.parametrize("ground", sorted(DATED_TERMINATION_GROUNDS))
def test_a_dated_ground_without_its_date_is_refused(ground):
    with pytest.raises(MissingGroundDate):
        complete_termination_eligible_on(ground, facts=TerminationFacts(None))


def test_art_16_has_eight_grounds_and_two_are_dated():
    assert len(TerminationGround) == 8
    assert DATED_TERMINATION_GROUNDS == {
        TerminationGround.BANKRUPTCY_TERMINATED,
        TerminationGround.DISMISSED_OR_TIME_BARRED,
    }


@pytest.mark.parametrize(
    ("written_off_on", "due"),
    [
        (date(2024, 6, 20), date(2026, 6, 20)),
        (date(2024, 2, 29), date(2026, 2, 28)),
        (date(2025, 12, 31), date(2027, 12, 31)),
    ],
)
def test_art_19_fault_determination_within_2_years(written_off_on, due):
    assert fault_determination_due(written_off_on) == due


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@settings(max_examples=200, deadline=None)
@given(dates)
def test_bankruptcy_ground_is_always_more_than_two_years_and_one_day_after_the_other(day):
    bankruptcy = complete_termination_eligible_on(
        TerminationGround.BANKRUPTCY_TERMINATED, facts=TerminationFacts(day)
    )
    remedial = complete_termination_eligible_on(
        TerminationGround.DISMISSED_OR_TIME_BARRED, facts=TerminationFacts(day)
    )
    assert bankruptcy == remedial + timedelta(days=1)
    assert 730 <= (remedial - day).days <= 731
    assert remedial == fault_determination_due(day)


cents = st.integers(min_value=0, max_value=10**11).map(lambda n: Decimal(n) / 100)


@settings(max_examples=300, deadline=None)
@given(st.lists(cents, min_size=1, max_size=8), st.data())
def test_split_pro_rata_is_exact_and_never_exceeds_a_loans_balance(weights, data):
    total = sum(weights, Decimal("0"))
    amount = data.draw(st.integers(min_value=0, max_value=int(total * 100)).map(lambda n: Decimal(n) / 100))
    shares = split_pro_rata(amount, weights)
    assert sum(shares, Decimal("0")) == amount
    assert all(share >= 0 and share == share.quantize(Decimal("0.01")) for share in shares)
    if total > 0:
        assert all(share <= weight for share, weight in zip(shares, weights, strict=True))


@pytest.mark.parametrize(
    ("amount", "weights", "shares"),
    [
        ("100.00", ["80000.00", "20000.00"], ["80.00", "20.00"]),
        ("100.00", ["1.00", "1.00", "1.00"], ["33.34", "33.33", "33.33"]),
        ("0.01", ["5.00", "5.00"], ["0.01", "0.00"]),
        ("10.00", ["0.00", "0.00"], ["10.00", "0.00"]),
    ],
)
def test_split_pro_rata_table(amount, weights, shares):
    assert split_pro_rata(Decimal(amount), [Decimal(w) for w in weights]) == [Decimal(s) for s in shares]
