"""Every choice a form or filter offers is within the user's scope, and every service refuses an
out-of-scope id with a field error even when the form is bypassed (issue 11, finding 3).

The forms are generated from the registered snippet viewsets, so a new model or a new choice
field is covered without touching this file; a choice field whose model has no out-of-scope
sample in the world below fails the test, naming the model to add."""

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.forms import ModelChoiceField
from django.urls import reverse
from wagtail.snippets.models import get_snippet_models

from assets.models import (
    Asset,
    AssetFile,
    DisposalPlan,
    DisposalPlanFile,
    PreservationMeasure,
    SecurityInterest,
)
from litigation.models import (
    CompleteTermination,
    CompleteTerminationEvidence,
    Enforcement,
    Hearing,
    Judgment,
    Lawsuit,
    WriteOff,
    WriteOffEvidence,
    WriteOffGround,
)
from recovery.admin.base import ScopedSnippetViewSet
from recovery.checks.identity import resident_id_with_check
from recovery.models import (
    Branch,
    Case,
    CaseParty,
    Collateral,
    CollectionAction,
    DefaultCause,
    Estate,
    EstateCreditor,
    EstateItem,
    EstateRecipient,
    FirstRecourseException,
    Instalment,
    LoanChange,
    LoanParty,
    MarriageRecord,
    Party,
    PartyKind,
    PartyRole,
)
from recovery.services import RecoveryError
from recovery.services.cases import case_open, case_update, record_create, record_update
from recovery.services.collection import collection_action_record

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Choices that are reference data, the same for everyone.
UNSCOPED_MODELS = {DefaultCause, WriteOffGround}
ROLES = ("lawyer", "manager", "head")


