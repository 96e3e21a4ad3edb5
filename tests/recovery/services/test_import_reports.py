"""Issue 12 §6: the import reports every problem of every row (what the docket refutes too,
beside the row's own problems), the error file carries each rejected row's original cells
beside its messages (inert, masked on the web as the values are), and the web preview shows
the first rows as they will be imported (masked)."""

import csv
import json
import re

import pytest
from django.utils.html import escape

from config.celery import app as celery_app
from recovery.models import ImportRun, ImportStatus, Loan
from recovery.selectors.access import mask_id_number, mask_phone
from recovery.services.handover_import import handover_import
from tests.recovery.admin.test_imports import login, person_id, upload, url
from tests.recovery.admin.test_imports import row as web_row
from tests.recovery.handover import resident_id, wrong_check
from tests.recovery.services.test_handover_import import HEADER, row, run_command, write_csv
from tests.recovery.services.test_import_hardening import personal_csv, personal_header, report_cells

GUARANTOR = resident_id("11010119700101001")
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


def columns_of(outcome, row_number):
    return [error.column for error in outcome.errors if error.row == row_number]


# --- every problem of a row --------------------------------------------------------------------


def test_an_unknown_assignee_is_reported_beside_a_bad_date(tmp_path, staff):
    path = write_csv(tmp_path / "h.csv", [row("OK-1"), row("BAD-1", 放款日="2023-02-30", 承办人="nobody")])
    outcome = handover_import(source=path, user=staff["manager"], dry_run=True)

    assert (outcome.created, outcome.rejected, outcome.error_total) == (1, 1, 2)
    assert columns_of(outcome, 3) == ["放款日", "承办人"]
    assert "找不到用户“nobody”" in outcome.errors[1].message


def test_a_row_with_three_problems_reports_three(tmp_path, staff):
    bad = row("BAD-1", 放款日="2023-02-30", 承办人="nobody", 机构="杭州分行")
    outcome = handover_import(source=write_csv(tmp_path / "h.csv", [bad]), user=staff["manager"])

    assert columns_of(outcome, 2) == ["放款日", "承办人", "机构"]
    assert outcome.rejected == 1 and not Loan.objects.exists()


def test_a_contract_of_another_debtor_at_another_branch_is_two_problems(tmp_path, staff, make_case):
    contract_no = make_case(branch="上海分行").loans.get().contract_no
    path = write_csv(tmp_path / "h.csv", [row(contract_no, 机构="杭州分行")])
    outcome = handover_import(source=path, user=staff["head"])

    assert columns_of(outcome, 2) == ["证件号码", "机构"]
    assert "已登记在" in outcome.errors[0].message and "已属于机构 上海分行" in outcome.errors[1].message


def test_the_first_problems_are_kept_with_a_total_that_counts_the_docket_checks(tmp_path, staff, settings):
    settings.HANDOVER_MAX_ERRORS = 3
    rows = [row(f"BAD-{n}", 放款日="2023-02-30", 承办人="nobody") for n in range(5)]
    outcome = handover_import(source=write_csv(tmp_path / "h.csv", rows), user=staff["head"], dry_run=True)

    assert (outcome.rejected, outcome.error_total) == (5, 10)
    assert [(error.row, error.column) for error in outcome.errors] == [
        (2, "放款日"),
        (2, "承办人"),
        (3, "放款日"),
    ]
    assert sorted(outcome.row_cells) == [2, 3]  # the cells of rows whose problems are kept


# --- the original row in the error file ----------------------------------------------------------


