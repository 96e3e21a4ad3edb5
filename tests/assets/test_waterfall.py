"""The distribution waterfall rules, one table row per rule (contract: waterfall-calculator.md)."""

from datetime import date
from decimal import Decimal

import pytest

from assets.waterfall import (
    Claim,
    ClaimKind,
    DebtorType,
    SeizureStatus,
    distribute,
    split_pro_rata,
    waterfall_json,
)

LEGAL = "legal_person"
NATURAL = "natural_person"


def mortgage(creditor, amount, registered_on=None, kind="mortgage"):
    claim = {"creditor": creditor, "kind": kind, "amount": amount}
    if registered_on:
        claim["registered_on"] = registered_on
    return claim


def seizure(creditor, amount, seized_on, status=None):
    claim = {"creditor": creditor, "kind": "seizure", "seized_on": seized_on, "amount": amount}
    if status:
        claim["status"] = status
    return claim


def priority(creditor, amount):
    return {"creditor": creditor, "kind": "priority", "amount": amount}


def title_only(creditor, amount):
    return {"creditor": creditor, "kind": "title_only", "amount": amount}


# Each row: debtor type, proceeds, costs, claims, then the expected allocations in paying order
# as (creditor, rank, paid), costs_paid and surplus.
RULE_CASES = {
    "costs are paid first": (
        LEGAL, "1000.00", "100.00",
        [mortgage("A", "2000.00", "2020-01-01")],
        [("A", 1, "900.00")], "100.00", "0.00",
    ),
    "costs exceeding proceeds take everything": (
        LEGAL, "100.00", "150.00",
        [priority("D", "50.00"), mortgage("A", "50.00", "2020-01-01")],
        [("D", 1, "0.00"), ("A", 2, "0.00")], "100.00", "0.00",
    ),
    "costs default to zero": (
        LEGAL, "100.00", None,
        [priority("D", "40.00")],
        [("D", 1, "40.00")], "0.00", "60.00",
    ),
    "priority claims come first and share pro rata": (
        LEGAL, "300.00", "0",
        [mortgage("A", "100.00", "2010-01-01"), priority("D1", "200.00"), priority("D2", "400.00")],
        [("D1", 1, "100.00"), ("D2", 1, "200.00"), ("A", 2, "0.00")], "0.00", "0.00",
    ),
    "registered security interests rank by registration date": (
        LEGAL, "700.00", "0",
        [mortgage("Later", "500.00", "2020-03-01"), mortgage("Earlier", "500.00", "2019-03-01")],
        [("Earlier", 1, "500.00"), ("Later", 2, "200.00")], "0.00", "0.00",
    ),
    "mortgage and pledge rank together by date": (
        LEGAL, "150.00", "0",
        [mortgage("M", "100.00", "2021-01-01"), mortgage("P", "100.00", "2020-01-01", kind="pledge")],
        [("P", 1, "100.00"), ("M", 2, "50.00")], "0.00", "0.00",
    ),
    "security interests registered on the same date share pro rata": (
        LEGAL, "600.00", "0",
        [mortgage("A", "300.00", "2020-01-01"), mortgage("B", "600.00", "2020-01-01")],
        [("A", 1, "200.00"), ("B", 1, "400.00")], "0.00", "0.00",
    ),
    "unregistered security interests come after registered ones, pro rata": (
        LEGAL, "300.00", "0",
        [mortgage("U1", "100.00"), mortgage("R", "100.00", "2022-01-01"), mortgage("U2", "300.00")],
        [("R", 1, "100.00"), ("U1", 2, "50.00"), ("U2", 2, "150.00")], "0.00", "0.00",
    ),
    "security interests come before seizures": (
        LEGAL, "500.00", "0",
        [seizure("S", "500.00", "2018-01-01"), mortgage("A", "400.00", "2024-01-01")],
        [("A", 1, "400.00"), ("S", 2, "100.00")], "0.00", "0.00",
    ),
    "legal person: seizures rank by seizure date": (
        LEGAL, "600.00", "0",
        [seizure("S2", "500.00", "2024-07-01"), seizure("S1", "500.00", "2024-05-06")],
        [("S1", 1, "500.00"), ("S2", 2, "100.00")], "0.00", "0.00",
    ),
    "legal person: seizures on the same day share pro rata": (
        LEGAL, "200.00", "0",
        [seizure("S1", "100.00", "2024-05-06"), seizure("S2", "300.00", "2024-05-06")],
        [("S1", 1, "50.00"), ("S2", 1, "150.00")], "0.00", "0.00",
    ),
    "legal person: title_only gets nothing, has no rank and comes last": (
        LEGAL, "1000.00", "0",
        [title_only("T", "100.00"), seizure("S", "100.00", "2024-05-06")],
        [("S", 1, "100.00"), ("T", None, "0.00")], "0.00", "900.00",
    ),
    "legal person: lifted and lapsed seizures are treated as title_only": (
        LEGAL, "400.00", "0",
        [
            seizure("Lapsed", "500.00", "2023-01-01", "lapsed"),
            seizure("Lifted", "500.00", "2023-02-01", "lifted"),
            seizure("Active", "500.00", "2024-01-01", "active"),
        ],
        [("Active", 1, "400.00"), ("Lapsed", None, "0.00"), ("Lifted", None, "0.00")], "0.00", "0.00",
    ),
    "legal person: a waiting seizure moves up when the first one lapses": (
        LEGAL, "500.00", "0",
        [seizure("First", "500.00", "2024-05-06", "lapsed"), seizure("Waiting", "500.00", "2024-07-01")],
        [("Waiting", 1, "500.00"), ("First", None, "0.00")], "0.00", "0.00",
    ),
    "natural person: all ordinary creditors share pro rata": (
        NATURAL, "250.00", "0",
        [
            seizure("First", "100.00", "2024-01-01"),
            title_only("T", "300.00"),
            seizure("Later", "100.00", "2024-06-01"),
        ],
        [("First", 1, "50.00"), ("T", 1, "150.00"), ("Later", 1, "50.00")], "0.00", "0.00",
    ),
    "natural person: lifted and lapsed seizures still share as title_only": (
        NATURAL, "300.00", "10.00",
        [
            priority("D", "90.00"),
            seizure("Lapsed", "100.00", "2023-01-01", "lapsed"),
            seizure("Lifted", "100.00", None, "lifted"),
            seizure("Active", "200.00", "2024-01-01"),
        ],
        [("D", 1, "90.00"), ("Lapsed", 2, "50.00"), ("Lifted", 2, "50.00"), ("Active", 2, "100.00")],
        "10.00", "0.00",
    ),
    "natural person: ordinary creditors come after security interests": (
        NATURAL, "1000.00", "0",
        [title_only("T", "900.00"), mortgage("A", "800.00", "2019-05-01")],
        [("A", 1, "800.00"), ("T", 2, "200.00")], "0.00", "0.00",
    ),
    "no creditor receives more than its amount; the rest is surplus": (
        LEGAL, "10000.00", "100.00",
        [priority("D", "100.00"), mortgage("A", "200.00", "2019-01-01"),
         seizure("S", "300.00", "2024-01-01")],
        [("D", 1, "100.00"), ("A", 2, "200.00"), ("S", 3, "300.00")], "100.00", "9300.00",
    ),
    "no proceeds at all": (
        LEGAL, "0", "0",
        [mortgage("A", "200.00", "2019-01-01")],
        [("A", 1, "0.00")], "0.00", "0.00",
    ),
    "no claims: everything after costs is surplus": (
        NATURAL, "500.00", "20.00",
        [],
        [], "20.00", "480.00",
    ),
    "later tiers get nothing once the proceeds are used up, but keep their rank": (
        LEGAL, "100.00", "0",
        [mortgage("A", "100.00", "2019-01-01"), seizure("S1", "50.00", "2024-01-01"),
         seizure("S2", "5.00", "2024-02-01")],
        [("A", 1, "100.00"), ("S1", 2, "0.00"), ("S2", 3, "0.00")], "0.00", "0.00",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    "debtor_type,proceeds,costs,claims,expected,costs_paid,surplus",
    list(RULE_CASES.values()),
    ids=list(RULE_CASES),
)
def test_rules(debtor_type, proceeds, costs, claims, expected, costs_paid, surplus):
    item = {"debtor_type": debtor_type, "proceeds": proceeds, "claims": claims}
    if costs is not None:
        item["costs"] = costs
    output = waterfall_json(item)
    got = [
        (allocation["creditor"], allocation["rank"], allocation["paid"])
        for allocation in output["allocations"]
    ]
    assert got == expected
    assert (output["costs_paid"], output["surplus"]) == (costs_paid, surplus)


# Pro-rata rounding: floor to the fen, leftover fen to the largest remainders, ties in input order.
ROUNDING_CASES = {
    "three equal shares: the first claim gets the odd fen": (
        "100.00",
        ["100.00"] * 3,
        ["33.34", "33.33", "33.33"],
    ),
    "one fen among three equal claims goes to the first": ("0.01", ["5.00"] * 3, ["0.01", "0.00", "0.00"]),
    "two fen among three equal claims go to the first two": ("0.02", ["5.00"] * 3, ["0.01", "0.01", "0.00"]),
    "the largest remainder wins, not the largest claim": (
        "1.00",
        ["1.00", "2.00", "4.00"],
        ["0.14", "0.29", "0.57"],
    ),
    "six leftover fen among equal remainders go to the first six": (
        "10.00",
        ["3.00"] * 7,  # 1000 fen / 7 = 142.857… each: 994 fen floored, 6 left over
        ["1.43", "1.43", "1.43", "1.43", "1.43", "1.43", "1.42"],
    ),
    "a zero claim gets nothing, even a leftover fen": (
        "0.01",
        ["0.00", "1.00", "1.00"],
        ["0.00", "0.01", "0.00"],
    ),
    "large amounts stay exact": (
        "99999999999.99",
        ["33333333333.33", "66666666666.67", "1.00"],
        ["33333333332.99", "66666666666.00", "1.00"],
    ),
}


@pytest.mark.parametrize("proceeds,amounts,expected", list(ROUNDING_CASES.values()), ids=list(ROUNDING_CASES))
def test_pro_rata_rounding(proceeds, amounts, expected):
    claims = [seizure(f"S{number}", amount, "2024-05-06") for number, amount in enumerate(amounts)]
    output = waterfall_json({"debtor_type": LEGAL, "proceeds": proceeds, "claims": claims})
    paid = [allocation["paid"] for allocation in output["allocations"]]
    assert paid == expected
    assert sum(Decimal(amount) for amount in paid) == min(Decimal(proceeds), sum(map(Decimal, amounts)))


def test_large_amounts_split_exactly_for_a_natural_person():
    # 9,999,999,999,999 fen × 6,666,666,666,667 / 10,000,000,000,100 is beyond float precision.
    output = waterfall_json(
        {
            "debtor_type": NATURAL,
            "proceeds": "99999999999.99",
            "claims": [
                title_only("A", "33333333333.33"),
                title_only("B", "66666666666.67"),
                title_only("C", "1.00"),
            ],
        }
    )
    paid = [allocation["paid"] for allocation in output["allocations"]]
    assert paid == ["33333333332.99", "66666666666.00", "1.00"]


@pytest.mark.parametrize(
    "available,amounts,expected",
    [
        (0, [1, 2], [0, 0]),
        (5, [1, 2], [1, 2]),
        (3, [], []),
        (1, [1, 1, 1], [1, 0, 0]),
        (2, [3, 3, 3], [1, 1, 0]),
        (100, [0, 0], [0, 0]),
        (7, [10, 20, 40], [1, 2, 4]),
    ],
)
def test_split_pro_rata_in_fen(available, amounts, expected):
    assert split_pro_rata(available, amounts) == expected


CONTRACT_EXAMPLE = {
    "id": "contract-example",
    "debtor_type": "legal_person",
    "proceeds": "3000000.00",
    "costs": "50000.00",
    "claims": [
        {"creditor": "A银行", "kind": "mortgage", "registered_on": "2019-05-01", "amount": "1200000.00"},
        {"creditor": "B公司", "kind": "seizure", "seized_on": "2024-05-06", "amount": "800000.00"},
        {
            "creditor": "C",
            "kind": "seizure",
            "seized_on": "2024-07-01",
            "amount": "500000.00",
            "status": "lapsed",
        },
        {"creditor": "D", "kind": "priority", "amount": "100000.00"},
        {"creditor": "E", "kind": "title_only", "amount": "300000.00"},
    ],
}


def test_contract_example():
    output = waterfall_json(CONTRACT_EXAMPLE)
    assert list(output) == ["id", "costs_paid", "surplus", "allocations", "steps"]
    assert output["id"] == "contract-example"
    assert output["costs_paid"] == "50000.00"
    assert output["surplus"] == "850000.00"
    keys = ["creditor", "kind", "rank", "amount", "paid", "shortfall"]
    assert all(list(allocation) == keys for allocation in output["allocations"])
    assert [tuple(allocation.values()) for allocation in output["allocations"]] == [
        ("D", "priority", 1, "100000.00", "100000.00", "0.00"),
        ("A银行", "mortgage", 2, "1200000.00", "1200000.00", "0.00"),
        ("B公司", "seizure", 3, "800000.00", "800000.00", "0.00"),
        ("C", "seizure", None, "500000.00", "0.00", "500000.00"),
        ("E", "title_only", None, "300000.00", "0.00", "300000.00"),
    ]
    sources = [step["source"] for step in output["steps"]]
    assert all(set(step) == {"source", "text"} for step in output["steps"])
    assert sources == [
        "民诉法解释第514条",  # costs first
        "民法典第807条",  # D, the priority
        "民法典第414条",  # A's registered mortgage
        "执行工作规定第55条",  # B's seizure
        "查扣冻规定第27条",  # C's seizure lapsed
        "民诉法解释第514条",  # C and E take nothing
        "执行工作规定第34条",  # surplus back to the debtor
    ]
    assert "850,000.00元" in output["steps"][-1]["text"]


def test_the_law_md_example_building_sale():
    # law.md §4.5: costs → C's mortgage → A's first seizure → B's waiting seizure.
    output = waterfall_json(
        {
            "debtor_type": LEGAL,
            "proceeds": "10000000.00",
            "costs": "100000.00",
            "claims": [
                seizure("Bank A", "4000000.00", "2024-05-06"),
                seizure("B", "3000000.00", "2024-07-01"),
                mortgage("Bank C", "5000000.00", "2018-01-01"),
            ],
        }
    )
    assert [(a["creditor"], a["rank"], a["paid"]) for a in output["allocations"]] == [
        ("Bank C", 1, "5000000.00"),
        ("Bank A", 2, "4000000.00"),
        ("B", 3, "900000.00"),
    ]


def test_output_without_id_has_no_id_key():
    output = waterfall_json({"debtor_type": LEGAL, "proceeds": 10, "claims": []})
    assert "id" not in output
    assert output["surplus"] == "10.00"


def test_numbers_are_accepted_as_well_as_strings():
    output = waterfall_json(
        {"debtor_type": NATURAL, "proceeds": 1000, "costs": Decimal("0.5"), "claims": [title_only("T", 2000)]}
    )
    assert output["allocations"][0]["paid"] == "999.50"
    assert output["allocations"][0]["amount"] == "2000.00"
    assert output["allocations"][0]["shortfall"] == "1000.50"


def test_float_numbers_are_read_by_their_decimal_text():
    # A caller that parsed JSON without parse_float=Decimal still gets exact fen.
    output = waterfall_json({"debtor_type": NATURAL, "proceeds": 0.3, "claims": [title_only("T", 0.1)]})
    assert (output["allocations"][0]["paid"], output["surplus"]) == ("0.10", "0.20")


def test_pure_function_with_dataclasses():
    claims = [
        Claim(
            kind=ClaimKind.SEIZURE,
            amount=Decimal("100"),
            creditor="S",
            seized_on=date(2024, 1, 1),
            reference=7,
        ),
        Claim(kind=ClaimKind.TITLE_ONLY, amount=Decimal("50.5"), creditor="T"),
        Claim(kind=ClaimKind.MORTGAGE, amount=Decimal("30.00"), creditor="M", registered_on=date(2020, 1, 1)),
    ]
    result = distribute(debtor_type=DebtorType.LEGAL_PERSON, proceeds=Decimal("120"), claims=claims)
    assert [(a.claim.creditor, a.rank, a.paid) for a in result.allocations] == [
        ("M", 1, Decimal("30.00")),
        ("S", 2, Decimal("90.00")),
        ("T", None, Decimal("0.00")),
    ]
    assert result.allocations[1].claim.reference == 7
    assert result.allocations[1].shortfall == Decimal("10.00")
    assert result.allocations[2].shortfall == Decimal("50.50")
    assert (result.costs_paid, result.surplus) == (Decimal("0.00"), Decimal("0.00"))
    assert all(a.paid.as_tuple().exponent == -2 for a in result.allocations)
    # Frozen: results cannot be changed by accident.
    with pytest.raises(AttributeError):
        result.allocations[0].paid = Decimal(0)  # type: ignore[misc]


def test_pure_function_accepts_debtor_type_as_text():
    result = distribute(debtor_type="natural_person", proceeds=Decimal("1.00"), claims=[])
    assert result.surplus == Decimal("1.00")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"proceeds": Decimal("-1")},
        {"proceeds": Decimal("1.001")},
        {"proceeds": Decimal("NaN")},
        {"proceeds": Decimal("Infinity")},
        {"proceeds": Decimal("1E+30")},
        {"costs": Decimal("-0.01")},
        {"claims": [Claim(kind=ClaimKind.TITLE_ONLY, amount=Decimal("-5"))]},
        {"claims": [Claim(kind=ClaimKind.SEIZURE, amount=Decimal("5"))]},  # legal person, no seized_on
        {"debtor_type": "company"},
    ],
)
def test_pure_function_refuses_bad_facts(kwargs):
    arguments = {"debtor_type": DebtorType.LEGAL_PERSON, "proceeds": Decimal("10"), "claims": []} | kwargs
    with pytest.raises(ValueError):
        distribute(**arguments)


