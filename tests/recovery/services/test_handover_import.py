"""The hand-over import as a whole: matching, writing, re-importing, auditing, rolling back,
and the `import_handover` command's contract (exit codes, --json, --errors, --dry-run, --strict)."""

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook
from wagtail.models import ModelLogEntry

from recovery.models import (
    Branch,
    Case,
    CaseParty,
    Collateral,
    ImportRun,
    Loan,
    LoanParty,
    Party,
    PartyRole,
)
from recovery.services import RecoveryError
from recovery.services.cases import CASE_REASSIGNED, LOAN_UPDATED
from recovery.services.handover_import import IMPORTED_CODES, handover_import
from tests.recovery.handover import COMPANY_CODE, PERSON_ID, PERSON_ID_2, resident_id

HEADER = [
    "合同编号",
    "借款人",
    "证件号码",
    "手机号",
    "贷款金额",
    "本金余额",
    "利息余额",
    "放款日",
    "到期日",
    "最后还款日",
    "担保方式",
    "保证人",
    "抵押物",
    "移交日期",
    "承办人",
    "机构",
]
GUARANTOR_ID = resident_id("11010119700101001")


def row(contract_no="HT-001", **changes):
    values = {
        "合同编号": contract_no,
        "借款人": "张三",
        "证件号码": PERSON_ID,
        "手机号": "13800138000",
        "贷款金额": "¥100,000.00",
        "本金余额": "80000",
        "利息余额": "1200.50元",
        "放款日": "2023-05-26",
        "到期日": "2024/5/26",
        "最后还款日": "2024.1.5",
        "担保方式": "保证+抵押",
        "保证人": f"李四,{GUARANTOR_ID},连带",
        "抵押物": "上海市浦东新区XX路1号房产;沪A12345小客车",
        "移交日期": "2025年1月10日",
        "承办人": "",
        "机构": "上海分行",
    }
    values.update(changes)
    return [values[name] for name in HEADER]


