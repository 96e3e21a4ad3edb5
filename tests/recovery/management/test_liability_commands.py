"""`manage.py spousal_debt` and `manage.py estate`: contracts spousal-debt.md and estate-liability.md."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ESTATE_EXAMPLE = {
    "id": "estate-example",
    "claimant": "我行",
    "taxes": "80000.00",
    "debts": [
        {"creditor": "我行", "amount": "1200000.00"},
        {"creditor": "某小贷公司", "amount": "300000.00"},
    ],
    "recipients": [
        {"name": "甲", "kind": "statutory_heir", "received": "500000.00"},
        {"name": "乙", "kind": "statutory_heir", "renounced": True},
        {"name": "丙", "kind": "statutory_heir", "received": "250000.00", "protected": "150000.00"},
        {"name": "丁", "kind": "testamentary_heir", "received": "600000.00"},
        {"name": "戊", "kind": "legatee", "received": "200000.00"},
    ],
}
SPOUSAL_EXAMPLE = {
    "id": "s1",
    "incurred_on": "2022-04-01",
    "amount": "2000000.00",
    "married_on": "2015-06-01",
}


def run(tmp_path: Path, command: str, document) -> tuple[int, str, str]:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command(command, str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_estate_contract_example(tmp_path):
    status, out, err = run(tmp_path, "estate", ESTATE_EXAMPLE)
    assert (status, err) == (0, "")
    output = json.loads(out)
    assert list(output) == ["id", "available", "taxes_paid", "recipients", "debts", "claimant", "steps"]
    assert (output["available"], output["taxes_paid"]) == ("1400000.00", "80000.00")
    assert [r["name"] for r in output["recipients"]] == ["甲", "乙", "丙", "丁", "戊"]
    claimant = output["claimant"]
    assert (claimant["recoverable"], claimant["shortfall"]) == ("1056000.00", "144000.00")
    assert "乙" not in [part["name"] for part in claimant["from"]]
    assert sum(float(part["amount"]) for part in claimant["from"]) == pytest.approx(1056000.00)


def test_spousal_contract_example_and_array(tmp_path):
    status, out, _ = run(
        tmp_path, "spousal_debt", [SPOUSAL_EXAMPLE, dict(SPOUSAL_EXAMPLE, id="s2", spouse_signed=True)]
    )
    assert status == 0
    first, second = json.loads(out)
    assert (first["classification"], first["basis"]) == ("needs_evidence", ["民法典第1064条第2款"])
    assert first["missing_evidence"]
    assert (second["id"], second["classification"]) == ("s2", "joint")


@pytest.mark.parametrize(
    ("command", "document", "field"),
    [
        ("spousal_debt", dict(SPOUSAL_EXAMPLE, divorced_on="2010-01-01"), "divorced_on"),
        ("spousal_debt", dict(SPOUSAL_EXAMPLE, amount="1.005"), "amount"),
        ("spousal_debt", dict(SPOUSAL_EXAMPLE, spouse_signed="yes"), "spouse_signed"),
        ("spousal_debt", {"id": "x", "amount": "1"}, "incurred_on"),
        ("estate", dict(ESTATE_EXAMPLE, claimant="他行"), "claimant"),
        (
            "estate",
            dict(
                ESTATE_EXAMPLE,
                recipients=[{"name": "甲", "kind": "statutory_heir", "renounced": True, "received": "1"}],
            ),
            "recipients[0].received",
        ),
        ("estate", dict(ESTATE_EXAMPLE, recipients=[{"name": "甲", "kind": "cousin"}]), "recipients[0].kind"),
        ("estate", dict(ESTATE_EXAMPLE, taxes="-1"), "taxes"),
    ],
)
def test_bad_input_exits_2_naming_the_field_and_writes_nothing(tmp_path, command, document, field):
    status, out, err = run(tmp_path, command, document)
    assert status == 2
    assert out == ""
    assert f"'{field}'" in err
    assert "Traceback" not in err