def _fill_case(case, tag: str) -> dict:
    """One record of every docket model on `case`, each named with `tag`."""
    guarantor = Party.objects.create(
        kind=PartyKind.PERSON,
        name=f"{tag}保证人",
        id_number=resident_id_with_check(f"3101151970{len(tag):02d}01{abs(hash(tag)) % 1000:03d}"),
    )
    role = CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.GUARANTOR)
    loan = case.loans.get()
    loan.contract_no = f"{tag}合同"
    loan.save(update_fields=["contract_no"])
    instalment = Instalment.objects.create(loan=loan, due_on=date(2023, 3, 1), amount=Decimal("100.00"))
    collateral = Collateral.objects.create(case=case, loan=loan, description=f"{tag}抵押物")
    action = CollectionAction.objects.create(
        case=case, kind="notice", acted_on=date(2024, 3, 1), addressed_to=guarantor, outcome=tag
    )
    suit = Lawsuit.objects.create(
        case=case,
        court=f"{tag}法院",
        court_case_number=f"{tag}民初1号",
        cause_of_action="金融借款合同纠纷",
        claim_amount=Decimal("1000.00"),
        filed_on=date(2024, 4, 1),
    )
    hearing = Hearing.objects.create(lawsuit=suit, date=date(2024, 5, 1), courtroom=f"{tag}法庭")
    judgment = Judgment.objects.create(
        lawsuit=suit, served_on=date(2024, 6, 1), amount_awarded=Decimal("9.00")
    )
    enforcement = Enforcement.objects.create(
        lawsuit=suit, applied_on=date(2024, 7, 1), enforcement_case_number=f"{tag}执1号"
    )
    asset = Asset.objects.create(case=case, owner=case.debtor, kind="real_estate", description=f"{tag}房产")
    interest = SecurityInterest.objects.create(
        asset=asset,
        kind="mortgage",
        creditor=f"{tag}债权人",
        loan=loan,
        secured_amount=Decimal("500.00"),
        registered_on=date(2022, 1, 1),
    )
    measure = PreservationMeasure.objects.create(
        asset=asset,
        ours=True,
        applicant=f"{tag}申请人",
        court=f"{tag}法院",
        kind="seizure",
        stage="in_suit",
        measured_on=date(2025, 3, 3),
        registered_at=datetime(2025, 3, 3, 10, tzinfo=SHANGHAI),
        expires_on=date(2028, 3, 2),
        position=1,
    )
    upload = AssetFile(asset=asset, caption=f"{tag}照片")
    upload.file.save(f"{tag}.jpg", ContentFile(b"\xff\xd8\xff\xe0 photo"), save=True)
    plan = DisposalPlan.objects.create(
        case=case,
        asset=asset,
        route="online_auction",
        reference_price=Decimal("1000.00"),
        reference_source="appraisal",
        timeline=f"{tag}处置",
        live=False,
    )
    plan_file = DisposalPlanFile(plan=plan, caption=f"{tag}评估报告")
    plan_file.file.save(f"{tag}.jpg", ContentFile(b"\xff\xd8\xff\xe0 report"), save=True)
    # The liability facts: the guarantor guarantees the loan generally, is the debtor's heir
    # and spouse.
    link = LoanParty.objects.create(case_party=role, loan=loan, guarantee_type="general")
    estate = Estate.objects.create(case=case, deceased=case.debtor, died_on=date(2024, 11, 3))
    change = LoanChange.objects.create(
        loan=loan, kind="increase", agreed_on=date(2022, 6, 1), amount=Decimal("1.00"), note=tag
    )
    change.consenting_guarantors.add(link)
    # The approval requests (#15), drafts, and their evidence.
    write_off = WriteOff.objects.create(
        case=case,
        loan=loan,
        write_off_ground=WriteOffGround.objects.get(code="bankruptcy"),
        principal=Decimal("1.00"),
        total=Decimal("1.00"),
        legal_opinion=tag,
        live=False,
    )
    termination = CompleteTermination.objects.create(
        case=case, loan=loan, ground="court_terminated", opinion=tag, live=False
    )
    write_off_evidence = WriteOffEvidence(
        write_off=write_off, item=write_off.write_off_ground.evidence_list[0]
    )
    write_off_evidence.file.save(f"{tag}.pdf", ContentFile(b"%PDF-1.4 evidence"), save=True)
    termination_evidence = CompleteTerminationEvidence(complete_termination=termination, item=f"{tag}裁定")
    termination_evidence.file.save(f"{tag}.pdf", ContentFile(b"%PDF-1.4 ruling"), save=True)
    facts = {
        "writeoff": write_off,
        "completetermination": termination,
        "writeoffevidence": write_off_evidence,
        "completeterminationevidence": termination_evidence,
        "loanparty": link,
        "estate": estate,
        "estaterecipient": EstateRecipient.objects.create(
            estate=estate, party=guarantor, kind="statutory_heir"
        ),
        "estateitem": EstateItem.objects.create(
            estate=estate, description=f"{tag}遗产", value=Decimal("9.00")
        ),
        "estatecreditor": EstateCreditor.objects.create(
            estate=estate, creditor=f"{tag}他行", amount=Decimal("1.00")
        ),
        "marriagerecord": MarriageRecord.objects.create(case=case, party=case.debtor, spouse=guarantor),
        "loanchange": change,
        "firstrecourseexception": FirstRecourseException.objects.create(
            link=link, kind="written_waiver", known_on=date(2024, 1, 1), evidence=tag
        ),
    }
    return facts | {
        "case": case,
        "debtor": case.debtor,
        "party": case.debtor,
        "guarantor": guarantor,
        "caseparty": role,
        "loan": loan,
        "instalment": instalment,
        "collateral": collateral,
        "collectionaction": action,
        "lawsuit": suit,
        "hearing": hearing,
        "judgment": judgment,
        "enforcement": enforcement,
        "asset": asset,
        "securityinterest": interest,
        "preservationmeasure": measure,
        "assetfile": upload,
        "disposalplan": plan,
        "disposalplanfile": plan_file,
    }


@pytest.fixture
def world(staff, make_case, branches, settings, tmp_path):
    """Three cases: the lawyer's own (Shanghai), a colleague's (Shanghai: the manager's scope,
    not the lawyer's) and one in Hangzhou (nobody's here but the head's)."""
    settings.MEDIA_ROOT = tmp_path
    return {
        "mine": _fill_case(make_case(assignee=staff["lawyer"], name="本人债务人"), "本人"),
        "colleague": _fill_case(make_case(assignee=staff["other_lawyer"], name="同事债务人"), "同事"),
        "far": _fill_case(
            make_case(assignee=staff["other_manager"], branch="杭州分行", name="杭州债务人"), "杭州"
        ),
        "staff": staff,
        "branches": branches,
    }


