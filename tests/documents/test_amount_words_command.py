"""`manage.py amount_in_words FILE|-`: an array of amounts in, an array of capitals out, bad input →
exit 2 with one line per problem naming its index (contract amount-in-words.md; exit status and
errors as deadline-calculator.md)."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command

REPO = Path(__file__).resolve().parents[2]

CONTRACT_INPUT = ["0", "0.05", "0.5", "10.5", "1001", "60036000.5", "1234567890.12"]
CONTRACT_OUTPUT = [
    "零元整",
    "伍分",
    "伍角整",
    "壹拾元零伍角整",
    "壹仟零壹元整",
    "陆仟零叁万陆仟元零伍角整",
    "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零壹角贰分",
]


def run_command(tmp_path: Path, document) -> tuple[int, str, str]:
    """Run the command in-process on a file; returns (exit status, stdout, stderr)."""
    path = tmp_path / "amounts.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command("amount_in_words", str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def run_on_stdin(text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "amount_in_words", "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_contract_example(tmp_path):
    status, out, err = run_command(tmp_path, CONTRACT_INPUT)
    assert (status, err) == (0, "")
    assert json.loads(out) == CONTRACT_OUTPUT
    assert "伍分" in out  # written as UTF-8 text, not \u escapes


def test_json_numbers_are_read_exactly(tmp_path):
    # 0.1 and 1234567890.12 as JSON numbers would drift through a binary float.
    status, out, err = run_command(
        tmp_path, "[0, 0.05, 0.1, 10.50, 1001, 1234567890.12, 1e3, 9999999999999999.99]"
    )
    assert (status, err) == (0, "")
    assert json.loads(out) == [
        "零元整",
        "伍分",
        "壹角整",
        "壹拾元零伍角整",
        "壹仟零壹元整",
        "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零壹角贰分",
        "壹仟元整",
        "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
    ]


def test_empty_array_gives_empty_array(tmp_path):
    assert run_command(tmp_path, []) == (0, "[]\n", "")


def test_one_amount_in_one_string_out(tmp_path):
    # As the other calculators mirror one object with one object.
    assert run_command(tmp_path, "100.05") == (0, '"壹佰元零伍分"\n', "")


def test_bad_input_exits_2_with_one_line_per_problem_naming_its_index(tmp_path):
    document = (
        '["1", -1, "2.675", 2.675, 1e16, "10000000000000000", "abc", null, true, {"a": 1}, "12", "0.001"]'
    )
    status, out, err = run_command(tmp_path, document)
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        f"input[{index}]" for index in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11)
    ]
    assert "a negative amount: -1" in lines[0]
    assert "more than two decimal places: 2.675" in lines[1]
    assert "more than two decimal places: 2.675" in lines[2]  # the JSON number, never rounded
    assert "too large" in lines[3]
    assert "too large" in lines[4]
    assert all("not an amount" in line for line in lines[5:9])
    assert "not an amount: null" in lines[6]
    assert "more than two decimal places: 0.001" in lines[9]


def test_invalid_json_exits_2(tmp_path):
    status, out, err = run_command(tmp_path, '["1", ')
    assert (status, out) == (2, "")
    assert err.startswith("input: not valid JSON")


def test_unreadable_file_exits_2(tmp_path):
    out, err = StringIO(), StringIO()
    try:
        call_command("amount_in_words", str(tmp_path / "missing.json"), stdout=out, stderr=err)
    except SystemExit as exc:
        status = exc.code
    assert (status, out.getvalue()) == (2, "")
    assert err.getvalue().startswith("input: cannot read")


def test_extreme_numbers_exit_2_with_one_line(tmp_path):
    status, out, err = run_command(tmp_path, "[1" + "0" * 40 + ", 1e-999999999, 1e999999999]")
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("input[0]: ") and "41" in lines[0]
    assert lines[1].startswith("input[1]: ") and "more than two decimal places" in lines[1]
    assert lines[2].startswith("input[2]: ") and "too large" in lines[2]


def test_stdin_contract_example():
    completed = run_on_stdin(json.dumps(CONTRACT_INPUT))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == CONTRACT_OUTPUT


def test_stdin_bad_input_exits_2_without_traceback():
    completed = run_on_stdin('["100", "-5.00", "1.234", "x"]')
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "Traceback" not in completed.stderr
    assert completed.stderr.splitlines() == [
        "input[1]: 金额为负数：-5.00（a negative amount: -5.00）",
        "input[2]: 金额超过两位小数：1.234，不作舍入"
        "（more than two decimal places: 1.234; amounts are never rounded）",
        "input[3]: 不是金额：'x'，应为数字或 \"1234.50\" 这样的文本"
        "（not an amount: 'x'; expected a number or a string such as \"1234.50\"）",
    ]


def test_deep_nesting_on_stdin_exits_2_without_traceback():
    completed = run_on_stdin("[" * 5000 + "]" * 5000)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.startswith("input: ")
