"""A re-import of a file the docket holds as it was imported skips the checks (issue #13):
the rows are compared by digest with what the import that created their loans kept. Whatever
changed since (in the docket, the users, the file, who imports) makes the import check every
row again, and the outcome is then exactly what checking all of them gives."""

import pytest
from django.contrib.auth import get_user_model
from wagtail.models import ModelLogEntry

from recovery.models import Case, Collateral, Loan, LoanImportDigest, LoanParty, Party
from recovery.services import handover_import as importing
from recovery.services.handover_import import handover_import
from tests.recovery.services.test_handover_import import (
    GUARANTOR_ID,
    docket_state,
    row,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def checked(monkeypatch):
    """Counts the rows that went through the docket checks."""
    counted = []
    original = importing._Plan.check_against_docket

    def counting(self, batch):
        counted.extend(checked_row.row for checked_row, _raw in batch)
        return original(self, batch)

    monkeypatch.setattr(importing._Plan, "check_against_docket", counting)
    return counted


def rows():
    return [
        row("HT-001", 承办人="lawyer"),
        row("HT-002", 保证人="", 抵押物=""),
        row("HT-003", 证件号码=GUARANTOR_ID, 借款人="李四", 保证人="", 机构="杭州分行"),
    ]


def outcome_of(path, user, *, skipping):
    """The dry run's outcome and sample, with or without the skipping of unchanged rows."""
    if skipping:
        outcome = handover_import(source=path, user=user, dry_run=True)
    else:
        original = importing._Plan.unchanged_rows
        importing._Plan.unchanged_rows = lambda self, rows, total, report: (list(rows), False)
        try:
            outcome = handover_import(source=path, user=user, dry_run=True)
        finally:
            importing._Plan.unchanged_rows = original
    return outcome.as_json(), outcome.sample


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_an_unchanged_file_is_reimported_without_checking_its_rows(tmp_path, staff, checked, writer):
    path = writer(tmp_path / f"h.{'csv' if writer is write_csv else 'xlsx'}", rows())
    handover_import(source=path, user=staff["head"])
    assert LoanImportDigest.objects.count() == 3
    checked.clear()
    before = docket_state()

    outcome = handover_import(source=path, user=staff["head"])

    assert checked == []
    assert (outcome.rows, outcome.created, outcome.updated, outcome.unchanged) == (3, 0, 0, 3)
    after = docket_state()
    assert after.pop("runs") == before.pop("runs") + 1
    assert after == before


def test_the_preview_of_an_unchanged_file_is_the_one_checking_gives(tmp_path, staff, checked):
    path = write_csv(tmp_path / "h.csv", rows())
    handover_import(source=path, user=staff["head"])
    checked.clear()

    skipped = outcome_of(path, staff["head"], skipping=True)
    assert checked == []
    assert skipped == outcome_of(path, staff["head"], skipping=False)
    assert [line["action"] for line in skipped[1]] == ["unchanged"] * 3
    assert skipped[1][0]["assignee"] == "lawyer" and skipped[1][2]["branch"] == "杭州分行"


def _edit_loan():
    Loan.objects.filter(contract_no="HT-002").update(principal_outstanding=1)


def _edit_phones():
    Party.objects.exclude(id_number=GUARANTOR_ID).update(phones="")


def _reassign():
    Case.objects.filter(loans__contract_no="HT-001").update(
        assignee=get_user_model().objects.get(username="other_lawyer")
    )


def _drop_collateral():
    Collateral.objects.filter(loan__contract_no="HT-001").delete()


def _review_guarantee():
    LoanParty.objects.update(needs_review=True)


def _deactivate_assignee():
    get_user_model().objects.filter(username="lawyer").update(is_active=False)


def _rename_branch():
    from recovery.models import Branch

    Branch.objects.filter(name="杭州分行").update(name="杭州分行（新）")


@pytest.mark.parametrize(
    "change",
    [
        _edit_loan,
        _edit_phones,
        _reassign,
        _drop_collateral,
        _review_guarantee,
        _deactivate_assignee,
        _rename_branch,
    ],
)
def test_whatever_changed_since_makes_every_row_checked(tmp_path, staff, checked, change):
    path = write_csv(tmp_path / "h.csv", rows())
    handover_import(source=path, user=staff["head"])
    change()
    checked.clear()

    skipped = outcome_of(path, staff["head"], skipping=True)

    assert sorted(checked) == [2, 3, 4]
    assert skipped == outcome_of(path, staff["head"], skipping=False)
    assert skipped[0]["updated"] + skipped[0]["rejected"] >= 1


def test_a_changed_row_makes_every_row_checked_and_then_carries_no_digest(tmp_path, staff, checked):
    handover_import(source=write_csv(tmp_path / "a.csv", rows()), user=staff["head"])
    changed = rows()
    changed[2][5] = "75000"  # HT-003's principal
    path = write_csv(tmp_path / "b.csv", changed)
    checked.clear()

    outcome = handover_import(source=path, user=staff["head"])

    assert sorted(checked) == [2, 3, 4]
    assert (outcome.updated, outcome.unchanged) == (1, 2)
    assert not LoanImportDigest.objects.filter(loan__contract_no="HT-003").exists()
    checked.clear()
    again = handover_import(source=path, user=staff["head"])  # HT-003 has no digest: checked
    assert sorted(checked) == [2, 3, 4] and again.unchanged == 3


def test_a_repeated_contract_is_still_a_duplicate(tmp_path, staff):
    path = write_csv(tmp_path / "h.csv", rows())
    handover_import(source=path, user=staff["head"])
    twice = write_csv(tmp_path / "twice.csv", [*rows(), rows()[0]])

    outcome = handover_import(source=twice, user=staff["head"], dry_run=True)

    assert outcome.rejected_rows == {5}
    assert "重复" in outcome.errors[0].message


def test_another_importer_is_held_to_their_branch(tmp_path, staff):
    path = write_csv(tmp_path / "h.csv", rows())
    handover_import(source=path, user=staff["head"])
    entries = ModelLogEntry.objects.count()

    skipped = outcome_of(path, staff["manager"], skipping=True)

    assert skipped == outcome_of(path, staff["manager"], skipping=False)
    assert skipped[0]["rejected"] == 1  # HT-003 is Hangzhou's; the manager is Shanghai's
    assert ModelLogEntry.objects.count() == entries


def test_progress_is_reported_once_per_row_count_whether_rows_are_skipped_or_checked(
    tmp_path, staff, monkeypatch
):
    monkeypatch.setattr(importing, "UNCHANGED_BATCH", 2)
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 1)
    path = write_csv(tmp_path / "h.csv", rows())
    first = []
    handover_import(source=path, user=staff["head"], progress=lambda *args: first.append(args))
    again = []
    handover_import(source=path, user=staff["head"], progress=lambda *args: again.append(args))

    reading = [done for stage, done, _total in first if stage == "reading"]
    assert reading == [1, 2, 3, 3]  # the digest comparison of the first batch reported nothing
    assert [done for stage, done, _total in again if stage == "reading"] == [2, 3, 3]
    assert ("reading", 3, 3) in again  # the last report names the total, as when checked


