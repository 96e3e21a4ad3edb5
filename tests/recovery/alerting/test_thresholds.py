"""Which alert a deadline is due for: the nearest threshold reached, once; table-driven."""

from datetime import date

import pytest

from recovery.alerting.thresholds import (
    LAPSED,
    due_threshold,
    newly_urgent,
    parse_thresholds,
    should_escalate,
    urgency,
)
from recovery.deadlines import default_calendar, limitation
from recovery.registry import default_thresholds

DEFAULT_THRESHOLDS = default_thresholds()  # each kind's, registered by the app that owns it
LIMITATION = DEFAULT_THRESHOLDS["limitation"]
RENEWAL = DEFAULT_THRESHOLDS["preservation_renewal"]
APPEAL = DEFAULT_THRESHOLDS["appeal_judgment"]
SAFE_END = date(2026, 3, 31)


@pytest.mark.parametrize(
    ("today", "thresholds", "expected"),
    [
        (date(2025, 12, 1), LIMITATION, None),  # 120 days left: nothing yet
        (date(2025, 12, 31), LIMITATION, 90),  # exactly 90 days before
        (date(2026, 1, 5), LIMITATION, 90),  # 85 days: still the 90-day alert (sent once)
        (date(2026, 1, 30), LIMITATION, 60),
        (date(2026, 3, 1), LIMITATION, 30),
        # After downtime: 5 days left, thresholds 90..14 were missed — only the nearest, 7.
        (date(2026, 3, 26), LIMITATION, 7),
        (date(2026, 3, 28), LIMITATION, 3),
        (date(2026, 3, 30), LIMITATION, 1),
        (date(2026, 3, 31), LIMITATION, 0),  # on the day
        (date(2026, 4, 1), LIMITATION, LAPSED),  # the day after: lapsed, the notice is due (once)
        (date(2027, 4, 1), LIMITATION, LAPSED),
        (date(2026, 3, 1), RENEWAL, 30),
        (date(2026, 3, 31), RENEWAL, 1),  # no on-the-day alert for renewals: 1 is nearest
        (date(2026, 3, 20), APPEAL, None),
        (date(2026, 3, 26), APPEAL, 5),
        (date(2026, 3, 29), APPEAL, 3),
    ],
)
def test_the_nearest_threshold_reached_is_due(today, thresholds, expected):
    assert due_threshold(SAFE_END, today, thresholds) == expected


def test_a_make_up_working_day_is_a_day_to_act_and_counts_normally():
    # Limitation from 2023-02-28: raw end 2026-02-28, a Saturday that the 2026 notice makes a
    # working day (调休上班), so it is itself the safe end; the alert counts down to it.
    calendar = default_calendar()
    result = limitation(date(2023, 2, 28), (), as_of=date(2026, 2, 1), calendar=calendar)
    assert result.safe_end == date(2026, 2, 28) and calendar.is_make_up_working_day(date(2026, 2, 28))
    assert due_threshold(result.safe_end, date(2026, 2, 27), LIMITATION) == 1
    assert due_threshold(result.safe_end, date(2026, 2, 28), LIMITATION) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90, 60, 30", (90, 60, 30)), ("0,1,3", (3, 1, 0)), ("7，3， 1", (7, 3, 1)), ("30,30,7", (30, 7))],
)
def test_thresholds_are_parsed_in_any_order(text, expected):
    assert parse_thresholds(text) == expected


@pytest.mark.parametrize("text", ["", "ninety", "-1", "5000", "3, x"])
def test_bad_thresholds_are_refused_with_the_item(text):
    with pytest.raises(ValueError, match="（"):
        parse_thresholds(text)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, date(2026, 4, 2), True),  # a new deadline 2 days away
        (None, date(2026, 4, 30), False),
        (date(2026, 6, 1), date(2026, 4, 3), True),  # a corrected fact brought it forward
        (date(2026, 4, 2), date(2026, 4, 3), False),  # it was already urgent: the digest has it
        (date(2026, 4, 2), None, False),  # a suit was filed: no date any more
        (date(2026, 3, 1), date(2026, 3, 2), False),  # overdue before and after
        (None, date(2026, 3, 1), False),  # arrives overdue: the next digest, with escalation
        (date(2026, 4, 2), date(2026, 3, 20), True),  # urgent, and a correction shows it expired
    ],
)
def test_newly_urgent_deadlines_are_mailed_at_once(old, new, expected):
    assert newly_urgent(old, new, date(2026, 3, 31)) is expected


@pytest.mark.parametrize(
    ("left", "acted", "expected"),
    [(30, False, False), (7, False, True), (7, True, False), (3, True, False), (-1, True, True)],
)
def test_escalation_to_the_manager(left, acted, expected):
    assert should_escalate(left, acted) is expected


@pytest.mark.parametrize(
    ("left", "expected"),
    [(-3, "overdue"), (0, "today"), (1, "week"), (7, "week"), (8, "month"), (31, "later")],
)
def test_digest_groups_by_urgency(left, expected):
    assert urgency(left) == expected