def write_csv(path, rows, encoding="utf-8", header=HEADER):
    with open(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path, rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    workbook.save(path)
    return path


def run_command(*args):
    """Run import_handover; return (exit status, stdout)."""
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_handover", *map(str, args), stdout=out, stderr=io.StringIO())
    return exited.value.code, out.getvalue()


def docket_state():
    """Everything an import may write, for comparing before and after."""
    return {
        "branches": sorted(Branch.objects.values_list("name", flat=True)),
        "parties": sorted(Party.objects.values_list("id_number", "name", "phones", "address")),
        "cases": sorted(
            Case.objects.values_list("number", "debtor__id_number", "branch__name", "assignee_id")
        ),
        "loans": sorted(Loan.objects.values_list("contract_no", "amount", "principal_outstanding", "due_on")),
        "links": sorted(CaseParty.objects.values_list("case__number", "party__id_number", "role")),
        "loan_links": sorted(
            LoanParty.objects.values_list(
                "loan__contract_no", "case_party__party__id_number", "guarantee_type", "needs_review"
            )
        ),
        "collateral": sorted(Collateral.objects.values_list("loan__contract_no", "description")),
        "log": ModelLogEntry.objects.count(),
        "runs": ImportRun.objects.count(),
    }


# --- writing ------------------------------------------------------------------------------


def test_a_first_import_creates_debtor_case_loans_guarantors_and_collateral(tmp_path, staff):
    path = write_csv(
        tmp_path / "h.csv",
        [
            row("HT-001", 承办人="lawyer"),
            row("HT-002", 保证人="", 抵押物="", 担保方式="信用"),
            row("HT-003", 机构="杭州分行", 保证人="", 抵押物=""),
            row("HT-004", 借款人="某某科技有限公司", 证件号码=COMPANY_CODE, 保证人="", 手机号=""),
        ],
    )
    outcome = handover_import(source=path, user=staff["head"])

    assert outcome.as_json() | {"errors": []} == {
        "file": "h.csv",
        "rows": 4,
        "accepted": 4,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "cases_created": 3,
        "unknown_columns": [],
        "errors": [],
    }
    debtor = Party.objects.get(id_number=PERSON_ID)
    assert debtor.kind == "person" and debtor.name == "张三" and debtor.phones == "13800138000"
    assert Party.objects.get(id_number=COMPANY_CODE).kind == "company"
    shanghai = Case.objects.get(debtor=debtor, branch__name="上海分行")
    assert shanghai.assignee == staff["lawyer"]
    assert shanghai.opened_on == date(2025, 1, 10)
    assert sorted(shanghai.loans.values_list("contract_no", flat=True)) == ["HT-001", "HT-002"]
    assert Case.objects.get(debtor=debtor, branch__name="杭州分行").loans.get().contract_no == "HT-003"
    loan = Loan.objects.get(contract_no="HT-001")
    assert (loan.amount, loan.principal_outstanding, loan.interest_outstanding) == (
        Decimal("100000.00"),
        Decimal("80000.00"),
        Decimal("1200.50"),
    )
    assert (loan.disbursed_on, loan.due_on, loan.last_payment_on) == (
        date(2023, 5, 26),
        date(2024, 5, 26),
        date(2024, 1, 5),
    )
    assert loan.security_type_list == ["guarantee", "mortgage"]
    guarantor = CaseParty.objects.get(case=shanghai, role=PartyRole.GUARANTOR)
    assert guarantor.party.id_number == GUARANTOR_ID
    # The guarantee is on the row's loan: HT-002 names no guarantor.
    assert list(guarantor.loan_links.values_list("loan__contract_no", "guarantee_type")) == [
        ("HT-001", "joint")
    ]
    assert CaseParty.objects.filter(case=shanghai, role=PartyRole.BORROWER, party=debtor).exists()
    assert list(loan.collateral_items.values_list("description", flat=True)) == [
        "上海市浦东新区XX路1号房产",
        "沪A12345小客车",
    ]
    run = ImportRun.objects.get()
    assert run.summary["created"] == 4 and run.status == "done" and len(run.checksum) == 64
    # Every created record is audited as coming from this import.
    entries = ModelLogEntry.objects.filter(action__in=IMPORTED_CODES)
    assert {entry.data["source"] for entry in entries} == {f"import #{run.pk}"}
    assert entries.filter(object_id=str(loan.pk), content_type__model="loan").exists()
    assert all(entry.user == staff["head"] for entry in entries)


def test_reimporting_the_same_file_changes_nothing(tmp_path, staff):
    path = write_csv(tmp_path / "h.csv", [row("HT-001"), row("HT-002", 保证人="")])
    handover_import(source=path, user=staff["head"])
    before = docket_state()

    outcome = handover_import(source=path, user=staff["head"])

    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.cases_created) == (0, 0, 2, 0)
    after = docket_state()
    assert after.pop("runs") == before.pop("runs") + 1  # the import itself is on record
    assert after == before


def test_a_changed_amount_updates_the_loan_with_an_audit_entry_naming_the_import(tmp_path, staff):
    handover_import(source=write_csv(tmp_path / "a.csv", [row("HT-001"), row("HT-002")]), user=staff["head"])
    resent = write_csv(
        tmp_path / "b.csv", [row("HT-001", 本金余额="75,000", 到期日="2024-06-30"), row("HT-002")]
    )

    outcome = handover_import(source=resent, user=staff["manager"])

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 1)
    loan = Loan.objects.get(contract_no="HT-001")
    assert loan.principal_outstanding == Decimal("75000.00") and loan.due_on == date(2024, 6, 30)
    entry = ModelLogEntry.objects.get(action=LOAN_UPDATED, object_id=str(loan.pk), content_type__model="loan")
    assert entry.data["changes"] == {
        "principal_outstanding": ["80000.00", "75000.00"],
        "due_on": ["2024-05-26", "2024-06-30"],
    }
    assert entry.data["source"] == f"import #{outcome.run_id}"
    assert entry.data["case"] == loan.case_id
    assert entry.user == staff["manager"]


def test_a_changed_guarantee_type_and_new_contacts_count_as_updates(tmp_path, staff):
    handover_import(source=write_csv(tmp_path / "a.csv", [row()]), user=staff["head"])
    resent = write_csv(
        tmp_path / "b.csv", [row(保证人=f"李四,{GUARANTOR_ID},一般", 手机号="13800138000;13900139000")]
    )
    outcome = handover_import(source=resent, user=staff["head"])
    assert outcome.updated == 1
    assert LoanParty.objects.get(case_party__role=PartyRole.GUARANTOR).guarantee_type == "general"
    assert Party.objects.get(id_number=PERSON_ID).phones == "13800138000;13900139000"


