"""Extreme input never gives a 500 or a traceback: dates outside the supported range, huge
integers, deep nesting and oversized API bodies are refused with a message naming the field.

The model tests walk every model of the product's apps, so a new DateField or integer field
without its bounds fails here; the admin test walks every registered add form."""

import base64
import json
import time
from datetime import date

import pytest
from django.apps import apps
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.fields import PositiveIntegerRelDbTypeMixin
from django.test import Client
from django.urls import reverse
from wagtail.snippets.models import get_snippet_models

from recovery.checks.dates import LATEST_SUPPORTED_DATE
from recovery.deadlines import compute_deadline
from recovery.deadlines.periods import UnsupportedDate, add_days, add_months, add_years
from recovery.lib.validators import validate_supported_date
from recovery.models import CaseParty, CollectionAction, Deadline, LoanParty, Role
from recovery.services.deadlines import deadlines_recompute

PRODUCT_APPS = {"recovery", "litigation", "assets", "documents"}
API = "/api/deadlines/compute"
OUT_OF_RANGE_DATES = ["9999-12-31", "0001-01-01", "2100-01-01"]
HUGE = "1000000000"


def product_fields(kind):
    for model in apps.get_models():
        if model._meta.app_label not in PRODUCT_APPS:
            continue
        for field in model._meta.get_fields():
            if isinstance(field, kind) and not isinstance(field, models.DateTimeField):
                yield model, field


# --- the models carry the bounds -------------------------------------------------------------


def test_every_date_field_refuses_dates_outside_the_supported_range():
    fields = list(product_fields(models.DateField))
    assert len(fields) > 30  # the walk found the product's models
    missing = [f"{m._meta.label}.{f.name}" for m, f in fields if validate_supported_date not in f.validators]
    assert missing == []


def test_every_integer_field_has_a_lower_and_an_upper_bound():
    fields = [(m, f) for m, f in product_fields(models.IntegerField) if not f.primary_key]
    assert len(fields) > 5
    unbounded = []
    for model, field in fields:
        # The declared validators, not the database's own range (SQLite has none).
        declared = field._validators
        if not any(isinstance(v, MaxValueValidator) for v in declared):
            unbounded.append(f"{model._meta.label}.{field.name} (no upper bound)")
        if not isinstance(field, PositiveIntegerRelDbTypeMixin) and not any(
            isinstance(v, MinValueValidator) for v in declared
        ):
            unbounded.append(f"{model._meta.label}.{field.name} (no lower bound)")
    assert unbounded == []


def test_guarantee_months_are_bounded_to_fifty_years():
    field = LoanParty._meta.get_field("guarantee_months")
    limits = {type(v): v.limit_value for v in field._validators}
    assert limits[MinValueValidator] == 1 and limits[MaxValueValidator] == 600


# --- the engine never overflows ---------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_years(date(9999, 12, 31), 3),
        lambda: add_years(date(1, 1, 1), -1),
        lambda: add_months(date(9999, 12, 31), 1),
        lambda: add_months(date(2024, 1, 31), 1_000_000_000),
        lambda: add_months(date(1, 1, 1), -1),
        lambda: add_days(date(9999, 12, 31), 1),
        lambda: add_days(date(1, 1, 1), -7),
    ],
)
def test_period_arithmetic_past_the_calendar_raises_a_domain_error(call):
    with pytest.raises(UnsupportedDate):
        call()


@pytest.mark.parametrize(
    ("rule", "trigger", "months"),
    [
        ("limitation", date(9999, 12, 31), None),
        ("preservation_renewal", date(9999, 12, 31), None),
        ("preservation_expiry", date(1, 1, 1), None),
        ("guarantee_period", date(2024, 1, 1), 1_000_000_000),
        ("guarantee_period", date(2024, 1, 1), 0),
    ],
)
def test_the_engine_refuses_inputs_outside_the_supported_range(rule, trigger, months):
    with pytest.raises(UnsupportedDate):
        compute_deadline(rule, trigger, (), as_of=date(2025, 1, 1), months=months)