def _out_of_scope(world, role: str) -> dict[type, set]:
    """model → ids of the rows `role` must never be offered (by who may not see them)."""
    staff, branches = world["staff"], world["branches"]
    foreign = {"lawyer": ["colleague", "far"], "manager": ["far"], "head": []}[role]
    out: dict[type, set] = {}
    for name in foreign:
        for obj in world[name].values():
            out.setdefault(type(obj), set()).add(obj.pk)
    if role in ("lawyer", "manager"):
        out.setdefault(get_user_model(), set()).add(staff["other_manager"].pk)
        out.setdefault(Branch, set()).add(branches["杭州分行"].pk)
    return out


def _scoped_viewsets() -> list:
    viewsets = [getattr(model, "snippet_viewset", None) for model in get_snippet_models()]
    return [viewset for viewset in viewsets if isinstance(viewset, ScopedSnippetViewSet)]


def _choice_fields(form) -> dict[str, ModelChoiceField]:
    return {name: field for name, field in form.fields.items() if isinstance(field, ModelChoiceField)}


def _offered(field) -> set:
    # What the widget renders: the option values, not the queryset the form started from.
    return {choice[0].value for choice in field.choices if choice[0] != ""}


def _edit_sample(world, viewset):
    return world["mine"].get(viewset.model._meta.model_name)


def _form_pages(world, viewset):
    pages = [("add", reverse(viewset.get_url_name("add")))]
    sample = _edit_sample(world, viewset)
    if sample is not None and "edit" in {p.name for p in viewset.get_urlpatterns()}:
        pages.append(("edit", reverse(viewset.get_url_name("edit"), args=[sample.pk])))
    return pages


def test_every_docket_model_has_a_scoped_form_here():
    """A new docket viewset is met here: its model must have samples in the world above."""
    models = {viewset.model for viewset in _scoped_viewsets()}
    assert {Case, Party, CollectionAction, Lawsuit, Asset, PreservationMeasure} <= models
    missing = {m._meta.label for m in models} - {
        "recovery.Case",
        "recovery.Party",
        "recovery.Loan",
        "recovery.Instalment",
        "recovery.CaseParty",
        "recovery.CollectionAction",
        "litigation.Lawsuit",
        "litigation.Hearing",
        "litigation.Judgment",
        "litigation.Enforcement",
        "assets.Asset",
        "assets.SecurityInterest",
        "assets.PreservationMeasure",
        "assets.AssetFile",
        "assets.DisposalPlan",
        "assets.DisposalPlanFile",
        "recovery.Estate",
        "recovery.EstateRecipient",
        "recovery.EstateItem",
        "recovery.EstateCreditor",
        "recovery.MarriageRecord",
        "recovery.LoanChange",
        "recovery.FirstRecourseException",
        "litigation.WriteOff",
        "litigation.CompleteTermination",
        "litigation.WriteOffEvidence",
        "litigation.CompleteTerminationEvidence",
    }
    assert not missing, f"add samples of {missing} to _fill_case"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_no_form_offers_an_out_of_scope_choice(client, world, role):
    user = world["staff"][role]
    out = _out_of_scope(world, role)
    client.force_login(user)
    checked = 0
    for viewset in _scoped_viewsets():
        for view, url in _form_pages(world, viewset):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            html = response.content.decode()
            for name, field in _choice_fields(response.context["form"]).items():
                model = field.queryset.model
                if model in UNSCOPED_MODELS:
                    continue
                assert model in out or role == "head", f"no out-of-scope {model._meta.label} sample"
                leaked = _offered(field) & out.get(model, set())
                assert not leaked, f"{viewset.model._meta.label} {view}: {name} offers {leaked}"
                for pk in out.get(model, set()):
                    assert str(model.objects.get(pk=pk)) not in html, (url, name)
                checked += 1
    assert checked > 20


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_choices_that_depend_on_the_case_are_the_cases_own(client, world, role):
    """addressed_to, loan, lawsuit, asset owner…: only those of the case, on add (?case=) and
    on edit, even for the head, who may see every case."""
    client.force_login(world["staff"][role])
    mine = world["mine"]
    other = world["colleague"]
    pages = [
        ("wagtailsnippets_recovery_collectionaction", {"case": mine["case"].pk}, "addressed_to", Party),
        ("wagtailsnippets_assets_asset", {"case": mine["case"].pk}, "owner", Party),
        ("wagtailsnippets_assets_securityinterest", {"asset": mine["asset"].pk}, "loan", type(mine["loan"])),
    ]
    others = {Party: {other["debtor"].pk, other["guarantor"].pk}, type(other["loan"]): {other["loan"].pk}}
    for prefix, query, name, model in pages:
        response = client.get(reverse(f"{prefix}:add"), query)
        offered = _offered(response.context["form"].fields[name])
        assert offered, (prefix, name)
        # Ids of the choice's own model only: a party's id may equal a loan's.
        assert not offered & others[model], (prefix, name)
    response = client.get(
        reverse("wagtailsnippets_recovery_collectionaction:edit", args=[mine["collectionaction"].pk])
    )
    assert _offered(response.context["form"].fields["addressed_to"]) == {
        mine["debtor"].pk,
        mine["guarantor"].pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ("lawyer", "manager"))