def test_seizure_status_enum_default_is_active():
    claim = Claim(kind=ClaimKind.SEIZURE, amount=Decimal("1"), seized_on=date(2024, 1, 1))
    assert claim.status is SeizureStatus.ACTIVE
    assert claim.ranks_as_seizure


def test_steps_explain_pro_rata_and_shortfall_in_chinese():
    output = waterfall_json(
        {
            "debtor_type": NATURAL,
            "proceeds": "100.00",
            "claims": [title_only("甲", "100.00"), seizure("乙", "100.00", "2024-01-01")],
        }
    )
    (step,) = output["steps"]
    assert step["source"] == "民诉法解释第508条"
    assert "按债权比例" in step["text"] and "甲、乙" in step["text"]


def test_unregistered_mortgage_next_to_a_seizure_carries_a_caution():
    output = waterfall_json(
        {
            "debtor_type": LEGAL,
            "proceeds": "100.00",
            "claims": [mortgage("U", "50.00"), seizure("S", "100.00", "2024-01-01")],
        }
    )
    assert "担保解释第54条" in output["steps"][0]["text"]


def test_claims_built_from_plain_strings_behave_like_enums():
    # What a view gets from model fields: TextChoices values as str, DecimalField as Decimal.
    claims = [
        Claim(kind="seizure", amount="100.00", creditor="S", seized_on=date(2024, 1, 1), status="lapsed"),
        Claim(kind="seizure", amount=50, creditor="W", seized_on=date(2024, 2, 1), status="active"),
        Claim(kind="mortgage", amount=Decimal("10.00"), creditor="M", registered_on=date(2019, 1, 1)),
    ]
    assert claims[0].kind is ClaimKind.SEIZURE and claims[0].status is SeizureStatus.LAPSED
    result = distribute(debtor_type="legal_person", proceeds="100", costs=0, claims=claims)
    assert [(a.claim.creditor, a.rank, a.paid) for a in result.allocations] == [
        ("M", 1, Decimal("10.00")),
        ("W", 2, Decimal("50.00")),
        ("S", None, Decimal("0.00")),
    ]


@pytest.mark.parametrize("bad_kind", ["lien", None])
def test_claim_refuses_an_unknown_kind(bad_kind):
    with pytest.raises(ValueError):
        Claim(kind=bad_kind, amount=Decimal(1))


@pytest.mark.parametrize("amount,error", [(0.1, TypeError), (True, TypeError), ("abc", ValueError)])
def test_claim_refuses_floats_and_non_numbers(amount, error):
    with pytest.raises(error):
        Claim(kind=ClaimKind.TITLE_ONLY, amount=amount)