def test_results_past_the_range_are_computed_and_flagged_provisional():
    result = compute_deadline("limitation_20_years", LATEST_SUPPORTED_DATE, (), as_of=date(2025, 1, 1))
    assert result.raw_end == date(2119, 12, 31)
    assert result.calendar_provisional
    assert any("2099" in step.text and step.source == "系统日期范围" for step in result.steps)
    result = compute_deadline(
        "guarantee_period", LATEST_SUPPORTED_DATE, (), as_of=date(2025, 1, 1), months=600
    )
    assert result.raw_end == date(2149, 12, 31)


# --- the HTTP API ------------------------------------------------------------------------------


@pytest.fixture
def api(staff):
    client = Client()
    token = base64.b64encode(b"lawyer:pw-lawyer").decode()
    client.defaults["HTTP_AUTHORIZATION"] = f"Basic {token}"
    return client


def post(client, body, **extra):
    return client.post(API, data=body, content_type="application/json", **extra)


def errors_of(response):
    assert response["Content-Type"].startswith("application/json")
    return response.json()["errors"]


GOOD = {"rule": "limitation", "trigger": "2021-03-15"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        pytest.param("[" * 2000 + "]" * 2000, ["input", "nest"], id="deep-array"),
        pytest.param('{"a":' * 2000 + "1" + "}" * 2000, ["input", "nest"], id="deep-object"),
        pytest.param(
            '[{"rule": "guarantee_period", "trigger": "2021-03-15", "months": ' + "9" * 5000 + "}]",
            ["input[0]", "'months'", "5000 digits"],
            id="5000-digit-integer",
        ),
        pytest.param(
            json.dumps([GOOD, {"rule": "guarantee_period", "trigger": "2021-03-15", "months": 10**9}]),
            ["input[1]", "'months'", "600"],
            id="a-billion-months",
        ),
        pytest.param(
            json.dumps(
                {
                    "rule": "limitation",
                    "trigger": "2021-03-15",
                    "events": [{"type": "demand_delivered", "date": "0001-01-01"}],
                }
            ),
            ["input[0]", "'events[0].date'", "1949-10-01"],
            id="event-in-year-1",
        ),
        pytest.param(
            json.dumps({"rule": "limitation", "trigger": "9999-12-31"}),
            ["input[0]", "'trigger'", "2099-12-31"],
            id="trigger-9999",
        ),
        pytest.param(
            json.dumps({"rule": "limitation", "trigger": "2021-03-15", "as_of": "9999-12-31"}),
            ["input[0]", "'as_of'"],
            id="as-of-9999",
        ),
        pytest.param(
            json.dumps({"id": int("9" * 40), **GOOD}), ["input[0]", "'id'", "40 digits"], id="huge-id"
        ),
        pytest.param(
            '{"id": "\\ud800", "rule": "appeal_ruling", "trigger": "2025-01-20"}',
            ["input[0]", "'id'", "surrogate"],
            id="lone-surrogate",
        ),
    ],
)
def test_the_api_answers_400_naming_input_and_field(api, body, fragments):
    response = post(api, body)
    assert response.status_code == 400
    text = " ".join(errors_of(response))
    for fragment in fragments:
        assert fragment in text


@pytest.mark.django_db
def test_a_10_mb_body_is_refused_fast_and_small(api):
    body = json.dumps([GOOD] * 220_000)
    assert len(body) > 10 * 1024 * 1024
    post(api, json.dumps(GOOD))  # warm up: the first request imports the URL configuration
    started = time.perf_counter()
    response = post(api, body)
    elapsed = time.perf_counter() - started
    assert response.status_code == 413
    assert "1048576" in " ".join(errors_of(response)) or "1 MB" in " ".join(errors_of(response))
    assert len(response.content) < 1000
    assert elapsed < 0.5


