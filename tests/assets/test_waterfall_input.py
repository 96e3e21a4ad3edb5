"""Bad JSON input to the waterfall: every problem is reported with the field that holds it."""

from decimal import Decimal

import pytest

from assets.waterfall import WaterfallInputError, waterfall_json

GOOD_CLAIM = {"creditor": "A", "kind": "seizure", "seized_on": "2024-05-06", "amount": "100.00"}


def good_input(**changes):
    item = {"debtor_type": "legal_person", "proceeds": "1000.00", "costs": "0", "claims": [dict(GOOD_CLAIM)]}
    item.update(changes)
    return {key: value for key, value in item.items() if value is not DROP}


def with_claim(**changes):
    claim = dict(GOOD_CLAIM)
    claim.update(changes)
    return good_input(claims=[{key: value for key, value in claim.items() if value is not DROP}])


DROP = object()

# Each row: the input, and the fields that must be named (in order).
BAD_INPUTS = {
    "debtor_type missing": (good_input(debtor_type=DROP), ["debtor_type"]),
    "debtor_type unknown": (good_input(debtor_type="company"), ["debtor_type"]),
    "debtor_type not a string": (good_input(debtor_type=["legal_person"]), ["debtor_type"]),
    "proceeds missing": (good_input(proceeds=DROP), ["proceeds"]),
    "proceeds negative": (good_input(proceeds="-1.00"), ["proceeds"]),
    "proceeds negative number": (good_input(proceeds=-5), ["proceeds"]),
    "proceeds not numeric": (good_input(proceeds="three million"), ["proceeds"]),
    "proceeds with thousands separators": (good_input(proceeds="3,000,000.00"), ["proceeds"]),
    "proceeds with three decimals": (good_input(proceeds="100.005"), ["proceeds"]),
    "proceeds as a number with three decimals": (good_input(proceeds=Decimal("100.005")), ["proceeds"]),
    "proceeds as a float with three decimals": (good_input(proceeds=100.005), ["proceeds"]),
    "proceeds null": (good_input(proceeds=None), ["proceeds"]),
    "proceeds boolean": (good_input(proceeds=True), ["proceeds"]),
    "proceeds NaN": (good_input(proceeds="NaN"), ["proceeds"]),
    "proceeds Infinity number": (good_input(proceeds=Decimal("Infinity")), ["proceeds"]),
    "proceeds absurdly large": (good_input(proceeds=Decimal("1E+999999")), ["proceeds"]),
    "proceeds an object": (good_input(proceeds={"yuan": 5}), ["proceeds"]),
    "costs negative": (good_input(costs="-0.01"), ["costs"]),
    "costs not numeric": (good_input(costs="abc"), ["costs"]),
    "claims missing": (good_input(claims=DROP), ["claims"]),
    "claims not a list": (good_input(claims={"A": 1}), ["claims"]),
    "claim not an object": (good_input(claims=["A"]), ["claims[0]"]),
    "claim kind missing": (with_claim(kind=DROP), ["claims[0].kind"]),
    "claim kind unknown": (with_claim(kind="lien"), ["claims[0].kind"]),
    "claim amount missing": (with_claim(amount=DROP), ["claims[0].amount"]),
    "claim amount negative": (with_claim(amount="-100.00"), ["claims[0].amount"]),
    "claim amount not numeric": (with_claim(amount="一百"), ["claims[0].amount"]),
    "claim amount with three decimals": (with_claim(amount="1.001"), ["claims[0].amount"]),
    "seized_on not ISO": (with_claim(seized_on="2024/05/06"), ["claims[0].seized_on"]),
    "seized_on impossible": (with_claim(seized_on="2024-02-30"), ["claims[0].seized_on"]),
    "seized_on compact ISO": (with_claim(seized_on="20240506"), ["claims[0].seized_on"]),
    "seized_on missing for an active seizure of a legal person": (
        with_claim(seized_on=DROP),
        ["claims[0].seized_on"],
    ),
    "registered_on not a date": (
        good_input(claims=[{"kind": "mortgage", "amount": "1", "registered_on": "yesterday"}]),
        ["claims[0].registered_on"],
    ),
    "registered_on on a seizure": (with_claim(registered_on="2020-01-01"), ["claims[0].registered_on"]),
    "seized_on on a mortgage": (
        good_input(claims=[{"kind": "mortgage", "amount": "1", "seized_on": "2020-01-01"}]),
        ["claims[0].seized_on"],
    ),
    "seized_on in year 9999": (with_claim(seized_on="9999-12-31"), ["claims[0].seized_on"]),
    "seized_on in year 1": (with_claim(seized_on="0001-01-01"), ["claims[0].seized_on"]),
    "registered_on before the supported range": (
        good_input(claims=[{"kind": "mortgage", "amount": "1", "registered_on": "1949-09-30"}]),
        ["claims[0].registered_on"],
    ),
    "proceeds with 5000 digits": (good_input(proceeds="9" * 5000), ["proceeds"]),
    "status unknown": (with_claim(status="expired"), ["claims[0].status"]),
    "status on a mortgage": (
        good_input(claims=[{"kind": "mortgage", "amount": "1", "status": "lapsed"}]),
        ["claims[0].status"],
    ),
    "creditor not a string": (with_claim(creditor=42), ["claims[0].creditor"]),
    "several problems at once": (
        good_input(
            debtor_type="x",
            proceeds="-1",
            claims=[dict(GOOD_CLAIM), {"kind": "bogus", "amount": "abc"}],
        ),
        ["debtor_type", "proceeds", "claims[1].kind", "claims[1].amount"],
    ),
}


