"""recovery.registry: what the apps around the core register from their AppConfig.ready()."""

import io
import itertools
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from assets.deadlines import asset_deadlines
from assets.models import AssetDeadlineKind, MeasureStage
from litigation.deadlines import litigation_deadlines
from litigation.models import Hearing, Lawsuit, LitigationDeadlineKind
from recovery import registry
from recovery.deadlines.docket import DeadlineSpec
from recovery.lib.audit import case_id_of
from recovery.models import AlertPolicy, Deadline, DeadlineKind
from recovery.registry import (
    ProviderPhase,
    UnknownDeadlineKind,
    deadline_kind,
    deadline_kind_choices,
    deadline_providers,
    default_thresholds,
    docket_apps,
    lawyer_deletable_models,
    register_deadline_kind,
    register_deadline_provider,
)
from recovery.services.cases import record_create
from recovery.services.deadlines import all_specs, collect_facts
from tests.assets.preservation_helpers import make_asset, make_measure

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_kinds(monkeypatch):
    """A copy of the registered kinds, so that a test may register more."""
    monkeypatch.setattr(registry, "_kinds", dict(registry._kinds))


@pytest.fixture
def own_providers(monkeypatch):
    monkeypatch.setattr(registry, "_providers", {})


# --- deadline kinds ------------------------------------------------------------------------


def test_every_apps_kinds_are_the_choices_in_installed_apps_order():
    expected = [
        *((kind.value, "recovery") for kind in DeadlineKind),
        *((kind.value, "litigation") for kind in LitigationDeadlineKind),
        *((kind.value, "assets") for kind in AssetDeadlineKind),
    ]
    assert [(spec.value, spec.app) for spec in registry.deadline_kinds()] == expected
    for model in (Deadline, AlertPolicy):
        field = model._meta.get_field("kind")
        assert [value for value, _label in field.choices] == [value for value, _app in expected]
        assert field.deconstruct()[3]["choices"] is deadline_kind_choices  # no list in a migration


def test_a_kind_keeps_its_label_tag_and_thresholds():
    renewal = deadline_kind("preservation_renewal")
    assert str(renewal.label) == str(AssetDeadlineKind.PRESERVATION_RENEWAL.label)
    with translation.override("en"):
        assert str(renewal.calendar_tag) == "Preservation renewal"
    assert renewal.thresholds == (30, 14, 7, 3, 1)
    competitor = deadline_kind("competitor_seizure_expiry")
    assert competitor.tag is None and competitor.calendar_tag == competitor.label
    assert default_thresholds()["appeal_ruling"] == (5, 3, 1, 0)
    assert set(default_thresholds()) == {value for value, _label in deadline_kind_choices()}


def test_an_unknown_kind_is_refused():
    with pytest.raises(UnknownDeadlineKind):
        deadline_kind("no_such_kind")


def test_a_kind_registered_twice_with_another_meaning_is_refused(own_kinds):
    again = deadline_kind("enforcement")
    register_deadline_kind(
        again.value, again.label, app=again.app, thresholds=again.thresholds, tag=again.tag
    )
    with pytest.raises(ValueError, match="already registered by litigation"):
        register_deadline_kind("enforcement", "Something else", app="elsewhere", thresholds=(1,))
    with pytest.raises(ValueError):
        register_deadline_kind("x" * 31, "Too long a value", app="elsewhere", thresholds=(1,))
    with pytest.raises(ValueError):
        register_deadline_kind("no_thresholds", "No thresholds", app="elsewhere", thresholds=())


@pytest.mark.django_db
def test_a_new_apps_kind_needs_no_migration_of_recovery(own_kinds, make_case):
    register_deadline_kind("estate_claim", "Claim against the estate", app="estates", thresholds=(30, 7))
    deadline = Deadline(case=make_case(), kind="estate_claim")
    assert deadline.get_kind_display() == "Claim against the estate"
    assert ("estate_claim", "Claim against the estate") in Deadline._meta.get_field("kind").choices
    assert default_thresholds()["estate_claim"] == (30, 7)
    call_command("makemigrations", "recovery", "--check", "--dry-run", stdout=io.StringIO())


# --- deadline fact providers ---------------------------------------------------------------


def test_providers_run_events_first_then_by_order_whatever_the_registration_order(own_providers):
    def reads_events(facts):
        return []

    def adds_events_late(facts):
        return []

    def adds_events(facts):
        return []

    declared = [
        (reads_events, ProviderPhase.SPECS, 0),
        (adds_events_late, ProviderPhase.EVENTS, 5),
        (adds_events, ProviderPhase.EVENTS, 0),
    ]
    for permutation in itertools.permutations(declared):
        registry._providers.clear()
        for provider, phase, order in permutation:
            register_deadline_provider(provider, phase=phase, order=order)
        assert deadline_providers() == [adds_events, adds_events_late, reads_events]


def test_litigations_events_come_before_the_assets_specs():
    providers = deadline_providers()
    assert providers.index(litigation_deadlines) < providers.index(asset_deadlines)


@pytest.mark.django_db
def test_reversing_the_registration_order_gives_identical_specs(monkeypatch, make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    asset = make_asset(case, user=staff["lawyer"])
    make_measure(
        asset,
        registered="2025-09-10",
        measured="2025-09-10",
        stage=MeasureStage.PRE_SUIT,
        expires="2028-09-01",
    )
    record_create(
        instance=Lawsuit(
            case=case,
            court="上海市浦东新区人民法院",
            cause_of_action="金融借款合同纠纷",
            claim_amount=Decimal("80000"),
            filed_on=date(2025, 10, 9),
        ),
        user=staff["lawyer"],
    )
    as_registered = all_specs(collect_facts([case.pk]))
    monkeypatch.setattr(registry, "_providers", dict(reversed(list(registry._providers.items()))))
    reversed_specs = all_specs(collect_facts([case.pk]))
    assert reversed_specs == as_registered
    [pre_suit] = [spec for spec in reversed_specs if spec.kind == AssetDeadlineKind.PRE_SUIT_PRESERVATION]
    assert "起诉" in pre_suit.done_note  # the suit was among the facts when the measure was read


def test_a_provider_spec_of_an_unregistered_kind_is_refused(own_providers):
    def stray(facts):
        return [DeadlineSpec(1, "no_such_kind", "limitation", date(2025, 1, 1), "loan", "loan:1")]

    register_deadline_provider(stray, phase=ProviderPhase.SPECS)
    with pytest.raises(UnknownDeadlineKind):
        all_specs({})


# --- docket apps, the case of a record --------------------------------------------------------


def test_the_docket_apps_register_themselves():
    assert docket_apps() == ("recovery", "litigation", "assets", "documents")
    deletable = lawyer_deletable_models()
    assert deletable["litigation"] == {"hearing", "writeoffevidence", "completeterminationevidence"}
    assert {"collectionaction", "caseparty", "loanparty", "instalment"} == deletable["recovery"]


@pytest.mark.django_db
def test_a_record_under_a_lawsuit_finds_its_case_through_its_declared_path(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    lawsuit = Lawsuit.objects.create(
        case=case,
        court="上海市浦东新区人民法院",
        cause_of_action="金融借款合同纠纷",
        claim_amount=Decimal("80000"),
        filed_on=date(2025, 10, 9),
    )
    assert Hearing.case_via == "lawsuit"
    assert case_id_of(Hearing(lawsuit=lawsuit)) == case.pk


def test_the_registry_imports_no_django():
    # Models import it for their choices: it must not import them (nor Django) in turn.
    probe = (
        "import sys, recovery.registry; print(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
