"""`manage.py auction_plan FILE|-`: object in → object out, array in → array out, bad input → exit 2
(contract auction-plan.md, output and errors as deadline-calculator.md)."""

import json
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError

from recovery.models import HolidayYear

pytestmark = pytest.mark.django_db

CONTRACT_EXAMPLE = {
    "id": "flat",
    "property": "real_estate",
    "reference_price": "1000000.00",
    "first_starting_price": "700000.00",
    "first_auction_on": "2025-11-20",
    "failures": [{"round": 1, "on": "2025-11-21"}],
    "second_starting_price": "560000.00",
    "second_auction_on": "2025-12-18",
}
CONTRACT_ROUNDS = [
    {"round": 1, "min_starting_price": "700000.00", "starting_price": "700000.00", "notice_by": "2025-10-21"},
    {
        "round": 2,
        "min_starting_price": "560000.00",
        "starting_price": "560000.00",
        "latest_auction_on": "2025-12-21",
        "latest_auction_on_legal": "2025-12-22",
        "notice_by": "2025-12-03",
    },
]
MOVABLE = {"id": "car", "property": "movable", "reference_price": 200000, "first_auction_on": "2025-11-20"}


def run_command(tmp_path: Path, document) -> tuple[int, str, str]:
    """Run the command in-process on a file; returns (exit status, stdout, stderr)."""
    path = tmp_path / "input.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command("auction_plan", str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_contract_example(tmp_path):
    status, out, err = run_command(tmp_path, CONTRACT_EXAMPLE)
    assert (status, err) == (0, "")
    output = json.loads(out)
    assert list(output) == ["id", "rounds", "next", "problems", "steps"]
    assert output["id"] == "flat"
    assert output["rounds"] == CONTRACT_ROUNDS
    assert (output["next"], output["problems"]) == ("second_auction", [])
    assert output["steps"][0]["source"] == "网拍规定第10条"
    assert "网拍规定第26条" in out  # Chinese is written as such, not as \\u escapes


def test_a_plan_that_breaks_rules_is_computed_with_its_problems(tmp_path):
    document = dict(CONTRACT_EXAMPLE, second_starting_price="559999.99", second_auction_on="2025-12-23")
    status, out, _err = run_command(tmp_path, document)
    assert status == 0
    assert json.loads(out)["problems"] == ["second_starting_price", "second_auction_on"]


def test_array_in_array_out_same_order(tmp_path):
    sale = dict(
        CONTRACT_EXAMPLE,
        id="sold",
        failures=[{"round": 1, "on": "2025-11-21"}, {"round": 2, "on": "2025-12-18"}],
    )
    status, out, err = run_command(tmp_path, [MOVABLE, CONTRACT_EXAMPLE, sale])
    assert (status, err) == (0, "")
    output = json.loads(out)
    assert [item["id"] for item in output] == ["car", "flat", "sold"]
    assert [item["next"] for item in output] == ["first_auction", "second_auction", "sale"]
    assert output[0]["rounds"] == [
        {
            "round": 1,
            "min_starting_price": "140000.00",
            "starting_price": "140000.00",
            "notice_by": "2025-11-05",
        }
    ]


def test_empty_array_gives_empty_array(tmp_path):
    status, out, _err = run_command(tmp_path, [])
    assert (status, json.loads(out)) == (0, [])


def test_json_numbers_keep_their_exact_decimal_value(tmp_path):
    status, out, _err = run_command(tmp_path, '{"property": "movable", "reference_price": 1000000.01}')
    assert status == 0
    assert json.loads(out)["rounds"][0]["min_starting_price"] == "700000.01"


def test_bad_input_exits_2_with_one_line_per_problem(tmp_path):
    document = [
        MOVABLE,
        {
            "id": "bad",
            "property": "boat",
            "reference_price": "-1",
            "failures": [{"round": 3, "on": "2025-11-21"}],
        },
        dict(CONTRACT_EXAMPLE, id="early", failures=[{"round": 1, "on": "2025-11-19"}]),
        {"property": "movable", "reference_price": "100", "failures": [{"round": 2, "on": "2025-11-21"}]},
        "not an object",
    ]
    status, out, err = run_command(tmp_path, document)
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert [line.split(":", 2)[:2] for line in lines] == [
        ["input[1] (id 'bad')", " field 'property'"],
        ["input[1] (id 'bad')", " field 'reference_price'"],
        ["input[1] (id 'bad')", " field 'failures[0].round'"],
        ["input[2] (id 'early')", " field 'failures[0].on'"],
        ["input[3]", " field 'failures[0].round'"],
        ["input[4]", " expected a JSON object, got str"],
    ]
    assert "Traceback" not in err


def test_invalid_json_exits_2(tmp_path):
    status, out, err = run_command(tmp_path, "{not json")
    assert (status, out) == (2, "")
    assert err.startswith("input: not valid JSON")


def test_missing_file_exits_2(tmp_path):
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("auction_plan", str(tmp_path / "absent.json"), stdout=out, stderr=err)
    assert exited.value.code == 2 and out.getvalue() == ""
    assert err.getvalue().startswith("input: cannot read")


def test_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", StringIO(json.dumps(CONTRACT_EXAMPLE)))
    out = StringIO()
    call_command("auction_plan", "-", stdout=out, stderr=StringIO())
    assert json.loads(out.getvalue())["rounds"] == CONTRACT_ROUNDS


def test_bad_standard_input_exits_2(monkeypatch):
    monkeypatch.setattr(
        sys, "stdin", StringIO(json.dumps({"id": "x1", "property": "movable", "reference_price": "abc"}))
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("auction_plan", "-", stdout=out, stderr=err)
    assert (exited.value.code, out.getvalue()) == (2, "")
    assert err.getvalue().startswith("input[0] (id 'x1'): field 'reference_price': ")
    assert "'abc'" in err.getvalue()


def test_the_administrator_entered_rest_days_are_used(tmp_path):
    # 2025-12-22 declared a holiday: the deadline now rolls to Tuesday 2025-12-23.
    HolidayYear.objects.create(year=2025, notice="test notice", holidays="2025-12-22")
    status, out, _err = run_command(tmp_path, CONTRACT_EXAMPLE)
    assert status == 0
    assert json.loads(out)["rounds"][1]["latest_auction_on_legal"] == "2025-12-23"


def test_without_a_database_the_packaged_calendar_answers(tmp_path, monkeypatch):
    def unreadable():
        raise DatabaseError("connection refused\nsecond line")

    monkeypatch.setattr("assets.management.commands.auction_plan.deadline_calendar", unreadable)
    status, out, err = run_command(tmp_path, CONTRACT_EXAMPLE)
    assert status == 0
    assert json.loads(out)["rounds"] == CONTRACT_ROUNDS
    assert (
        err.strip()
        == "warning: holiday years not read from the database (connection refused); packaged calendar used"
    )


def test_an_amount_under_a_fen_written_with_a_huge_exponent_is_refused_at_once(tmp_path):
    status, _out, err = run_command(
        tmp_path, '{"id": "tiny", "property": "real_estate", "reference_price": 1e-99999999}'
    )
    assert status == 2 and "reference_price" in err