@pytest.mark.parametrize("change", [_drop_collateral, _review_guarantee])
def test_a_change_after_the_first_rows_compared_makes_every_row_checked(
    tmp_path, staff, checked, monkeypatch, change
):
    """The first rows' cells alone are compared first, then the whole file with the docket:
    a change in the docket around a loan after the first rows is found as well."""
    monkeypatch.setattr(importing, "UNCHANGED_BATCH", 2)
    first_rows = [row("HT-010", 保证人="", 抵押物=""), row("HT-011", 保证人="", 抵押物="")]
    path = write_csv(tmp_path / "h.csv", [*first_rows, row("HT-001")])
    handover_import(source=path, user=staff["head"])
    checked.clear()
    assert handover_import(source=path, user=staff["head"], dry_run=True).unchanged == 3
    assert checked == []
    change()

    skipped = outcome_of(path, staff["head"], skipping=True)

    assert sorted(checked) == [2, 3, 4]
    assert skipped == outcome_of(path, staff["head"], skipping=False)


def test_a_file_whose_first_rows_changed_is_checked_without_comparing_the_docket(
    tmp_path, staff, checked, monkeypatch
):
    monkeypatch.setattr(importing, "UNCHANGED_BATCH", 2)
    handover_import(source=write_csv(tmp_path / "a.csv", rows()), user=staff["head"])
    changed = rows()
    changed[1][5] = "75000"  # HT-002's principal
    path = write_csv(tmp_path / "b.csv", changed)
    checked.clear()

    def not_compared(self, numbers):
        raise AssertionError("the docket state was compared")

    monkeypatch.setattr(importing._Plan, "_stored_states", not_compared)
    outcome = handover_import(source=path, user=staff["head"], dry_run=True)

    assert sorted(checked) == [2, 3, 4]
    assert (outcome.updated, outcome.unchanged) == (1, 2)
