"""Lawsuits, hearings, judgments and enforcement (issue #12 §3): their dates in the right
order, their forms opened on the right suit, and the stage of suit and case moved forward by
the services, audited."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from litigation.models import Enforcement, Hearing, Judgment, Lawsuit, Stage
from litigation.services import (
    LAWSUIT_STAGE_ADVANCED,
    enforcement_open,
    enforcement_update,
    hearing_schedule,
    judgment_record,
    lawsuit_file,
)
from recovery.models import Case, CaseStatus
from recovery.services.cases import CASE_STAGE_ADVANCED, CASE_STAGE_CORRECTED, case_stage_advance, case_update

pytestmark = pytest.mark.django_db

FILED = date(2024, 5, 6)


def suit(case, user, **fields):
    values = {
        "court": "上海市浦东新区人民法院",
        "cause_of_action": "金融借款合同纠纷",
        "claim_amount": Decimal("80000.00"),
        "filed_on": FILED,
    } | fields
    return lawsuit_file(lawsuit=Lawsuit(case=case, **values), user=user)


def judgment(lawsuit, user, **fields):
    values = {"served_on": FILED + timedelta(days=60), "amount_awarded": Decimal("80000.00")} | fields
    return judgment_record(judgment=Judgment(lawsuit=lawsuit, **values), user=user)


def case_stage_entries(case):
    return list(
        ModelLogEntry.objects.filter(object_id=str(case.pk), action=CASE_STAGE_ADVANCED)
        .order_by("pk")
        .values_list("data", flat=True)
    )


# --- dates in order ------------------------------------------------------------------------


def test_a_judgment_served_before_its_suit_was_filed_is_refused(staff, make_case):
    lawsuit = suit(make_case(assignee=staff["lawyer"]), staff["lawyer"])
    with pytest.raises(ValidationError) as refused:
        judgment(lawsuit, staff["lawyer"], served_on=FILED - timedelta(days=1))
    assert "2024-05-06" in refused.value.message_dict["served_on"][0]
    assert not Judgment.objects.exists()


def test_a_judgment_served_after_today_is_refused(staff, make_case):
    lawsuit = suit(make_case(assignee=staff["lawyer"]), staff["lawyer"])
    with pytest.raises(ValidationError) as refused:
        judgment(lawsuit, staff["lawyer"], served_on=timezone.localdate() + timedelta(days=1))
    assert "晚于今天" in refused.value.message_dict["served_on"][0]


def test_a_hearing_may_lie_ahead_but_not_before_the_filing(staff, make_case):
    lawsuit = suit(make_case(assignee=staff["lawyer"]), staff["lawyer"])
    hearing_schedule(
        hearing=Hearing(lawsuit=lawsuit, date=timezone.localdate() + timedelta(days=30)), user=staff["lawyer"]
    )
    with pytest.raises(ValidationError) as refused:
        hearing_schedule(
            hearing=Hearing(lawsuit=lawsuit, date=FILED - timedelta(days=1)), user=staff["lawyer"]
        )
    assert "date" in refused.value.message_dict


@pytest.mark.parametrize("field", ["filed_on", "accepted_on"])
def test_a_suit_filed_after_today_is_refused(staff, make_case, field):
    tomorrow = timezone.localdate() + timedelta(days=1)
    dates = {"filed_on": FILED, field: tomorrow}
    with pytest.raises(ValidationError) as refused:
        suit(make_case(assignee=staff["lawyer"]), staff["lawyer"], **dates)
    assert field in refused.value.message_dict


def test_a_suit_filed_before_the_loan_was_disbursed_is_refused(staff, make_case):
    with pytest.raises(ValidationError) as refused:
        suit(make_case(assignee=staff["lawyer"]), staff["lawyer"], filed_on=date(2021, 12, 31))
    assert "2022-01-01" in refused.value.message_dict["filed_on"][0]


def test_enforcement_before_the_judgment_took_effect_is_refused(staff, make_case):
    lawsuit = suit(make_case(assignee=staff["lawyer"]), staff["lawyer"])
    effective = FILED + timedelta(days=80)
    judgment(lawsuit, staff["lawyer"], effective_on=effective)
    with pytest.raises(ValidationError) as refused:
        enforcement_open(
            enforcement=Enforcement(lawsuit=lawsuit, applied_on=effective - timedelta(days=1)),
            user=staff["lawyer"],
        )
    assert effective.isoformat() in refused.value.message_dict["applied_on"][0]


# --- stages, through the services ---------------------------------------------------------------


def test_filing_judgment_and_enforcement_move_suit_and_case_forward_audited(staff, make_case):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    assert case.status == CaseStatus.OPEN

    lawsuit = suit(case, lawyer, accepted_on=FILED + timedelta(days=7))
    case.refresh_from_db()
    assert (case.status, lawsuit.stage) == (CaseStatus.LITIGATION, Stage.ACCEPTED)

    judgment(lawsuit, lawyer, effective_on=FILED + timedelta(days=80))
    case.refresh_from_db()
    lawsuit.refresh_from_db()
    assert (case.status, lawsuit.stage) == (CaseStatus.JUDGED, Stage.EFFECTIVE)

    enforcement = enforcement_open(
        enforcement=Enforcement(lawsuit=lawsuit, applied_on=FILED + timedelta(days=100)), user=lawyer
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ENFORCEMENT

    enforcement.round_closed_on = FILED + timedelta(days=200)
    enforcement_update(enforcement=enforcement, user=lawyer)
    case.refresh_from_db()
    lawsuit.refresh_from_db()
    assert (case.status, lawsuit.stage) == (CaseStatus.ROUND_CLOSED, Stage.ROUND_CLOSED)

    enforcement.concluded_on = FILED + timedelta(days=300)
    enforcement_update(enforcement=enforcement, user=lawyer)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_on == FILED + timedelta(days=300)

    steps = [entry["changes"]["status"] for entry in case_stage_entries(case)]
    assert steps == [
        ["open", "litigation"],
        ["litigation", "judged"],
        ["judged", "enforcement"],
        ["enforcement", "round_closed"],
        ["round_closed", "closed"],
    ]
    assert all(entry["reason"] for entry in case_stage_entries(case))
    entry = ModelLogEntry.objects.filter(object_id=str(case.pk), action=CASE_STAGE_ADVANCED).first()
    assert entry.user_id == lawyer.pk
    assert ModelLogEntry.objects.filter(object_id=str(lawsuit.pk), action=LAWSUIT_STAGE_ADVANCED).exists()


def test_a_later_filing_never_moves_a_case_backwards(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ENFORCEMENT)
    suit(Case.objects.get(pk=case.pk), staff["lawyer"])
    case.refresh_from_db()
    assert case.status == CaseStatus.ENFORCEMENT and not case_stage_entries(case)
    # A suspended case is a manager's decision: a filing does not reopen it either.
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.SUSPENDED)
    assert not case_stage_advance(case=case, to=CaseStatus.LITIGATION, user=staff["lawyer"], reason="x")


def test_setting_the_stage_by_hand_is_audited_as_a_correction(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    suit(case, staff["lawyer"])
    case = Case.objects.get(pk=case.pk)
    case.status = CaseStatus.OPEN
    case_update(case=case, user=staff["lawyer"])
    entry = ModelLogEntry.objects.get(object_id=str(case.pk), action=CASE_STAGE_CORRECTED)
    assert entry.data["changes"]["status"] == ["litigation", "open"]


def test_the_new_stages_count_as_open(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    for status in (CaseStatus.JUDGED, CaseStatus.ROUND_CLOSED):
        Case.objects.filter(pk=case.pk).update(status=status)
        assert Case.objects.open().filter(pk=case.pk).exists()


def test_the_admin_add_views_go_through_the_services(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    client.force_login(staff["lawyer"])
    response = client.post(
        reverse("wagtailsnippets_litigation_lawsuit:add"),
        {
            "case": case.pk,
            "stage": "filed",
            "court": "上海市浦东新区人民法院",
            "cause_of_action": "金融借款合同纠纷",
            "claim_amount": "80000.00",
            "filed_on": FILED.isoformat(),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    case.refresh_from_db()
    assert case.status == CaseStatus.LITIGATION and case_stage_entries(case)
    lawsuit = Lawsuit.objects.get(case=case)
    response = client.post(
        reverse("wagtailsnippets_litigation_judgment:add"),
        {
            "lawsuit": lawsuit.pk,
            "kind": "judgment",
            "served_on": (FILED - timedelta(days=1)).isoformat(),
            "amount_awarded": "80000.00",
        },
    )
    assert response.status_code == 200
    assert "served_on" in response.context["form"].errors
    assert not Judgment.objects.exists()


# --- forms opened from a case or a suit ----------------------------------------------------------


def _lawsuit_field(response):
    form = response.context["form"]
    return form["lawsuit"].value(), set(form.fields["lawsuit"].queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("model", ["hearing", "judgment", "enforcement"])
def test_the_forms_opened_from_a_case_preselect_its_suit_and_offer_only_its_suits(
    client, staff, make_case, model
):
    lawyer = staff["lawyer"]
    case, other = make_case(assignee=lawyer), make_case(assignee=lawyer)
    lawsuit, other_suit = suit(case, lawyer), suit(other, lawyer)
    client.force_login(lawyer)
    url = reverse(f"wagtailsnippets_litigation_{model}:add")

    chosen, offered = _lawsuit_field(client.get(url, {"case": case.pk}))
    assert str(chosen) == str(lawsuit.pk) and offered == {lawsuit.pk}

    chosen, offered = _lawsuit_field(client.get(url, {"lawsuit": other_suit.pk}))
    assert str(chosen) == str(other_suit.pk) and offered == {other_suit.pk}

    second = suit(case, lawyer, court="上海市第一中级人民法院")
    chosen, offered = _lawsuit_field(client.get(url, {"case": case.pk}))
    assert chosen in (None, "") and offered == {lawsuit.pk, second.pk}


@pytest.mark.parametrize("query", [{"case": "abc"}, {"lawsuit": "9999999"}, {"case": "-1"}, {"lawsuit": ""}])
def test_a_bad_or_foreign_id_in_the_url_is_ignored(client, staff, make_case, query):
    # Partly a guard: before the fix a bad ?case= was already harmless (no 500); an unknown
    # ?lawsuit= was put in the form's initial value as given.
    client.force_login(staff["lawyer"])
    response = client.get(reverse("wagtailsnippets_litigation_hearing:add"), query)
    assert response.status_code == 200
    assert _lawsuit_field(response)[0] in (None, "")


def test_a_suit_of_another_lawyers_case_is_not_preselected(client, staff, make_case):
    foreign = suit(make_case(assignee=staff["other_lawyer"]), staff["other_lawyer"])
    client.force_login(staff["lawyer"])
    url = reverse("wagtailsnippets_litigation_judgment:add")
    for query in ({"lawsuit": foreign.pk}, {"case": foreign.case_id}):
        response = client.get(url, query)
        assert response.status_code == 200
        chosen, offered = _lawsuit_field(response)
        assert chosen in (None, "") and foreign.pk not in offered


def test_the_case_page_links_open_the_forms_on_the_case_and_the_suit(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    lawsuit = suit(case, staff["lawyer"])
    client.force_login(staff["lawyer"])
    page = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])).content.decode()
    for model in ("hearing", "judgment", "enforcement"):
        add = reverse(f"wagtailsnippets_litigation_{model}:add")
        assert f'{add}?case={case.pk}"' in page
        assert f'{add}?lawsuit={lawsuit.pk}"' in page


def test_the_case_and_suit_histories_say_how_the_stage_moved(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    lawsuit = suit(case, staff["lawyer"], accepted_on=FILED + timedelta(days=7))
    client.force_login(staff["head"])
    page = client.get(reverse("wagtailsnippets_recovery_case:history", args=[case.pk])).content.decode()
    assert "阶段推进" in page and "在办 → 诉讼中" in page
    page = client.get(
        reverse("wagtailsnippets_litigation_lawsuit:history", args=[lawsuit.pk])
    ).content.decode()
    assert "阶段推进" in page