def test_no_listing_filter_offers_an_out_of_scope_choice(client, world, role):
    out = _out_of_scope(world, role)
    client.force_login(world["staff"][role])
    checked = 0
    for viewset in _scoped_viewsets():
        response = client.get(reverse(viewset.get_url_name("list")))
        assert response.status_code == 200
        filters = response.context["view"].filters
        if filters is None:
            continue
        for name, field in filters.form.fields.items():
            if not isinstance(field, ModelChoiceField) or field.queryset.model in UNSCOPED_MODELS:
                continue
            leaked = _offered(field) & out.get(field.queryset.model, set())
            assert not leaked, f"{viewset.model._meta.label} filter {name} offers {leaked}"
            checked += 1
    assert checked >= 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, listing",
    [
        ("lawyer", "recovery_deadlines:index"),
        ("manager", "recovery_deadlines:index"),
        ("manager", "recovery_alerts:index"),
    ],
)
def test_the_deadline_and_alert_filters_offer_only_the_scope(client, world, role, listing):
    out = _out_of_scope(world, role)
    client.force_login(world["staff"][role])
    response = client.get(reverse(listing))
    assert response.status_code == 200
    fields = [
        f for f in response.context["view"].filters.form.fields.values() if isinstance(f, ModelChoiceField)
    ]
    assert fields
    for field in fields:
        offered = _offered(field)
        assert offered
        assert not offered & out.get(field.queryset.model, set()), field.label


@pytest.mark.django_db
def test_no_scoped_model_has_a_chooser(client, world):
    """A chooser (or its search) would list every row of the model, whoever asks."""
    from django.urls import NoReverseMatch

    client.force_login(world["staff"]["lawyer"])
    for viewset in _scoped_viewsets():
        with pytest.raises(NoReverseMatch):
            reverse(viewset.chooser_viewset.get_url_name("choose"))


def _count(model) -> int:
    return model.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ("lawyer", "manager"))
def test_posting_an_out_of_scope_id_to_any_form_is_refused_on_the_field(client, world, role):
    out = _out_of_scope(world, role)
    client.force_login(world["staff"][role])
    checked = 0
    for viewset in _scoped_viewsets():
        for _view, url in _form_pages(world, viewset):
            form = client.get(url).context["form"]
            for name, field in _choice_fields(form).items():
                if field.disabled:
                    continue  # fixed once recorded: a posted value is ignored
                for pk in sorted(out.get(field.queryset.model, set()))[:2]:
                    before = _count(viewset.model)
                    response = client.post(url, {name: pk})
                    assert response.status_code == 200, (url, name)
                    assert name in response.context["form"].errors, (url, name, pk)
                    assert _count(viewset.model) == before
                    checked += 1
    assert checked > 20


def _clone(instance):
    clone = type(instance).objects.get(pk=instance.pk)
    clone.pk = None
    clone.id = None
    clone._state.adding = True
    return clone