@pytest.mark.django_db
def test_100k_items_are_refused_fast_naming_the_count_and_the_limit(api):
    body = json.dumps([{}] * 100_000)  # under the size limit, over the item limit
    assert len(body) < 1024 * 1024
    post(api, json.dumps(GOOD))  # warm up: the first request imports the URL configuration
    started = time.perf_counter()
    response = post(api, body)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    text = " ".join(errors_of(response))
    assert "100000" in text and "1000" in text
    assert len(response.content) < 1000
    assert elapsed < 0.5


@pytest.mark.django_db
def test_the_limits_come_from_the_settings(api, settings):
    settings.API_MAX_ITEMS = 2
    settings.API_MAX_BODY_BYTES = 5_000
    assert post(api, json.dumps([GOOD, GOOD])).status_code == 200
    assert post(api, json.dumps([GOOD] * 3)).status_code == 400
    assert post(api, json.dumps([GOOD] * 200)).status_code == 413


@pytest.mark.django_db
def test_reasonable_input_still_computes(api):
    response = post(api, json.dumps({"rule": "limitation_20_years", "trigger": "2099-12-31"}))
    assert response.status_code == 200
    assert response.json()["raw_end"] == "2119-12-31"


# --- the calculator and what-if pages --------------------------------------------------------


def field_errors(response):
    form = response.context["form"]
    return {name: " ".join(str(e) for e in errors) for name, errors in form.errors.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"rule": "guarantee_period", "trigger": "2021-03-15", "months": HUGE}, "months"),
        ({"rule": "guarantee_period", "trigger": "2021-03-15", "months": "9" * 5000}, "months"),
        ({"rule": "guarantee_period", "trigger": "2021-03-15", "months": "601"}, "months"),
        ({"rule": "limitation", "trigger": "9999-12-31"}, "trigger"),
        ({"rule": "limitation", "trigger": "0001-01-01"}, "trigger"),
        ({"rule": "limitation", "trigger": "2021-03-15", "as_of": "9999-12-31"}, "as_of"),
        (
            {
                "rule": "limitation",
                "trigger": "2021-03-15",
                "event_type_0": "demand_delivered",
                "event_date_0": "0001-01-01",
            },
            "event_date_0",
        ),
    ],
)
def test_the_calculator_page_shows_a_field_error(client, staff, params, field):
    client.force_login(staff["lawyer"])
    response = client.get(reverse("recovery_deadlines:calculator"), params)
    assert response.status_code == 200
    assert field in field_errors(response)
    assert response.context["result"] is None


@pytest.fixture
def case_with_a_year_one_action(staff, make_case):
    """A case whose stored facts lie outside the range (written before the validators)."""
    case = make_case(assignee=staff["lawyer"])
    deadlines_recompute(case_ids=[case.pk])
    CollectionAction.objects.create(
        case=case, kind="acknowledgement", acted_on=date(1, 1, 1), outcome="legacy row"
    )
    return case


@pytest.mark.django_db
def test_what_if_pages_render_a_message_for_facts_outside_the_range(
    client, staff, case_with_a_year_one_action
):
    client.force_login(staff["lawyer"])
    deadline = Deadline.objects.filter(case=case_with_a_year_one_action).first()
    assert deadline is not None
    url = reverse("recovery_deadlines:what_if", args=[deadline.pk])
    for params in ({}, {"as_of": "2025-01-01"}, {"as_of": "9999-12-31"}):
        response = client.get(url, params)
        assert response.status_code == 200
        assert "0001-01-01" in response.content.decode()


@pytest.mark.django_db
def test_a_recompute_survives_facts_outside_the_range(case_with_a_year_one_action):
    deadlines_recompute(case_ids=[case_with_a_year_one_action.pk])
    assert Deadline.objects.filter(case=case_with_a_year_one_action).exists()


# --- every admin add form -------------------------------------------------------------------


