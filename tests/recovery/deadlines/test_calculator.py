"""`manage.py deadline FILE|-` against the contract: array in, array out; bad input exits 2."""

import json
import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from recovery.deadlines.calculator import compute_from_json, today_in_shanghai

REPO = Path(__file__).resolve().parents[3]
CONTRACT_EXAMPLE = {
    "rule": "limitation",
    "trigger": "2021-03-15",
    "events": [{"type": "demand_delivered", "date": "2022-10-01"}],
}


def run_command(tmp_path: Path, document) -> tuple[int, str, str]:
    """Run the command in-process on a file; returns (exit status, stdout, stderr)."""
    path = tmp_path / "input.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command("deadline", str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_contract_example_on_stdin():
    completed = subprocess.run(
        [sys.executable, "manage.py", "deadline", "-"],
        input=json.dumps(CONTRACT_EXAMPLE),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    assert output["rule"] == "limitation"
    assert (output["raw_end"], output["legal_end"], output["safe_end"]) == (
        "2025-10-01",
        "2025-10-09",
        "2025-09-30",
    )
    assert output["calendar_provisional"] is False
    assert output["status"] in {"running", "expired"}
    assert all(set(step) == {"date", "source", "text"} for step in output["steps"])


def test_bad_input_on_stdin_exits_2_without_traceback():
    completed = subprocess.run(
        [sys.executable, "manage.py", "deadline", "-"],
        input=json.dumps([{"id": "x1", "rule": "nope", "trigger": "2021-03-15"}]),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "input[0] (id 'x1'): field 'rule': 未知的期间规则 'nope'（unknown rule 'nope';"
    )


def test_array_in_array_out_same_order(tmp_path):
    items = [
        {"id": "a", "rule": "appeal_judgment", "trigger": "2025-09-16", "as_of": "2025-09-20"},
        {"id": "b", "rule": "guarantee_period", "trigger": "2024-03-15", "months": 6, "as_of": "2025-01-01"},
        {"rule": "preservation_renewal", "trigger": "2025-10-14", "as_of": "2025-01-01"},
        {
            "id": "d",
            "rule": "limitation",
            "trigger": "2021-03-15",
            "events": [{"type": "suit_filed", "date": "2023-01-10"}],
        },
    ]
    status, out, err = run_command(tmp_path, items)
    assert status == 0, err
    output = json.loads(out)
    assert [item.get("id") for item in output] == ["a", "b", None, "d"]
    assert "id" not in output[2]
    assert [item["rule"] for item in output] == [item["rule"] for item in items]
    assert output[0]["legal_end"] == "2025-10-09" and output[0]["status"] == "running"
    assert output[1]["status"] == "expired"
    assert output[2]["legal_end"] == "2025-09-30"
    assert output[3]["raw_end"] is None and output[3]["status"] == "pending_proceedings"


def test_single_object_in_single_object_out(tmp_path):
    status, out, _ = run_command(tmp_path, CONTRACT_EXAMPLE)
    assert status == 0
    assert isinstance(json.loads(out), dict)


def test_empty_array(tmp_path):
    assert run_command(tmp_path, []) == (0, "[]\n", "")


BAD_INPUTS = [
    pytest.param({"trigger": "2021-03-15"}, ["field 'rule'"], id="missing rule"),
    pytest.param({"rule": "statute_of_frauds", "trigger": "2021-03-15"}, ["field 'rule'"], id="unknown rule"),
    pytest.param({"rule": "limitation"}, ["field 'trigger'"], id="missing trigger"),
    pytest.param({"rule": "limitation", "trigger": "15/03/2021"}, ["field 'trigger'"], id="non-ISO trigger"),
    pytest.param({"rule": "limitation", "trigger": "2021-02-30"}, ["field 'trigger'"], id="impossible date"),
    pytest.param({"rule": "limitation", "trigger": "20210315"}, ["field 'trigger'"], id="basic ISO form"),
    pytest.param({"rule": "limitation", "trigger": 20210315}, ["field 'trigger'"], id="number trigger"),
    pytest.param(
        {"rule": "limitation", "trigger": "2021-03-15", "events": {}}, ["field 'events'"], id="non-list"
    ),
    pytest.param(
        {"rule": "limitation", "trigger": "2021-03-15", "events": ["demand"]},
        ["field 'events[0]'"],
        id="not object",
    ),
    pytest.param(
        {
            "rule": "limitation",
            "trigger": "2021-03-15",
            "events": [{"type": "phone_call", "date": "2022-01-01"}],
        },
        ["field 'events[0].type'"],
        id="unknown event type",
    ),
    pytest.param(
        {
            "rule": "limitation",
            "trigger": "2021-03-15",
            "events": [{"type": "demand_delivered", "date": "2022/1/1"}],
        },
        ["field 'events[0].date'"],
        id="non-ISO event date",
    ),
    pytest.param(
        {"rule": "limitation", "trigger": "2021-03-15", "events": [{"type": "demand_delivered"}]},
        ["field 'events[0].date'"],
        id="missing event date",
    ),
    pytest.param(
        {"rule": "guarantee_period", "trigger": "2021-03-15", "months": 0}, ["field 'months'"], id="months 0"
    ),
    pytest.param(
        {"rule": "guarantee_period", "trigger": "2021-03-15", "months": "6"}, ["field 'months'"], id="str"
    ),
    pytest.param(
        {"rule": "guarantee_period", "trigger": "2021-03-15", "months": 1.5}, ["field 'months'"], id="float"
    ),
    pytest.param(
        {"rule": "guarantee_period", "trigger": "2021-03-15", "months": True}, ["field 'months'"], id="bool"
    ),
    pytest.param(
        {"rule": "limitation", "trigger": "2021-03-15", "as_of": "tomorrow"}, ["field 'as_of'"], id="as_of"
    ),
    pytest.param({"rule": "limitation", "trigger": "9999-12-31"}, ["field 'trigger'"], id="out of range"),
    pytest.param({"rule": "limitation", "trigger": "1949-09-30"}, ["field 'trigger'"], id="before the range"),
    pytest.param({"rule": "limitation", "trigger": "2100-01-01"}, ["field 'trigger'"], id="after the range"),
    pytest.param(
        {"rule": "limitation", "trigger": "2021-03-15", "as_of": "9999-12-31"},
        ["field 'as_of'"],
        id="as_of 9999",
    ),
    pytest.param(
        {
            "rule": "limitation",
            "trigger": "2021-03-15",
            "events": [{"type": "demand_delivered", "date": "0001-01-01"}],
        },
        ["field 'events[0].date'"],
        id="event in year 1",
    ),
    pytest.param(
        {"rule": "guarantee_period", "trigger": "2021-03-15", "months": 1_000_000_000},
        ["field 'months'"],
        id="a billion months",
    ),
    pytest.param(
        {"rule": "guarantee_period", "trigger": "2021-03-15", "months": 601},
        ["field 'months'"],
        id="months 601",
    ),
    pytest.param(
        {"rule": "x", "events": [{"type": "y", "date": "z"}]},
        ["field 'rule'", "field 'trigger'", "field 'events[0].type'", "field 'events[0].date'"],
        id="every problem reported",
    ),
]


@pytest.mark.parametrize(("item", "fields"), BAD_INPUTS)
def test_bad_input_exits_2_naming_index_and_field(tmp_path, item, fields):
    good = {"rule": "appeal_ruling", "trigger": "2025-01-20"}
    status, out, err = run_command(tmp_path, [good, {"id": "bad-1", **item}])
    assert status == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == len(fields)
    for line, field in zip(lines, fields, strict=True):
        assert line.startswith("input[1] (id 'bad-1'): ") and field in line


def test_non_object_and_invalid_json(tmp_path):
    status, out, err = run_command(tmp_path, [1, "x"])
    assert status == 2 and out == ""
    assert err.strip().splitlines() == [
        "input[0]: expected a JSON object, got int",
        "input[1]: expected a JSON object, got str",
    ]
    status, out, err = run_command(tmp_path, "{not json")
    assert status == 2 and out == "" and err.startswith("input: not valid JSON")


def test_as_of_defaults_to_today_in_shanghai():
    item = {"rule": "appeal_ruling", "trigger": "2025-01-20"}
    assert compute_from_json(item, today=date(2025, 2, 5))["status"] == "running"
    assert compute_from_json(item, today=date(2025, 2, 6))["status"] == "expired"
    assert abs((today_in_shanghai() - date.today()).days) <= 1


def test_a_5000_digit_integer_is_reported_on_its_field(tmp_path):
    document = '[{"rule": "guarantee_period", "trigger": "2021-03-15", "months": ' + "9" * 5000 + "}]"
    status, out, err = run_command(tmp_path, document)
    assert (status, out) == (2, "")
    [line] = err.strip().splitlines()
    assert line.startswith("input[0]: field 'months': ") and "5000" in line


def test_deep_nesting_exits_2_with_one_line(tmp_path):
    for document in ("[" * 2000 + "]" * 2000, '{"a":' * 5000 + "1" + "}" * 5000, "[" * 100_000):
        status, out, err = run_command(tmp_path, document)
        assert (status, out) == (2, "")
        [line] = err.strip().splitlines()
        assert line.startswith("input: ") and "20" in line


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    item = {"id": "[" * 5000 + '"{', "rule": "appeal_ruling", "trigger": "2025-01-20"}
    status, out, err = run_command(tmp_path, item)
    assert (status, err) == (0, "")
    assert json.loads(out)["id"] == item["id"]


def test_a_guarantee_at_the_end_of_the_range_is_computed_past_it(tmp_path):
    item = {"rule": "guarantee_period", "trigger": "2099-12-31", "months": 600, "as_of": "2025-01-01"}
    status, out, err = run_command(tmp_path, item)
    assert (status, err) == (0, "")
    output = json.loads(out)
    assert output["raw_end"] == "2149-12-31" and output["calendar_provisional"] is True


def test_a_traceback_never_reaches_stderr_on_stdin():
    completed = subprocess.run(
        [sys.executable, "manage.py", "deadline", "-"],
        input='{"rule": "guarantee_period", "trigger": "2021-03-15", "months": ' + "9" * 5000 + "}",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == "" and "Traceback" not in completed.stderr
    assert completed.stderr.strip().splitlines()[0].startswith("input[0]: field 'months': ")


def test_a_lone_surrogate_is_reported_not_printed(tmp_path):
    # Lone surrogates are valid JSON escapes but not text: echoing one could not be encoded.
    document = (
        '[{"rule": "appeal_ruling", "trigger": "2025-01-20", '
        '"events": [{"type": "x\\udfff", "date": "2025-01-21"}]}, '
        '{"id": "\\ud800", "rule": "appeal_ruling", "trigger": "2025-01-20"}]'
    )
    status, out, err = run_command(tmp_path, document)
    assert (status, out) == (2, "")
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all("surrogate" in line for line in lines)
    assert lines[0].startswith("input[0]: field 'events[0].type': ")
    assert lines[1].startswith("input[1]: field 'id': ")


def test_an_escaped_surrogate_pair_is_ordinary_text(tmp_path):
    document = '{"id": "\\ud83d\\ude00", "rule": "appeal_ruling", "trigger": "2025-01-20"}'
    status, out, err = run_command(tmp_path, document)
    assert (status, err) == (0, "")
    assert json.loads(out)["id"] == "\U0001f600"
