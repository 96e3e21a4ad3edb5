"""The pure half of the docket's deadlines speaks the models' vocabulary by value: each constant
is the value recovery.models stores, so a spec's kind or role is what the row holds."""

import pytest

from recovery.deadlines import docket
from recovery.models import (
    DEMAND_KINDS,
    ActionKind,
    DeadlineKind,
    GuaranteeType,
    PartyRole,
    SecurityType,
)


@pytest.mark.parametrize(
    ("constant", "choice"),
    [
        (docket.BORROWER, PartyRole.BORROWER),
        (docket.CO_BORROWER, PartyRole.CO_BORROWER),
        (docket.GUARANTOR, PartyRole.GUARANTOR),
        (docket.MORTGAGOR, PartyRole.MORTGAGOR),
        (docket.JOINT_GUARANTEE, GuaranteeType.JOINT),
        (docket.MORTGAGE_SECURITY, SecurityType.MORTGAGE),
        (docket.LIMITATION, DeadlineKind.LIMITATION),
        (docket.GUARANTEE_PERIOD, DeadlineKind.GUARANTEE_PERIOD),
        (docket.GUARANTOR_LIMITATION, DeadlineKind.GUARANTOR_LIMITATION),
        (docket.MORTGAGE, DeadlineKind.MORTGAGE),
    ],
)
def test_each_constant_is_the_stored_value(constant, choice):
    assert constant == choice.value
    assert type(constant) is str


def test_demand_and_event_actions_are_the_models_kinds():
    assert docket.DEMAND_ACTIONS == {kind.value for kind in DEMAND_KINDS}
    assert set(docket._ACTION_EVENTS) <= set(ActionKind.values)
    assert docket._SELF_PROVING <= set(ActionKind.values)


def test_fingerprint_digests_a_choice_and_its_value_alike():
    values = dict.fromkeys(docket.STORED_FIELDS)
    as_choice = {**values, "kind": DeadlineKind.LIMITATION, "party_role": PartyRole.BORROWER}
    as_value = {**values, "kind": "limitation", "party_role": "borrower"}
    assert docket.fingerprint(as_choice) == docket.fingerprint(as_value)
    assert docket.fingerprint(as_value) != docket.fingerprint({**as_value, "kind": "mortgage"})