def _foreign_keys(model) -> list:
    # Fields the services fill in themselves (recorded_by, uploaded_by) are not the caller's.
    return [
        f
        for f in model._meta.concrete_fields
        if f.many_to_one and f.editable and f.related_model not in UNSCOPED_MODELS
    ]


def _service_call(viewset, service, instance, user):
    """The call the viewset's views make (recovery.admin.base.ServiceViewMixin); a party role's
    views also give the loans of the form (none here)."""
    saves = service is not viewset.delete_service
    extra = {"loans": []} if viewset.model is CaseParty and saves else {}
    return partial(service, **{viewset.record_keyword: instance}, user=user, **extra)


def _refused_on(call, field: str) -> None:
    with pytest.raises((RecoveryError, ValidationError)) as refused:
        call()
    error = refused.value
    fields = {error.field} if isinstance(error, RecoveryError) else set(getattr(error, "error_dict", {}))
    assert field in fields, (field, str(error))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ("lawyer", "manager"))
def test_every_create_and_update_service_refuses_an_out_of_scope_id(world, role):
    """Called directly, as a script or the API would: no form in the way."""
    user = world["staff"][role]
    out = _out_of_scope(world, role)
    checked = 0
    for viewset in _scoped_viewsets():
        model = viewset.model
        sample = _edit_sample(world, viewset)
        for field in _foreign_keys(model):
            targets = sorted(out.get(field.related_model, set()))
            if not targets:
                continue
            before = _count(model)
            instance = _clone(sample)
            setattr(instance, field.attname, targets[0])
            _refused_on(_service_call(viewset, viewset.create_service, instance, user), field.name)
            assert _count(model) == before
            edited = type(sample).objects.get(pk=sample.pk)
            setattr(edited, field.attname, targets[0])
            _refused_on(_service_call(viewset, viewset.update_service, edited, user), field.name)
            assert getattr(type(sample).objects.get(pk=sample.pk), field.attname) == getattr(
                sample, field.attname
            )
            checked += 1
    assert checked > 15


@pytest.mark.django_db
def test_every_delete_service_refuses_another_case_and_audits_under_its_domain_code(world):
    """The delete view's service, called directly: a record of a case the lawyer may not
    change stays; one of their own goes (unless others still refer to it), under its code."""
    from wagtail.models import ModelLogEntry

    from recovery.lib import audit

    domain_codes = {declared.code for declared in audit.audit_actions()}
    lawyer = world["staff"]["lawyer"]
    deleted = 0
    for viewset in _scoped_viewsets():
        if not viewset.delete_view_enabled:
            continue
        model, key = viewset.model, viewset.model._meta.model_name
        far = world["far"][key]
        with pytest.raises(RecoveryError):
            _service_call(viewset, viewset.delete_service, far, lawyer)()
        assert model.objects.filter(pk=far.pk).exists(), key
        mine = model.objects.filter(pk=world["mine"][key].pk).first()
        if mine is None:
            continue  # went with its parent, deleted before it
        try:
            viewset.delete_service(**{viewset.record_keyword: mine}, user=lawyer)
        except RecoveryError:
            assert model.objects.filter(pk=mine.pk).exists()  # still referred to: refused whole
            continue
        entry = ModelLogEntry.objects.get(
            object_id=str(world["mine"][key].pk), content_type__model=key, deleted=True
        )
        assert entry.action in domain_codes and entry.user == lawyer, key
        deleted += 1
    assert deleted >= 6


@pytest.mark.django_db
def test_a_case_is_not_shared_with_someone_out_of_scope(world):
    lawyer, stranger = world["staff"]["lawyer"], world["staff"]["other_manager"]
    case = world["mine"]["case"]
    _refused_on(lambda: case_update(case=case, user=lawyer, shared_with=[stranger]), "shared_with")
    assert not case.shared_with.exists()


@pytest.mark.django_db
def test_nothing_is_written_to_a_case_out_of_scope_even_unchanged(world):
    """Editing a record of someone else's case through the service is refused outright."""
    far = world["far"]["collectionaction"]
    far.outcome = "改写"
    with pytest.raises(RecoveryError):
        record_update(instance=far, user=world["staff"]["lawyer"])
    assert CollectionAction.objects.get(pk=far.pk).outcome == "杭州"


