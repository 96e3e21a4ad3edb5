"""Facts must be plausible before they move a date (issue #12 §3): nothing dated after today
counts, nothing happens before the loan was disbursed, a demand is addressed to a party of its
own case — whichever way the fact arrives (form, service, hand-over import)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from recovery.checks.dates import future_fact_error
from recovery.models import CollectionAction, Deadline, DeadlineKind, Loan
from recovery.services import RecoveryError
from recovery.services.cases import record_update
from recovery.services.collection import collection_action_record
from recovery.services.deadlines import deadlines_recompute
from recovery.services.handover_import import handover_import
from tests.recovery.admin.test_forms import ADD_ACTION, _action_form, _field_errors
from tests.recovery.services.test_handover_import import row, write_csv

TODAY = date(2026, 12, 2)


# --- the rule, as a pure function ----------------------------------------------------------


@pytest.mark.parametrize(
    "value, refused",
    [
        (None, False),
        (TODAY - timedelta(days=3650), False),
        (TODAY - timedelta(days=1), False),
        (TODAY, False),  # what happened today counts
        (TODAY + timedelta(days=1), True),
        (date(TODAY.year + 1, 3, 1), True),  # "a demand dated next year"
    ],
)
def test_a_fact_dated_after_today_is_refused(value, refused):
    with translation.override("en"):
        error = future_fact_error(value, TODAY)
    assert bool(error) is refused
    if refused:
        assert value.isoformat() in error and "a planned demand is not a delivered one" in error
        with translation.override("zh-hans"):
            assert "计划中的催收不是已送达的催收" in future_fact_error(value, TODAY)


@given(st.dates(min_value=date(1949, 10, 1), max_value=date(2099, 12, 31)))
def test_exactly_the_days_after_today_are_refused(value):
    assert (future_fact_error(value, TODAY) is not None) == (value > TODAY)


# --- collection actions ----------------------------------------------------------------------


def today():
    return timezone.localdate()


def demand(case, user, **fields):
    values = {"kind": "notice", "acted_on": date(2024, 3, 1)} | fields
    return collection_action_record(action=CollectionAction(case=case, **values), user=user)


def limitation_of(case):
    return Deadline.objects.get(case=case, kind=DeadlineKind.LIMITATION, party=case.debtor)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["acted_on", "delivered_on", "signed_on"])
def test_the_service_refuses_a_demand_dated_after_today(staff, make_case, field):
    case = make_case(assignee=staff["lawyer"])
    dates = {"acted_on": date(2024, 3, 1), "delivered_on": date(2024, 3, 4), "signed_on": date(2024, 3, 4)}
    dates[field] = today() + timedelta(days=1)
    if field == "acted_on":
        dates["delivered_on"] = dates["signed_on"] = dates["acted_on"]
    with pytest.raises(ValidationError) as refused:
        demand(case, staff["lawyer"], reached=True, tracking_number="EMS1", **dates)
    assert f"（{today()}）" in refused.value.message_dict[field][0]  # "…晚于今天（<today>）…"
    assert not CollectionAction.objects.exists()


@pytest.mark.django_db
def test_a_demand_dated_next_year_cannot_move_the_limitation(staff, make_case):
    case = make_case(assignee=staff["lawyer"])  # one loan due 2023-01-01
    deadlines_recompute(case_ids=[case.pk], today=date(2024, 6, 1))
    assert limitation_of(case).raw_end == date(2026, 1, 1)
    next_year = date(today().year + 1, 3, 1)
    with pytest.raises(ValidationError):
        demand(
            case,
            staff["lawyer"],
            acted_on=next_year,
            reached=True,
            delivered_on=next_year,
            signed_on=next_year,
        )
    # Before the fix the limitation ran from the "delivery" next year: to next year + 3.
    assert limitation_of(case).raw_end == date(2026, 1, 1)


@pytest.mark.django_db
def test_the_form_refuses_a_future_demand_on_the_field(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    client.force_login(staff["lawyer"])
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = client.post(reverse(ADD_ACTION), _action_form(case, acted_on=tomorrow, delivered_on=tomorrow))
    assert response.status_code == 200
    errors = _field_errors(response)
    assert tomorrow in errors["acted_on"][0] and "计划中的催收不是已送达的催收" in errors["acted_on"][0]
    assert not CollectionAction.objects.exists()


@pytest.mark.django_db
def test_a_repayment_before_the_loan_was_disbursed_is_refused(staff, make_case):
    case = make_case(assignee=staff["lawyer"])  # disbursed 2022-01-01
    with pytest.raises(ValidationError) as refused:
        demand(case, staff["lawyer"], kind="repayment", amount="100.00", acted_on=date(2021, 12, 31))
    assert "2022-01-01" in refused.value.message_dict["acted_on"][0]


@pytest.mark.django_db
def test_a_demand_to_the_debtor_of_another_case_is_refused_by_the_service(staff, make_case):
    case, other = make_case(assignee=staff["lawyer"]), make_case(assignee=staff["lawyer"])
    # Without a user (the import, the demo, a command) nothing scoped it before.
    with pytest.raises(ValidationError) as refused:
        demand(case, None, addressed_to=other.debtor)
    assert "addressed_to" in refused.value.message_dict
    assert not CollectionAction.objects.exists()


@pytest.mark.django_db
def test_a_demand_moved_to_another_case_cannot_keep_the_old_addressee(staff, make_case):
    case, other = make_case(assignee=staff["lawyer"]), make_case(assignee=staff["lawyer"])
    action = demand(case, staff["lawyer"], addressed_to=case.debtor)
    action.case = other  # the addressee, unchanged, is not a party of the new case
    with pytest.raises((ValidationError, RecoveryError)) as refused:
        record_update(instance=action, user=staff["lawyer"])
    error = refused.value
    assert "addressed_to" in (error.message_dict if isinstance(error, ValidationError) else {error.field})
    assert CollectionAction.objects.get().case_id == case.pk


@pytest.mark.django_db
def test_a_direct_post_addressed_to_another_cases_debtor_is_refused(client, staff, make_case):
    # A guard: the form's choices already refused this before the fix (recovery.selectors.access); the
    # service and model tests above are the ones that failed.
    case, other = make_case(assignee=staff["lawyer"]), make_case(assignee=staff["lawyer"])
    client.force_login(staff["lawyer"])
    response = client.post(reverse(ADD_ACTION), _action_form(case, addressed_to=other.debtor.pk))
    assert response.status_code == 200
    assert "addressed_to" in _field_errors(response)
    assert not CollectionAction.objects.exists()


@pytest.mark.django_db
def test_a_loan_edit_refuses_a_last_payment_after_today(staff, make_case):
    loan = make_case(assignee=staff["lawyer"]).loans.get()
    loan.last_payment_on = today() + timedelta(days=30)
    with pytest.raises(ValidationError) as refused:
        record_update(instance=loan, user=staff["lawyer"])
    assert "last_payment_on" in refused.value.message_dict
    assert Loan.objects.get(pk=loan.pk).last_payment_on is None


# --- the hand-over import --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["最后还款日", "放款日"])
def test_the_import_refuses_a_row_with_a_future_fact_naming_row_and_column(tmp_path, staff, column):
    future = (today() + timedelta(days=10)).isoformat()
    changes = {column: future}
    if column == "放款日":
        changes |= {"最后还款日": "", "到期日": (today() + timedelta(days=400)).isoformat()}
    path = write_csv(tmp_path / "h.csv", [row("OK-1"), row("BAD-1", **changes)])
    outcome = handover_import(source=path, user=staff["manager"])
    assert (outcome.created, outcome.rejected) == (1, 1)
    [error] = outcome.errors
    assert (error.row, error.column) == (3, column)
    assert "晚于今天" in error.message and "only what has happened counts" in error.message
    assert not Loan.objects.filter(contract_no="BAD-1").exists()