def test_the_command_error_file_carries_each_rejected_rows_original_cells(tmp_path, staff):
    formula_name = '=HYPERLINK("http://x","y")'
    rows = [
        row("OK-1"),
        row("BAD-1", 承办人="nobody"),  # refuted by the docket only
        row("BAD-2", 借款人=formula_name, 证件号码="123", 放款日="2023年2月30日"),
    ]
    path = write_csv(tmp_path / "h.csv", rows)
    out_csv = tmp_path / "errors.csv"
    code, out = run_command(path, "--errors", out_csv, "--json")

    assert code == 3
    # The summary keeps the contract's four keys per problem.
    assert {tuple(error) for error in json.loads(out)["errors"]} == {("row", "column", "value", "message")}
    with open(out_csv, encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["row", "column", "value", "message", *HEADER]
    by_row = {}
    for line in lines[1:]:
        by_row.setdefault(line[0], []).append(line)
    assert [line[1] for line in by_row["3"]] == ["承办人"]
    assert by_row["3"][0][4:] == rows[1]
    assert [line[1] for line in by_row["4"]] == ["借款人", "证件号码", "放款日"]
    inert = ["'" + formula_name if cell == formula_name else cell for cell in rows[2]]
    assert all(line[4:] == inert for line in by_row["4"])


def test_the_web_error_report_carries_the_original_row_masked_for_the_auditor(client, staff):
    bad_id = wrong_check(person_id(2))
    rows = [
        web_row(1) + [PHONE, ""],
        web_row(2, 证件号码=bad_id) + ["1391234567", f"李四,{GUARANTOR},连带"],
    ]
    login(client, staff["head"])
    upload(client, personal_csv(rows))
    run = ImportRun.objects.get()
    assert run.error_count == 2

    head_report = report_cells(client.get(url("errors", run.pk)).content)
    login(client, staff["auditor"])
    auditor_report = report_cells(client.get(url("errors", run.pk)).content)

    expected_columns = [name for name in personal_header() if name != "备注"]
    head_cells, auditor_cells = (
        original_cells(report, expected_columns) for report in (head_report, auditor_report)
    )
    for cells in head_cells:
        assert (cells["证件号码"], cells["手机号"]) == (bad_id, "1391234567")
        assert cells["保证人"] == f"李四,{GUARANTOR},连带"
        assert cells["合同编号"] == "HT-0002" and cells["借款人"] == "借款人2"
    for cells in auditor_cells:
        assert (cells["证件号码"], cells["手机号"]) == (mask_id_number(bad_id), mask_phone("1391234567"))
        assert cells["保证人"] == f"李四,{mask_id_number(GUARANTOR)},连带"
        assert cells["合同编号"] == "HT-0002" and cells["借款人"] == "借款人2"
    auditor_text = " ".join(str(cell.value) for line in auditor_report for cell in line)
    for secret in (bad_id, GUARANTOR, "1391234567"):
        assert secret not in auditor_text


def original_cells(report, expected_columns) -> list[dict]:
    """Each problem line's original cells by column, after checking the header names them."""
    header = [cell.value for cell in report[0]]
    assert header[4:] == expected_columns
    assert [line[0].value for line in report[1:]] == [3, 3]  # two problems of one row
    return [dict(zip(header[4:], (cell.value for cell in line[4:]), strict=True)) for line in report[1:]]


# --- the preview shows the rows ---------------------------------------------------------------


def test_the_preview_shows_the_rows_as_they_will_be_imported_masked_for_the_auditor(client, staff):
    handover_import(source=personal_csv([web_row(1) + ["", ""]]), file_name="earlier.csv", user=staff["head"])
    rows = [
        web_row(1, 本金余额="70000") + ["", ""],
        web_row(2, 放款日="2023/5/26", 贷款金额="¥100,000") + [PHONE, f"李四,{GUARANTOR},连带"],
        web_row(3, 证件号码="bad") + ["", ""],
    ]
    login(client, staff["head"])
    upload(client, personal_csv(rows))
    run = ImportRun.objects.get(file_name="移交清单.csv")
    assert run.status == ImportStatus.PREVIEWED

    page = client.get(url("run", run.pk)).content.decode()
    table = sample_table(page)
    assert [line[:2] for line in table] == [["2", "更新"], ["3", "新增"]]
    new = table[1]
    assert "HT-0002" in new and person_id(2) in new and PHONE in new
    assert "2023-05-26" in new and "100000.00" in new and escape(f"李四,{GUARANTOR},连带") in new
    assert "HT-0003" not in page.split('data-testid="import-sample"')[1].split("</table>")[0]

    login(client, staff["auditor"])
    page = client.get(url("run", run.pk)).content.decode()
    new = sample_table(page)[1]
    assert person_id(2) not in page and PHONE not in page and GUARANTOR not in page
    assert mask_id_number(person_id(2)) in new and mask_phone(PHONE) in new
    assert escape(f"李四,{mask_id_number(GUARANTOR)},连带") in new


def sample_table(page: str) -> list[list[str]]:
    """The preview table's body rows as lists of cell texts (escaped as on the page)."""
    table = page.split('data-testid="import-sample"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [re.findall(r"<td>(.*?)</td>", line) for line in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_a_checked_file_without_valid_rows_shows_no_preview_table(client, staff):
    login(client, staff["head"])
    upload(client, personal_csv([web_row(1, 证件号码="bad") + ["", ""]]))
    page = client.get(url("run", ImportRun.objects.get().pk)).content.decode()
    assert 'data-testid="import-sample"' not in page and 'data-testid="import-errors"' in page