def _new_case(world, *, branch="上海分行", assignee=None, debtor=None):
    return Case(
        debtor=debtor or world["mine"]["debtor"],
        branch=world["branches"][branch],
        assignee=assignee,
        opened_on=date(2024, 5, 1),
    )


@pytest.mark.django_db
def test_a_lawyer_opens_cases_only_for_themself_in_their_branch(world):
    staff = world["staff"]
    lawyer = staff["lawyer"]
    before = Case.objects.count()
    _refused_on(lambda: case_open(case=_new_case(world, branch="杭州分行"), user=lawyer), "branch")
    _refused_on(
        lambda: case_open(case=_new_case(world, assignee=staff["other_lawyer"]), user=lawyer), "assignee"
    )
    far_debtor = world["far"]["debtor"]
    _refused_on(lambda: case_open(case=_new_case(world, debtor=far_debtor), user=lawyer), "debtor")
    assert Case.objects.count() == before
    case = case_open(case=_new_case(world), user=lawyer)
    assert case.assignee == lawyer and case.branch.name == "上海分行"


@pytest.mark.django_db
def test_a_manager_opens_cases_for_their_branch_only(world):
    staff = world["staff"]
    manager = staff["manager"]
    case = case_open(case=_new_case(world, assignee=staff["other_lawyer"]), user=manager)
    assert case.assignee == staff["other_lawyer"]
    _refused_on(lambda: case_open(case=_new_case(world, branch="杭州分行"), user=manager), "branch")
    _refused_on(
        lambda: case_open(case=_new_case(world, assignee=staff["other_manager"]), user=manager), "assignee"
    )
    far_debtor = world["far"]["debtor"]
    _refused_on(lambda: case_open(case=_new_case(world, debtor=far_debtor), user=manager), "debtor")


@pytest.mark.django_db
def test_the_head_opens_cases_anywhere_for_anyone(world):
    staff = world["staff"]
    case = case_open(
        case=_new_case(world, branch="杭州分行", assignee=staff["lawyer"], debtor=world["far"]["debtor"]),
        user=staff["head"],
    )
    assert case.branch.name == "杭州分行" and case.assignee == staff["lawyer"]


@pytest.mark.django_db
def test_a_manager_reassigns_only_within_their_branch(world):
    staff = world["staff"]
    case = world["colleague"]["case"]
    case.assignee = staff["other_manager"]
    _refused_on(lambda: case_update(case=case, user=staff["manager"]), "assignee")
    case.assignee = staff["lawyer"]
    case_update(case=case, user=staff["manager"])
    assert Case.objects.get(pk=case.pk).assignee == staff["lawyer"]


@pytest.mark.django_db
def test_the_case_form_refuses_another_branch_and_another_lawyer(client, world):
    staff = world["staff"]
    client.force_login(staff["lawyer"])
    url = reverse("wagtailsnippets_recovery_case:add")
    base = {"debtor": world["mine"]["debtor"].pk, "status": "open", "opened_on": "2024-05-01"}
    before = Case.objects.count()
    for overrides, field in (
        ({"branch": world["branches"]["杭州分行"].pk, "assignee": staff["lawyer"].pk}, "branch"),
        ({"branch": world["branches"]["上海分行"].pk, "assignee": staff["other_lawyer"].pk}, "assignee"),
        (
            {"branch": world["branches"]["上海分行"].pk, "debtor": world["far"]["debtor"].pk},
            "debtor",
        ),
    ):
        response = client.post(url, base | overrides)
        assert response.status_code == 200
        assert field in response.context["form"].errors
    assert Case.objects.count() == before


