"""`manage.py interest FILE|-`: object in → object out, array in → array out, bad input → exit 2
(contract interest-calculator.md, output and errors as deadline-calculator.md)."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]

CONTRACT_SIMPLE = {
    "id": "loan",
    "kind": "simple",
    "principal": "350000.00",
    "annual_rate_percent": "7.2",
    "from": "2023-10-21",
    "to": "2024-10-21",
    "day_basis": 360,
    "changes": [
        {"on": "2024-03-15", "principal": "300000.00"},
        {"on": "2024-07-22", "annual_rate_percent": "6.9"},
    ],
}
CONTRACT_DELAY = {
    "id": "judgment",
    "kind": "delay",
    "base": "1200000.00",
    "period_end": "2023-12-31",
    "to": "2025-06-30",
    "payments": [{"on": "2024-05-20", "amount": "200000.00"}],
    "excluded": [{"from": "2024-04-01", "to": "2024-06-30"}],
}


def run_command(tmp_path: Path, document) -> tuple[int, str, str]:
    """Run the command in-process on a file; returns (exit status, stdout, stderr)."""
    path = tmp_path / "input.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command("interest", str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_contract_simple_example(tmp_path):
    status, out, err = run_command(tmp_path, CONTRACT_SIMPLE)
    assert (status, err) == (0, "")
    output = json.loads(out)
    assert list(output) == ["id", "kind", "rows", "total", "total_in_words", "steps"]
    assert (output["id"], output["kind"]) == ("loan", "simple")
    assert [
        (row["from"], row["to"], row["days"], row["base"], row["interest"]) for row in output["rows"]
    ] == [
        ("2023-10-21", "2024-03-15", 146, "350000.00", "10220.00"),
        ("2024-03-15", "2024-07-22", 129, "300000.00", "7740.00"),
        ("2024-07-22", "2024-10-21", 91, "300000.00", "5232.50"),
    ]
    assert (output["total"], output["total_in_words"]) == ("23192.50", "贰万叁仟壹佰玖拾贰元伍角整")
    assert "民法典第674条" in out  # Chinese is written as such, not as \\u escapes


def test_contract_delay_example(tmp_path):
    status, out, err = run_command(tmp_path, CONTRACT_DELAY)
    assert (status, err) == (0, "")
    output = json.loads(out)
    assert output["rows"] == [
        {
            "from": "2024-01-01",
            "to": "2024-03-31",
            "days": 91,
            "base": "1200000.00",
            "rate": "0.0175% per day",
            "interest": "19110.00",
        },
        {
            "from": "2024-07-01",
            "to": "2025-06-30",
            "days": 365,
            "base": "1000000.00",
            "rate": "0.0175% per day",
            "interest": "63875.00",
        },
    ]
    assert (output["total"], output["total_in_words"]) == ("82985.00", "捌万贰仟玖佰捌拾伍元整")
    assert all(set(step) == {"source", "text"} for step in output["steps"])


def test_array_in_array_out_same_order(tmp_path):
    no_exclusion = {key: value for key, value in CONTRACT_DELAY.items() if key != "excluded"}
    status, out, err = run_command(tmp_path, [CONTRACT_DELAY, CONTRACT_SIMPLE, no_exclusion])
    assert (status, err) == (0, "")
    output = json.loads(out)
    assert [item["id"] for item in output] == ["judgment", "loan", "judgment"]
    assert output[2]["rows"][0]["days"] == 141 and output[2]["rows"][0]["interest"] == "29610.00"
    status, out, err = run_command(tmp_path, [])
    assert (status, json.loads(out), err) == (0, [], "")


def test_numbers_are_read_exactly(tmp_path):
    # 100 × 1.8% / 360 = 0.005: a float rate 1.8 would not be exact, yet the half fen rounds up.
    item = {
        "kind": "simple",
        "principal": 100,
        "annual_rate_percent": 1.8,
        "from": "2024-01-01",
        "to": "2024-01-02",
    }
    status, out, _err = run_command(tmp_path, item)
    assert status == 0
    assert json.loads(out)["total"] == "0.01"


def test_bad_input_exits_2_naming_index_id_and_field(tmp_path):
    document = [
        CONTRACT_SIMPLE,
        {"id": "x", "kind": "compound"},
        dict(CONTRACT_SIMPLE, id="early", to="2023-10-20"),
        dict(CONTRACT_DELAY, id="late", payments=[{"on": "2025-07-01", "amount": "1.00"}]),
        dict(CONTRACT_DELAY, id="over", payments=[{"on": "2024-05-20", "amount": "1200000.01"}]),
        dict(CONTRACT_SIMPLE, id="change", changes=[{"on": "2023-10-20", "principal": "1.00"}]),
        {"kind": "delay", "base": "abc", "period_end": "2023-13-01", "to": "2024-01-01"},
        "not an object",
    ]
    status, out, err = run_command(tmp_path, document)
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert lines[0].startswith("input[1] (id 'x'): field 'kind':")
    assert lines[1].startswith("input[2] (id 'early'): field 'to':")
    assert lines[2].startswith("input[3] (id 'late'): field 'payments[0].on':")
    assert lines[3].startswith("input[4] (id 'over'): field 'payments[0].amount':")
    assert lines[4].startswith("input[5] (id 'change'): field 'changes[0].on':")
    assert lines[5].startswith("input[6]: field 'base':")
    assert lines[6].startswith("input[6]: field 'period_end':")
    assert lines[7].startswith("input[7]: expected a JSON object")
    assert len(lines) == 8
    assert "Traceback" not in err


def test_not_json_exits_2(tmp_path):
    status, out, err = run_command(tmp_path, "{not json")
    assert (status, out) == (2, "")
    assert err.startswith("input: not valid JSON")


def test_standard_input_in_a_subprocess_without_traceback():
    def run(text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "interest", "-"],
            input=text,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    good = run(json.dumps(CONTRACT_SIMPLE))
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["total"] == "23192.50"
    bad = run(
        json.dumps(
            {"kind": "simple", "principal": "-5", "annual_rate_percent": "7", "from": "x", "to": "2024-01-01"}
        )
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "field 'principal'" in bad.stderr and "field 'from'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_an_amount_under_a_fen_written_with_a_huge_exponent_is_refused_at_once(tmp_path):
    document = (
        '{"id": "tiny", "kind": "simple", "principal": 1e-99999999, "annual_rate_percent": "7.2",'
        ' "from": "2024-01-01", "to": "2024-02-01", "day_basis": 360}'
    )
    status, _out, err = run_command(tmp_path, document)
    assert status == 2 and "principal" in err
