"""Two (or six) lawyers record seizures on the same asset at the same moment: each gets its own
position, gap-free. Needs PostgreSQL (real row locks and concurrent transactions); skipped on
SQLite unless REQUIRE_POSTGRES is set, in which case it fails."""

import os
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction

from assets.models import PreservationMeasure
from tests.assets.preservation_helpers import at, make_asset, make_measure


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(f"REQUIRE_POSTGRES is set but the database is {connection.vendor}", pytrace=False)
        pytest.skip("concurrent recording needs PostgreSQL (row locks)")


@pytest.fixture
def asset(transactional_db, make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    # The other lawyer works on the case too: the services refuse writes outside one's scope.
    case.shared_with.add(staff["other_lawyer"])
    return make_asset(case, user=staff["lawyer"])


def record_at_once(asset, users, *, hold: float = 0.2) -> list[BaseException]:
    """Each thread, on its own connection, records a seizure inside a transaction it holds open
    for `hold` seconds after recording; all start together at a barrier."""
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []
    base = at("2025-03-03", "10:00")

    def work(index: int, user) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                # Registration times in reverse thread order: ranks are not recording order.
                make_measure(
                    asset,
                    registered=base - timedelta(minutes=index),
                    ours=index % 2 == 0,
                    user=user,
                )
                time.sleep(hold)
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(index, user)) for index, user in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def active_positions(asset) -> list[tuple[int | None, object]]:
    return list(
        PreservationMeasure.objects.filter(asset=asset, status="active")
        .order_by("registered_at", "id")
        .values_list("position", "registered_at")
    )


@pytest.mark.parametrize("attempt", range(3))
def test_two_lawyers_at_the_same_moment_get_distinct_gap_free_positions(asset, staff, attempt):
    errors = record_at_once(asset, [staff["lawyer"], staff["other_lawyer"]])
    assert errors == []
    rows = active_positions(asset)
    assert [position for position, _registered in rows] == [1, 2]


def test_six_at_once(asset, staff):
    users = [staff[name] for name in ("lawyer", "other_lawyer", "manager", "head", "lawyer", "other_lawyer")]
    errors = record_at_once(asset, users, hold=0.1)
    assert errors == []
    rows = active_positions(asset)
    assert [position for position, _registered in rows] == [1, 2, 3, 4, 5, 6]
    # By registration time, not by who got the lock first.
    assert [registered for _position, registered in rows] == sorted(registered for _p, registered in rows)


def test_recording_while_another_lawyer_lifts_the_first_seizure(asset, staff):
    """A recording and an end racing on one asset still leave the positions gap-free."""
    from datetime import date

    from assets.services import measure_end

    first = make_measure(asset, registered="2025-01-02", ours=False)
    make_measure(asset, registered="2025-01-03")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def lift() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                measure_end(
                    measure=PreservationMeasure.objects.get(pk=first.pk),
                    status="lifted",
                    ended_on=date(2025, 6, 1),
                    reason="",
                    user=staff["other_lawyer"],
                )
                time.sleep(0.2)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    def record() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                make_measure(asset, registered="2025-02-01", ours=False, user=staff["lawyer"])
                time.sleep(0.2)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=lift), threading.Thread(target=record)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert [position for position, _registered in active_positions(asset)] == [1, 2]
