"""`manage.py waterfall FILE|-`: object in → object out, array in → array out, bad input → exit 2."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from tests.assets.test_waterfall import CONTRACT_EXAMPLE

REPO = Path(__file__).resolve().parents[2]
SMALL = {"id": "small", "debtor_type": "natural_person", "proceeds": 100, "claims": []}


def run_command(tmp_path: Path, document) -> tuple[int, str, str]:
    """Run the command in-process on a file; returns (exit status, stdout, stderr)."""
    path = tmp_path / "input.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command("waterfall", str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_one_object_in_one_object_out(tmp_path):
    status, out, err = run_command(tmp_path, CONTRACT_EXAMPLE)
    assert (status, err) == (0, "")
    output = json.loads(out)
    assert output["id"] == "contract-example"
    assert (output["costs_paid"], output["surplus"]) == ("50000.00", "850000.00")
    assert [allocation["rank"] for allocation in output["allocations"]] == [1, 2, 3, None, None]
    assert "执行工作规定第55条" in out  # Chinese is written as such, not as \\u escapes


def test_array_in_array_out_same_order(tmp_path):
    status, out, _err = run_command(tmp_path, [SMALL, CONTRACT_EXAMPLE, dict(SMALL, id="last")])
    assert status == 0
    output = json.loads(out)
    assert [item["id"] for item in output] == ["small", "contract-example", "last"]


def test_empty_array_gives_empty_array(tmp_path):
    status, out, _err = run_command(tmp_path, [])
    assert (status, json.loads(out)) == (0, [])


def test_json_numbers_keep_their_exact_decimal_value(tmp_path):
    # 0.1 + 0.2 as binary floats would be 0.30000000000000004.
    text = (
        '{"debtor_type": "natural_person", "proceeds": 0.30, '
        '"claims": [{"kind": "title_only", "amount": 0.1}]}'
    )
    status, out, _err = run_command(tmp_path, text)
    assert status == 0
    assert json.loads(out)["surplus"] == "0.20"


def test_more_than_two_decimal_places_as_a_json_number_is_refused(tmp_path):
    text = '{"debtor_type": "natural_person", "proceeds": 1.0000000000000000001, "claims": []}'
    status, out, err = run_command(tmp_path, text)
    assert (status, out) == (2, "")
    assert "field 'proceeds'" in err and "decimal places" in err


def test_bad_input_exits_2_with_one_line_per_problem(tmp_path):
    document = [
        SMALL,
        {
            "id": "bad",
            "debtor_type": "company",
            "proceeds": "-1",
            "claims": [{"kind": "lien", "amount": "1"}],
        },
        "not an object",
    ]
    status, out, err = run_command(tmp_path, document)
    assert (status, out) == (2, "")
    assert err.splitlines() == [
        "input[1] (id 'bad'): field 'debtor_type': unknown debtor type 'company'; "
        "expected one of legal_person, natural_person",
        "input[1] (id 'bad'): field 'proceeds': must not be negative, got '-1'",
        "input[1] (id 'bad'): field 'claims[0].kind': unknown kind 'lien'; "
        "expected one of priority, mortgage, pledge, seizure, title_only",
        "input[2]: expected a JSON object, got str",
    ]


def test_invalid_json_exits_2(tmp_path):
    status, out, err = run_command(tmp_path, "{not json")
    assert (status, out) == (2, "")
    assert err.startswith("input: not valid JSON")


def test_stdin_contract_example():
    completed = subprocess.run(
        [sys.executable, "manage.py", "waterfall", "-"],
        input=json.dumps(CONTRACT_EXAMPLE),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["allocations"][0]["creditor"] == "D"


def test_stdin_bad_input_exits_2_without_traceback():
    completed = subprocess.run(
        [sys.executable, "manage.py", "waterfall", "-"],
        input=json.dumps([{"id": "x1", "debtor_type": "legal_person", "proceeds": "abc", "claims": []}]),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip() == (
        "input[0] (id 'x1'): field 'proceeds': must be an amount in yuan, "
        "a string such as \"1200000.00\" or a number, got 'abc'"
    )


EXTREME = [
    ("[" * 2000 + "]" * 2000, ["input: "]),
    (
        '{"debtor_type": "legal_person", "proceeds": ' + "9" * 5000 + ', "claims": []}',
        ["input[0]: field 'proceeds': ", "5000"],
    ),
    (
        '[{"debtor_type": "legal_person", "proceeds": 1' + "0" * 5000 + '.5, "claims": []}]',
        ["input[0]: field 'proceeds': "],
    ),
    (
        json.dumps(
            {
                "debtor_type": "legal_person",
                "proceeds": "100",
                "claims": [{"kind": "seizure", "seized_on": "9999-12-31", "amount": "1"}],
            }
        ),
        ["input[0]: field 'claims[0].seized_on': ", "2099-12-31"],
    ),
]


def test_extreme_input_exits_2_with_one_line_and_no_traceback(tmp_path):
    for document, fragments in EXTREME:
        status, out, err = run_command(tmp_path, document)
        assert (status, out) == (2, ""), err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err
        for fragment in fragments:
            assert fragment in lines[0]


def test_deep_nesting_on_stdin_exits_2_without_traceback():
    completed = subprocess.run(
        [sys.executable, "manage.py", "waterfall", "-"],
        input="[" * 100_000,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == "" and "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