def _model_field_like(form_field):
    """A model field of the same kind as a form-only field, to test its bounds the same way."""
    from django import forms

    if isinstance(form_field, forms.DateField) and not isinstance(form_field, forms.DateTimeField):
        return models.DateField()
    if isinstance(form_field, forms.IntegerField) and not isinstance(form_field, forms.DecimalField):
        return models.IntegerField()
    return None


def add_forms():
    for model in get_snippet_models():
        if model._meta.app_label not in PRODUCT_APPS:
            continue
        viewset = model.snippet_viewset
        if not getattr(viewset, "add_view_class", None):
            continue
        form_class = viewset.get_form_class()
        for name, form_field in form_class.base_fields.items():
            try:
                model_field = model._meta.get_field(name)
            except Exception:  # noqa: BLE001 - a form-only field (e.g. a guarantee's terms)
                model_field = _model_field_like(form_field)
                if model_field is None:
                    continue
            if isinstance(model_field, models.DateField) and not isinstance(
                model_field, models.DateTimeField
            ):
                for value in OUT_OF_RANGE_DATES:
                    yield pytest.param(viewset, name, value, id=f"{model._meta.label}.{name}={value}")
            elif isinstance(model_field, models.IntegerField):
                yield pytest.param(viewset, name, HUGE, id=f"{model._meta.label}.{name}={HUGE}")
                yield pytest.param(viewset, name, "9" * 5000, id=f"{model._meta.label}.{name}=9x5000")


ADD_FORMS = list(add_forms())


def test_the_add_forms_were_found():
    labels = {param.values[0].model._meta.label for param in ADD_FORMS}
    assert {
        "recovery.Loan",
        "recovery.CaseParty",
        "litigation.Judgment",
        "assets.PreservationMeasure",
    } <= labels
    assert {"recovery.CollectionAction", "recovery.HolidayYear"} <= labels


@pytest.mark.django_db
@pytest.mark.parametrize(("viewset", "name", "value"), ADD_FORMS)
def test_every_add_form_refuses_extreme_values_on_the_field(client, make_user, viewset, name, value):
    # The head of recovery may add every model; the other fields are left empty on purpose:
    # the bound must hold whatever else is wrong with the form.
    client.force_login(make_user("head", Role.HEAD, None))
    response = client.post(reverse(viewset.get_url_name("add")), {name: value})
    assert response.status_code == 200
    assert name in field_errors(response), field_errors(response)


# --- the preservation services (assets) ------------------------------------------------------


@pytest.mark.django_db
def test_a_measure_expiring_in_9999_is_refused(staff, make_case):
    from django.core.exceptions import ValidationError

    from tests.assets.preservation_helpers import make_asset, make_measure

    asset = make_asset(make_case(assignee=staff["lawyer"]), user=staff["lawyer"])
    with pytest.raises(ValidationError) as caught:
        make_measure(asset, expires="9999-12-31", user=staff["lawyer"])
    assert "expires_on" in caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["renewed_on", "new_expires_on"])
def test_a_renewal_outside_the_range_is_refused(staff, make_case, field):
    from django.core.exceptions import ValidationError

    from assets.services import measure_renew
    from tests.assets.preservation_helpers import make_asset, make_measure

    asset = make_asset(make_case(assignee=staff["lawyer"]), user=staff["lawyer"])
    measure = make_measure(asset, user=staff["lawyer"])
    from recovery.services import RecoveryError

    dates = {"renewed_on": date(2028, 2, 1), "new_expires_on": date(2031, 3, 2), field: date(9999, 12, 31)}
    # A business rule may refuse it first (a renewal after the expiry); either way on the field.
    with pytest.raises((ValidationError, RecoveryError)) as caught:
        measure_renew(measure=measure, user=staff["lawyer"], **dates)
    error = caught.value
    assert field in (error.message_dict if isinstance(error, ValidationError) else {error.field})