@pytest.mark.parametrize("item,fields", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_names_each_field(item, fields):
    with pytest.raises(WaterfallInputError) as caught:
        waterfall_json(item)
    assert [field for field, _message in caught.value.problems] == fields


@pytest.mark.parametrize("item", [None, [], "text", 5])
def test_a_non_object_is_refused(item):
    with pytest.raises(WaterfallInputError):
        waterfall_json(item)


def test_messages_name_the_creditor_and_the_value():
    with pytest.raises(WaterfallInputError) as caught:
        waterfall_json(with_claim(creditor="B公司", amount="-5"))
    ((field, message),) = caught.value.problems
    assert field == "claims[0].amount"
    assert "negative" in message and "B公司" in message and "-5" in message


GOOD_VARIANTS = {
    "costs omitted": good_input(costs=DROP),
    "costs null": good_input(costs=None),
    "amount as an integer": with_claim(amount=100),
    "amount with trailing zeros beyond the fen": with_claim(amount="100.000"),
    "amount with one decimal": with_claim(amount="100.5"),
    "amount with surrounding spaces": with_claim(amount=" 100.00 "),
    "zero amount": with_claim(amount="0"),
    "minus zero amount": with_claim(amount="-0.00"),
    "zero proceeds": good_input(proceeds="0.00"),
    "status given as active": with_claim(status="active"),
    "status null means active": with_claim(status=None),
    "lapsed seizure without a date": with_claim(status="lapsed", seized_on=DROP),
    "natural person seizure without a date": {
        "debtor_type": "natural_person",
        "proceeds": "10",
        "claims": [{"kind": "seizure", "amount": "5"}],
    },
    "unregistered mortgage with registered_on null": good_input(
        claims=[{"kind": "mortgage", "amount": "5", "registered_on": None}]
    ),
    "extra keys are ignored": good_input(note="from the 2024 file", claims=[dict(GOOD_CLAIM, id="c-1")]),
    "claim without a creditor": with_claim(creditor=DROP),
    "empty claims": good_input(claims=[]),
}


@pytest.mark.parametrize("item", list(GOOD_VARIANTS.values()), ids=list(GOOD_VARIANTS))
def test_acceptable_variants(item):
    output = waterfall_json(item)
    assert set(output) >= {"costs_paid", "surplus", "allocations", "steps"}


def test_amount_is_echoed_with_two_places():
    output = waterfall_json(with_claim(amount="100.5"))
    assert output["allocations"][0]["amount"] == "100.50"


def test_minus_zero_is_written_as_zero():
    output = waterfall_json(with_claim(amount="-0"))
    assert output["allocations"][0]["amount"] == "0.00"


def test_dates_outside_the_range_name_the_range():
    with pytest.raises(WaterfallInputError) as caught:
        waterfall_json(with_claim(seized_on="2100-01-01"))
    [(field, message)] = caught.value.problems
    assert field == "claims[0].seized_on"
    assert "1949-10-01" in message and "2099-12-31" in message


def test_an_amount_under_a_fen_written_with_a_huge_exponent_is_refused_at_once():
    from decimal import Decimal

    from assets.waterfall import _decimal_to_fen

    with pytest.raises(ValueError, match="whole number of fen"):
        _decimal_to_fen(Decimal("1e-99999999"))