def test_new_loans_join_the_debtors_open_case_at_that_branch(tmp_path, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    outcome = handover_import(
        source=write_csv(
            tmp_path / "h.csv", [row("HT-NEW", 证件号码=case.debtor.id_number, 借款人=case.debtor.name)]
        ),
        user=staff["manager"],
    )
    assert outcome.cases_created == 0
    assert Loan.objects.get(contract_no="HT-NEW").case == case
    assert Case.objects.count() == 1


def test_a_file_assignee_reassigns_an_existing_case(tmp_path, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    handover_import(
        source=write_csv(
            tmp_path / "h.csv",
            [row("HT-NEW", 证件号码=case.debtor.id_number, 承办人="other_lawyer@example.com", 保证人="")],
        ),
        user=staff["manager"],
    )
    case.refresh_from_db()
    assert case.assignee == staff["other_lawyer"]
    entry = ModelLogEntry.objects.get(
        action=CASE_REASSIGNED, object_id=str(case.pk), content_type__model="case"
    )
    assert entry.data["changes"] == {"assignee": ["lawyer", "other_lawyer"]}


def test_case_numbers_continue_the_years_sequence(tmp_path, staff, make_case):
    make_case()  # RD2024000001
    handover_import(
        source=write_csv(
            tmp_path / "h.csv",
            [row("A", 移交日期="2024-03-01"), row("B", 证件号码=PERSON_ID_2, 移交日期="2024-03-02")],
        ),
        user=staff["head"],
    )
    assert sorted(Case.objects.values_list("number", flat=True)) == [
        "RD2024000001",
        "RD2024000002",
        "RD2024000003",
    ]


# --- rejections only the database can make --------------------------------------------


@pytest.mark.parametrize(
    ("changes", "column", "reason"),
    [
        ({"承办人": "nobody"}, "承办人", "找不到用户"),
        ({"机构": "杭州分行"}, "机构", "只能导入本机构"),
        ({"保证人": f"张三,{PERSON_ID},连带"}, "保证人", "借款人不能同时是本笔贷款的保证人"),
    ],
)
def test_rows_the_database_refutes_are_rejected_with_a_reason(tmp_path, staff, changes, column, reason):
    path = write_csv(tmp_path / "h.csv", [row("OK-1"), row("BAD-1", **changes)])
    outcome = handover_import(source=path, user=staff["manager"])
    assert (outcome.created, outcome.rejected) == (1, 1)
    [error] = outcome.errors
    assert (error.row, error.column) == (3, column)
    assert reason in error.message and "（" in error.message
    assert not Loan.objects.filter(contract_no="BAD-1").exists()


def test_a_contract_number_already_held_by_another_debtor_is_rejected(tmp_path, staff, make_case):
    case = make_case()
    contract_no = case.loans.get().contract_no
    outcome = handover_import(source=write_csv(tmp_path / "h.csv", [row(contract_no)]), user=staff["head"])
    [error] = outcome.errors
    assert error.column == "证件号码" and "已登记在" in error.message
    assert case.loans.get().amount == Decimal("100000.00")


def test_the_same_contract_twice_in_a_file_rejects_the_second(tmp_path, staff):
    outcome = handover_import(
        source=write_csv(tmp_path / "h.csv", [row("HT-1"), row("HT-1")]), user=staff["head"]
    )
    assert (outcome.created, outcome.rejected) == (1, 1)
    assert outcome.errors[0].row == 3 and "第 2 行" in outcome.errors[0].message


def test_rows_without_a_branch_go_to_the_importers_branch_or_the_default(tmp_path, staff, settings):
    path = write_csv(tmp_path / "h.csv", [row("HT-1", 机构="")])
    handover_import(source=path, user=staff["manager"])
    assert Loan.objects.get().branch.name == "上海分行"
    settings.RECOVERY_DEFAULT_BRANCH = "总行"
    handover_import(source=write_csv(tmp_path / "i.csv", [row("HT-2", 机构="")]), user=None)
    assert Loan.objects.get(contract_no="HT-2").branch.name == "总行"


# --- who may import ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["lawyer", "auditor"])
def test_lawyers_and_auditors_cannot_import(tmp_path, staff, role):
    path = write_csv(tmp_path / "h.csv", [row()])
    with pytest.raises(RecoveryError):
        handover_import(source=path, user=staff[role])
    with pytest.raises(CommandError):
        call_command("import_handover", str(path), "--user", role)
    assert not Loan.objects.exists() and not ImportRun.objects.exists()


# --- all or nothing ---------------------------------------------------------------------


def fail_inserting_collateral(importing, failure):
    """Collateral is written after parties, cases, loans and links: fail there."""
    original = importing.bulk_insert

    def patched(objects):
        if objects and isinstance(objects[0], Collateral):
            raise failure
        return original(objects)

    return importing, "bulk_insert", patched


def fail_while_copying_an_audit_entry(importing, failure):
    """Audit entries are built while they are copied (by recovery.lib.audit.log_entry_row):
    fail on a collateral's entry, in the middle of a COPY; the failure itself (not a database
    error) must come back."""
    from recovery.lib import audit

    original = audit.snapshot

    def patched(instance):
        if isinstance(instance, Collateral):
            raise failure
        return original(instance)

    return audit, "snapshot", patched


@pytest.mark.parametrize("where", [fail_inserting_collateral, fail_while_copying_an_audit_entry])
@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_failure_deep_inside_the_write_leaves_the_database_as_it_was(
    tmp_path, staff, make_case, monkeypatch, failure, where
):
    make_case()
    handover_import(source=write_csv(tmp_path / "a.csv", [row("HT-1")]), user=staff["head"])
    before = docket_state()
    from recovery.services import handover_import as importing

    module, name, patched = where(importing, failure)
    monkeypatch.setattr(module, name, patched)
    resent = write_csv(
        tmp_path / "b.csv",
        [row("HT-1", 本金余额="1"), row("HT-2", 证件号码=PERSON_ID_2, 机构="新机构"), row("HT-3")],
    )
    with pytest.raises(type(failure)):
        handover_import(source=resent, user=staff["head"])
    monkeypatch.undo()

    assert docket_state() == before


# --- the command --------------------------------------------------------------------------


def test_command_json_summary_and_exit_codes(tmp_path, staff):
    good = write_csv(tmp_path / "good.csv", [row("HT-1"), row("HT-2")])
    code, out = run_command(good, "--json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["rows"], summary["created"], summary["errors"]) == (2, 2, [])

    mixed = write_xlsx(tmp_path / "mixed.xlsx", [row("HT-1"), row("HT-3", 本金余额="200000")])
    code, out = run_command(mixed, "--json")
    assert code == 3
    summary = json.loads(out)
    assert {key: summary[key] for key in ("rows", "accepted", "unchanged", "created", "rejected")} == {
        "rows": 2,
        "accepted": 1,
        "unchanged": 1,
        "created": 0,
        "rejected": 1,
    }
    assert summary["errors"][0]["row"] == 3 and summary["errors"][0]["column"] == "本金余额"


def test_command_dry_run_and_strict_write_nothing(tmp_path, staff):
    mixed = write_csv(tmp_path / "mixed.csv", [row("HT-1"), row("HT-2", 到期日="2020-01-01")])
    before = docket_state()
    code, out = run_command(mixed, "--dry-run", "--json")
    assert code == 3 and json.loads(out)["created"] == 1
    code, _out = run_command(mixed, "--strict")
    assert code == 3
    assert docket_state() == before
    code, _out = run_command(mixed)
    assert code == 3 and Loan.objects.filter(contract_no="HT-1").exists()


def test_command_errors_file_lists_every_problem(tmp_path, staff):
    path = write_csv(
        tmp_path / "h.csv", [row("HT-1", 贷款金额="abc", 放款日="05/06/2020"), row("HT-2", 证件号码="123")]
    )
    out_csv = tmp_path / "errors.csv"
    code, _out = run_command(path, "--errors", out_csv)
    assert code == 3
    with open(out_csv, encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    # The contract's four columns, then the rejected row's original cells.
    assert lines[0] == ["row", "column", "value", "message", *HEADER]
    assert [(line[0], line[1], line[2]) for line in lines[1:]] == [
        ("2", "贷款金额", "abc"),
        ("2", "放款日", "05/06/2020"),
        ("3", "证件号码", "123"),
    ]
    first, second = row("HT-1", 贷款金额="abc", 放款日="05/06/2020"), row("HT-2", 证件号码="123")
    assert [line[4:] for line in lines[1:]] == [first, first, second]


@pytest.mark.parametrize(
    ("make_file", "reason"),
    [
        (lambda tmp: tmp / "missing.csv", "找不到文件"),
        (lambda tmp: write_csv(tmp / "h.csv", [row()], header=HEADER[:-1][1:] + ["机构"]), "合同编号"),
        (lambda tmp: tmp.joinpath("h.xls").write_bytes(b"x") and tmp / "h.xls", ".xlsx"),
        (lambda tmp: tmp.joinpath("h.csv").write_bytes(b"") and tmp / "h.csv", ""),
    ],
)
def test_command_exits_2_on_an_unusable_file_and_writes_nothing(tmp_path, staff, make_file, reason):
    path = make_file(tmp_path)
    before = docket_state()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_handover", str(path), stdout=out, stderr=err)
    assert exited.value.code == 2
    assert reason in err.getvalue()
    assert docket_state() == before


# --- formats --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "utf-8", "utf-8-sig", "gb18030"])
def test_every_file_format_imports_to_the_same_docket(tmp_path, staff, kind):
    rows = [row("HT-1"), row("HT-2", 借款人="李雷", 证件号码=PERSON_ID_2, 保证人="")]
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "h.xlsx", rows)
    else:
        path = write_csv(tmp_path / "h.csv", rows, encoding=kind)
    outcome = handover_import(source=path, user=staff["head"])
    assert (outcome.created, outcome.rejected) == (2, 0)
    assert sorted(Party.objects.values_list("name", flat=True)) == ["张三", "李四", "李雷"]
    assert Collateral.objects.filter(description="上海市浦东新区XX路1号房产").count() == 2


@pytest.mark.parametrize(
    "written",
    ["2023-05-26", "2023/5/26", "2023.5.26", "20230526", "2023年5月26日", "二〇二三年五月二十六日", 45072],
)
def test_each_date_format_reaches_the_loan(tmp_path, staff, written):
    path = write_xlsx(tmp_path / "h.xlsx", [row(放款日=written)])
    handover_import(source=path, user=staff["head"])
    assert Loan.objects.get().disbursed_on == date(2023, 5, 26)


def test_excel_date_cells_reach_the_loan(tmp_path, staff):
    path = write_xlsx(tmp_path / "h.xlsx", [row(放款日=datetime(2023, 5, 26), 到期日=date(2024, 5, 26))])
    handover_import(source=path, user=staff["head"])
    assert (Loan.objects.get().disbursed_on, Loan.objects.get().due_on) == (
        date(2023, 5, 26),
        date(2024, 5, 26),
    )


# --- batching ----------------------------------------------------------------------------


def _file_of(tmp_path, count):
    rows = []
    for n in range(count):
        rows.append(
            row(
                f"HT-{n:05d}",
                借款人=f"借款人{n // 3}",
                证件号码=resident_id(f"310115198001{1 + (n // 3) // 1000:02d}{(n // 3) % 1000:03d}"),
                保证人=f"保证人{n},{resident_id(f'32010219750201{n % 1000:03d}')},一般" if n % 5 == 0 else "",
                承办人="lawyer" if n % 2 else "",
            )
        )
    return write_csv(tmp_path / f"h{count}.csv", rows)


def test_the_number_of_queries_does_not_grow_with_the_file(tmp_path, staff, monkeypatch):
    """Batched reads and writes: 300 rows cost (almost) the statements 30 rows do."""
    from recovery.services import cases as services

    # The import's own statements; the deadline recompute it triggers is measured on its own
    # (tests/recovery/test_docket_deadlines.py).
    monkeypatch.setattr(services, "_case_fact_listeners", [])
    counts = []
    for count in (30, 300):
        path = _file_of(tmp_path, count)
        with CaptureQueriesContext(connection) as first:
            handover_import(source=path, user=staff["head"])
        with CaptureQueriesContext(connection) as again:
            outcome = handover_import(source=path, user=staff["head"])
        assert outcome.unchanged == count
        counts.append((len(first), len(again)))
        Collateral.objects.all().delete()
        CaseParty.objects.all().delete()
        Loan.objects.all().delete()
        Case.objects.all().delete()
        Party.objects.all().delete()
    (small_first, small_again), (large_first, large_again) = counts
    assert small_again == large_again, counts
    # Writes are batched: ten times the rows adds only the statements the backend's batch
    # limits require (SQLite caps parameters per statement), never one per row.
    assert large_first - small_first < 270 // 10, counts