@pytest.mark.django_db
def test_a_measure_ended_in_9999_is_refused_on_the_field(staff, make_case):
    from assets.models import MeasureStatus, PreservationMeasure
    from assets.services import measure_end
    from recovery.services import RecoveryError
    from tests.assets.preservation_helpers import make_asset, make_measure

    asset = make_asset(make_case(assignee=staff["lawyer"]), user=staff["lawyer"])
    measure = make_measure(asset, user=staff["lawyer"])
    with pytest.raises(RecoveryError) as caught:
        measure_end(
            measure=measure, status=MeasureStatus.LIFTED, ended_on=date(9999, 12, 31), user=staff["lawyer"]
        )
    assert caught.value.field == "ended_on"
    assert PreservationMeasure.objects.get(pk=measure.pk).status == MeasureStatus.ACTIVE


# --- the three admin 500s of the review, with otherwise valid forms ----------------------------


def _loan_form(case, **changes):
    data = {
        "case": case.pk,
        "contract_no": "EXTREME-1",
        "branch": case.branch_id,
        "amount": "1000.00",
        "principal_outstanding": "1000.00",
        "interest_outstanding": "0",
        "penalty_interest": "0",
        "disbursed_on": "2024-01-01",
        "due_on": "2024-06-01",
        "handed_over_on": "2024-07-01",
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_a_loan_due_9999_12_31_gets_a_field_error(client, staff, make_case):
    from recovery.models import Loan

    case = make_case(assignee=staff["manager"], loans=0)
    client.force_login(staff["manager"])
    url = reverse("wagtailsnippets_recovery_loan:add")
    response = client.post(url, _loan_form(case, due_on="9999-12-31"))
    assert response.status_code == 200
    assert "2099-12-31" in field_errors(response)["due_on"]
    assert not Loan.objects.filter(contract_no="EXTREME-1").exists()
    # The same form with an ordinary date is saved: the refusal is the date's.
    response = client.post(url, _loan_form(case))
    assert response.status_code == 302 and Loan.objects.filter(contract_no="EXTREME-1").exists()


@pytest.mark.django_db
def test_a_judgment_served_9999_12_30_gets_a_field_error(client, staff, make_case):
    from litigation.models import Judgment, Lawsuit

    case = make_case(assignee=staff["lawyer"])
    lawsuit = Lawsuit.objects.create(
        case=case,
        court="上海市浦东新区人民法院",
        cause_of_action="金融借款合同纠纷",
        claim_amount="1000.00",
        filed_on=date(2024, 3, 1),
    )
    client.force_login(staff["lawyer"])
    response = client.post(
        reverse("wagtailsnippets_litigation_judgment:add"),
        {"lawsuit": lawsuit.pk, "kind": "judgment", "served_on": "9999-12-30", "amount_awarded": "1000.00"},
    )
    assert response.status_code == 200
    assert "served_on" in field_errors(response)
    assert not Judgment.objects.exists()


@pytest.mark.django_db
def test_guarantee_months_of_a_billion_get_a_field_error(client, staff, make_case):
    from recovery.checks.identity import resident_id_with_check
    from recovery.models import Party, PartyKind

    case = make_case(assignee=staff["lawyer"])
    guarantor = Party.objects.create(
        kind=PartyKind.PERSON,
        name="保证人甲",
        id_number=resident_id_with_check("31011519800101999"),
        phones="",
    )
    client.force_login(staff["head"])
    for months in (HUGE, "601", "0"):
        response = client.post(
            reverse("wagtailsnippets_recovery_caseparty:add"),
            {
                "case": case.pk,
                "party": guarantor.pk,
                "role": "guarantor",
                "guarantee_type": "joint",
                "guarantee_months": months,
            },
        )
        assert response.status_code == 200
        assert "guarantee_months" in field_errors(response), field_errors(response)
    assert not CaseParty.objects.filter(party=guarantor).exists()