@pytest.mark.django_db
def test_a_lawyer_adds_a_new_debtor_and_opens_a_case_on_it(client, world):
    """A new party is on no case, so nobody's scope holds it; the lawyer who added it may pick
    it as a debtor (the party form returns to the case form with it chosen), nobody else may."""
    staff = world["staff"]
    client.force_login(staff["lawyer"])
    number = resident_id_with_check("44030519900101123")
    response = client.post(
        reverse("wagtailsnippets_recovery_party:add"),
        {"kind": "person", "name": "新来的债务人", "id_number": number, "marital_status": "unknown"},
    )
    assert response.status_code == 302, response.context["form"].errors
    party = Party.objects.get(name="新来的债务人")
    add_case = reverse("wagtailsnippets_recovery_case:add")
    assert response.status_code == 302 and response.url == f"{add_case}?debtor={party.pk}"
    form = client.get(response.url).context["form"]
    assert party.pk in _offered(form.fields["debtor"])
    assert str(form["debtor"].value()) == str(party.pk)
    branch = world["branches"]["上海分行"].pk
    response = client.post(
        add_case, {"debtor": party.pk, "branch": branch, "status": "open", "opened_on": "2024-05-01"}
    )
    assert response.status_code == 302, response.context["form"].errors
    case = Case.objects.get(debtor=party)
    assert case.assignee == staff["lawyer"]
    # The other lawyer cannot take it over as their debtor.
    _refused_on(
        lambda: case_open(case=_new_case(world, debtor=party), user=staff["other_lawyer"]),
        "debtor",
    )


@pytest.mark.django_db
def test_a_new_party_is_offered_to_nobody_else(client, world):
    staff = world["staff"]
    stray = record_create(
        instance=Party(
            kind=PartyKind.PERSON, name="孤立的当事人", id_number=resident_id_with_check("44030519900101456")
        ),
        user=staff["other_lawyer"],
    )
    client.force_login(staff["lawyer"])
    form = client.get(reverse("wagtailsnippets_recovery_case:add")).context["form"]
    assert stray.pk not in _offered(form.fields["debtor"])
    assert client.get(reverse("wagtailsnippets_recovery_party:inspect", args=[stray.pk])).status_code == 404


@pytest.mark.django_db
def test_an_action_is_addressed_only_to_a_party_of_its_own_case(client, world, make_case):
    """Both cases are the lawyer's: the parties of one are still not choices for the other."""
    lawyer = world["staff"]["lawyer"]
    second = make_case(assignee=lawyer, name="另一案债务人")
    mine = world["mine"]["case"]
    action = CollectionAction(case=mine, kind="notice", acted_on=date(2024, 3, 2), addressed_to=second.debtor)
    _refused_on(partial(collection_action_record, action=action, user=lawyer), "addressed_to")
    client.force_login(lawyer)
    url = reverse("wagtailsnippets_recovery_collectionaction:add")
    data = {"case": mine.pk, "kind": "notice", "acted_on": "2024-03-02", "addressed_to": second.debtor.pk}
    response = client.post(url, data)
    assert "addressed_to" in response.context["form"].errors
    assert not CollectionAction.objects.filter(acted_on=date(2024, 3, 2)).exists()
    response = client.post(url, data | {"addressed_to": world["mine"]["guarantor"].pk})
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_auditor_gets_no_form_and_writes_nothing(client, world):
    """The auditor sees every case but changes none: no form to pick from, and a post is refused."""
    client.force_login(world["staff"]["auditor"])
    for viewset in _scoped_viewsets():
        for _view, url in _form_pages(world, viewset):
            before = _count(viewset.model)
            assert client.get(url).status_code in (302, 403), url
            assert client.post(url, {}).status_code in (302, 403), url
            assert _count(viewset.model) == before
    _refused_on(partial(case_open, case=_new_case(world), user=world["staff"]["auditor"]), "branch")


@pytest.mark.django_db
def test_a_lawyers_new_case_form_starts_with_their_branch_and_themself(client, world):
    """The only choices a lawyer has are filled in; a manager picks the lawyer themself."""
    staff = world["staff"]
    client.force_login(staff["lawyer"])
    form = client.get(reverse("wagtailsnippets_recovery_case:add")).context["form"]
    assert str(form["branch"].value()) == str(world["branches"]["上海分行"].pk)
    assert str(form["assignee"].value()) == str(staff["lawyer"].pk)
    client.force_login(staff["manager"])
    form = client.get(reverse("wagtailsnippets_recovery_case:add")).context["form"]
    assert str(form["branch"].value()) == str(world["branches"]["上海分行"].pk)
    assert not form["assignee"].value()
