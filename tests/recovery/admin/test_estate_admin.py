"""The liability facts in the admin: the forms refuse bad input on its field and write nothing,
offer only what the user may use, and the service refuses what a forged form sends; who sees and
edits what per role; the case page's "Estate and marriage facts" section, in a fixed number of
queries; the first-recourse evidence served only through the access-checked download."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from recovery.checks.identity import credit_code_with_check, resident_id_with_check
from recovery.models import (
    CaseParty,
    DailyNeedsLimit,
    Estate,
    EstateCreditor,
    EstateItem,
    EstateRecipient,
    FirstRecourseException,
    LoanChange,
    LoanParty,
    MarriageRecord,
    Party,
    PartyKind,
    PartyRole,
)
from recovery.services.estates import (
    ESTATE_RECIPIENT_ADDED,
    ESTATE_RECORDED,
    LOAN_CHANGE_RECORDED,
    MARRIAGE_RECORD_ADDED,
)

pytestmark = pytest.mark.django_db

INSPECT = "wagtailsnippets_recovery_case:inspect"
_n = iter(range(100, 999))


def url(model: str, view: str, *args) -> str:
    return reverse(f"wagtailsnippets_recovery_{model}:{view}", args=args)


def person(name: str, kind: str = PartyKind.PERSON) -> Party:
    n = next(_n)
    if kind == PartyKind.PERSON:
        number = resident_id_with_check(f"31011519750101{n:03d}")
    else:
        number = credit_code_with_check(f"91310115MA1K4{n:03d}X")
    return Party.objects.create(kind=kind, name=name, id_number=number, phones="13700001111")


def on_case(case, name: str, role: str = PartyRole.CONTACT) -> Party:
    party = person(name)
    CaseParty.objects.create(case=case, party=party, role=role)
    return party


def guarantor(case, loan, name: str = "保证人", guarantee_type: str = "general") -> LoanParty:
    role = CaseParty.objects.create(case=case, party=person(name), role=PartyRole.GUARANTOR)
    return LoanParty.objects.create(case_party=role, loan=loan, guarantee_type=guarantee_type)


def errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    return {name: [str(e) for e in errs] for name, errs in response.context["form"].errors.items()}


@pytest.fixture
def case(make_case, staff):
    return make_case(assignee=staff["lawyer"])


@pytest.fixture
def far(make_case, staff):
    """A case of another branch's lawyer."""
    return make_case(assignee=staff["other_manager"], branch="杭州分行")


@pytest.fixture
def lawyer(client, staff):
    client.force_login(staff["lawyer"])
    return client


@pytest.fixture
def estate(case):
    return Estate.objects.create(case=case, deceased=case.debtor, died_on=date(2024, 11, 3))


# ---- recording through the forms ----------------------------------------------------------


def test_a_death_and_two_heirs_one_renouncing_recorded_through_the_forms(lawyer, case, staff):
    heir_a, heir_b = on_case(case, "继承人甲"), on_case(case, "继承人乙")
    page = lawyer.get(url("estate", "add") + f"?case={case.pk}")
    assert page.status_code == 200 and page.context["form"].initial["case"] == str(case.pk)
    death = {"case": case.pk, "deceased": case.debtor.pk, "died_on": "2024-11-03", "taxes": "0"}
    response = lawyer.post(url("estate", "add"), death)
    assert response.status_code == 302 and response.url == reverse(INSPECT, args=[case.pk])
    estate = Estate.objects.get(case=case)
    assert ModelLogEntry.objects.for_instance(estate).filter(action=ESTATE_RECORDED).exists()
    base = {"estate": estate.pk, "kind": "statutory_heir", "received": "0", "protected": "0"}
    assert (
        lawyer.post(
            url("estaterecipient", "add"),
            base | {"party": heir_a.pk, "accepted_on": "2024-12-01", "received": "800000"},
        ).status_code
        == 302
    )
    assert (
        lawyer.post(
            url("estaterecipient", "add"),
            base | {"party": heir_b.pk, "renounced": "on", "renounced_on": "2024-12-10"},
        ).status_code
        == 302
    )
    assert ModelLogEntry.objects.filter(action=ESTATE_RECIPIENT_ADDED).count() == 2
    assert set(CaseParty.objects.filter(case=case, role=PartyRole.HEIR).values_list("party", flat=True)) == {
        heir_a.pk,
        heir_b.pk,
    }
    page = lawyer.get(reverse(INSPECT, args=[case.pk])).content.decode()
    assert page.count('data-testid="recipient-row"') == 2
    assert "继承人乙" in page and "2024-12-10" in page


@pytest.mark.parametrize(
    "posted, field",
    [
        ({"renounced": "on", "renounced_on": "2024-12-20"}, "renounced_on"),  # after the distribution
        ({"renounced": "on", "renounced_on": "2024-12-01", "received": "10"}, "received"),
        ({"kind": "cousin"}, "kind"),
        ({"received": "1000.01"}, "received"),  # more than the inventory
        ({"accepted_on": "2024-01-01"}, "accepted_on"),  # before the death
    ],
)
def test_bad_heirs_are_refused_on_the_field(lawyer, case, estate, posted, field):
    estate.distributed_on = date(2024, 12, 15)
    estate.save()
    EstateItem.objects.create(estate=estate, description="存款", value=Decimal("1000.00"))
    heir = on_case(case, "继承人")
    data = {
        "estate": estate.pk,
        "party": heir.pk,
        "kind": "statutory_heir",
        "received": "0",
        "protected": "0",
    } | posted
    assert field in errors(lawyer.post(url("estaterecipient", "add"), data))
    assert not EstateRecipient.objects.exists()
    assert not CaseParty.objects.filter(role=PartyRole.HEIR).exists()


def test_moving_the_distribution_before_a_renunciation_is_refused_on_the_field(lawyer, case, estate):
    EstateRecipient.objects.create(
        estate=estate,
        party=on_case(case, "继承人"),
        kind="statutory_heir",
        renounced=True,
        renounced_on=date(2024, 12, 10),
    )
    data = {
        "case": case.pk,
        "deceased": case.debtor.pk,
        "died_on": "2024-11-03",
        "distributed_on": "2024-12-05",
        "taxes": "0",
    }
    assert "distributed_on" in errors(lawyer.post(url("estate", "edit", estate.pk), data))
    assert Estate.objects.get(pk=estate.pk).distributed_on is None


@pytest.mark.parametrize(
    "posted, field",
    [
        ({"married_on": "2020-01-01", "divorced_on": "2019-01-01"}, "divorced_on"),
        ({"divorced_on": "2019-01-01"}, "married_on"),
        ({"married_on": "2020-02-30"}, "married_on"),
    ],
)
def test_bad_marriages_are_refused_on_the_field(lawyer, case, posted, field):
    data = {"case": case.pk, "party": case.debtor.pk} | posted
    assert field in errors(lawyer.post(url("marriagerecord", "add"), data))
    assert not MarriageRecord.objects.exists()


def test_a_company_borrower_has_no_spouse_and_a_contact_is_no_obligor(lawyer, make_case, staff, case):
    company_case = make_case(assignee=staff["lawyer"])
    Party.objects.filter(pk=company_case.debtor.pk).update(kind=PartyKind.COMPANY)
    spouse = on_case(company_case, "配偶")
    response = lawyer.post(
        url("marriagerecord", "add"),
        {"case": company_case.pk, "party": company_case.debtor.pk, "spouse": spouse.pk},
    )
    assert "party" in errors(response)
    contact = on_case(case, "联系人")
    assert "party" in errors(
        lawyer.post(url("marriagerecord", "add"), {"case": case.pk, "party": contact.pk})
    )
    assert not MarriageRecord.objects.exists()
    spouse = on_case(case, "配偶")
    response = lawyer.post(
        url("marriagerecord", "add"),
        {
            "case": case.pk,
            "party": case.debtor.pk,
            "spouse": spouse.pk,
            "married_on": "2010-05-01",
            "spouse_signed": "on",
        },
    )
    assert response.status_code == 302
    record = MarriageRecord.objects.get()
    assert ModelLogEntry.objects.for_instance(record).filter(action=MARRIAGE_RECORD_ADDED).exists()
    assert CaseParty.objects.filter(case=case, party=spouse, role=PartyRole.SPOUSE).exists()


def test_an_extension_with_one_guarantors_consent(lawyer, case):
    loan = case.loans.get()
    consenting, other = guarantor(case, loan, "甲"), guarantor(case, loan, "乙")
    form = lawyer.get(url("loanchange", "add") + f"?loan={loan.pk}").context["form"]
    assert set(form.fields["consenting_guarantors"].queryset) == {consenting, other}
    data = {
        "loan": loan.pk,
        "kind": "extension",
        "agreed_on": "2022-12-01",
        "new_due_on": "2024-01-01",
        "consenting_guarantors": [consenting.pk],
    }
    assert lawyer.post(url("loanchange", "add"), data).status_code == 302
    change = LoanChange.objects.get()
    loan.refresh_from_db()
    assert loan.due_on == date(2024, 1, 1) and change.previous_due_on == date(2023, 1, 1)
    assert list(change.consenting_guarantors.all()) == [consenting]
    assert ModelLogEntry.objects.for_instance(change).filter(action=LOAN_CHANGE_RECORDED).exists()
    page = lawyer.get(reverse(INSPECT, args=[case.pk])).content.decode()
    assert page.count('data-testid="consent"') == 2 and "2023-01-01 → 2024-01-01" in page


@pytest.mark.parametrize(
    "posted, field",
    [
        ({"kind": "extension", "new_due_on": "2022-06-01"}, "new_due_on"),
        ({"kind": "increase"}, "amount"),
        ({"kind": "merger"}, "kind"),
    ],
)
def test_bad_loan_changes_are_refused_on_the_field(lawyer, case, posted, field):
    data = {"loan": case.loans.get().pk, "agreed_on": "2022-06-01"} | posted
    assert field in errors(lawyer.post(url("loanchange", "add"), data))
    assert not LoanChange.objects.exists()


def test_a_first_recourse_exception_with_its_evidence(lawyer, case, staff, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    link = guarantor(case, case.loans.get(), "一般保证人")
    joint = guarantor(case, case.loans.get(), "连带保证人", guarantee_type="joint")
    page = lawyer.get(reverse(INSPECT, args=[case.pk])).content.decode()
    add = url("firstrecourseexception", "add") + f"?link={link.pk}&amp;kind=bankruptcy_accepted"
    assert add in page and page.count('data-testid="general-guarantor"') == 1
    form = lawyer.get(
        url("firstrecourseexception", "add") + f"?link={link.pk}&kind=bankruptcy_accepted"
    ).context["form"]
    assert set(form.fields["link"].queryset) == {link} and form.initial["kind"] == "bankruptcy_accepted"
    refused = lawyer.post(
        url("firstrecourseexception", "add"),
        {"link": joint.pk, "kind": "written_waiver", "known_on": "2024-01-01", "evidence": "x"},
    )
    assert "link" in errors(refused)
    evidence = SimpleUploadedFile("受理裁定.pdf", b"%PDF-1.4 ruling", content_type="application/pdf")
    data = {
        "link": link.pk,
        "kind": "bankruptcy_accepted",
        "known_on": "2024-05-01",
        "evidence": "破产受理裁定",
        "evidence_file": evidence,
    }
    assert lawyer.post(url("firstrecourseexception", "add"), data).status_code == 302
    exception = FirstRecourseException.objects.get()
    download = reverse("recovery_first_recourse_evidence", args=[exception.pk])
    page = lawyer.get(reverse(INSPECT, args=[case.pk])).content.decode()
    assert download in page and 'data-testid="defence-lost"' in page and "2024-05-01" in page
    response = lawyer.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 ruling"
    assert "attachment" in response["Content-Disposition"]
    client.force_login(staff["other_lawyer"])
    assert client.get(download).status_code == 404
    client.force_login(staff["auditor"])
    assert client.get(download).status_code == 200


# ---- scope ------------------------------------------------------------------------------


def test_the_forms_offer_only_the_users_records_and_a_forged_post_is_refused(lawyer, case, far, estate):
    far_party = on_case(far, "外地继承人")
    far_link = guarantor(far, far.loans.get(), "外地保证人")
    far_estate = Estate.objects.create(case=far, deceased=far.debtor, died_on=date(2024, 1, 1))
    form = lawyer.get(url("estaterecipient", "add") + f"?estate={estate.pk}").context["form"]
    assert far_party not in form.fields["party"].queryset and far_estate not in form.fields["estate"].queryset
    form = lawyer.get(url("estate", "add")).context["form"]
    assert far not in form.fields["case"].queryset
    form = lawyer.get(url("loanchange", "add")).context["form"]
    assert far.loans.get() not in form.fields["loan"].queryset
    assert far_link not in form.fields["consenting_guarantors"].queryset
    forged = [
        (
            url("estaterecipient", "add"),
            {
                "estate": estate.pk,
                "party": far_party.pk,
                "kind": "legatee",
                "received": "0",
                "protected": "0",
            },
            "party",
        ),
        (
            url("estaterecipient", "add"),
            {
                "estate": far_estate.pk,
                "party": far.debtor.pk,
                "kind": "legatee",
                "received": "0",
                "protected": "0",
            },
            "estate",
        ),
        (
            url("estate", "add"),
            {"case": far.pk, "deceased": far.debtor.pk, "died_on": "2024-01-01", "taxes": "0"},
            "case",
        ),
        (
            url("marriagerecord", "add"),
            {"case": case.pk, "party": case.debtor.pk, "spouse": far_party.pk},
            "spouse",
        ),
        (
            url("loanchange", "add"),
            {
                "loan": case.loans.get().pk,
                "kind": "increase",
                "agreed_on": "2022-06-01",
                "amount": "1",
                "consenting_guarantors": [far_link.pk],
            },
            "consenting_guarantors",
        ),
        (
            url("firstrecourseexception", "add"),
            {"link": far_link.pk, "kind": "written_waiver", "known_on": "2024-01-01", "evidence": "x"},
            "link",
        ),
    ]
    for target, data, field in forged:
        assert field in errors(lawyer.post(target, data)), (target, field)
    assert EstateRecipient.objects.count() == 0 and Estate.objects.count() == 2
    assert not MarriageRecord.objects.exists() and not LoanChange.objects.exists()
    assert not FirstRecourseException.objects.exists()
    # Another branch's records are not found at all.
    assert lawyer.get(url("estate", "edit", far_estate.pk)).status_code == 404
    assert lawyer.get(url("estate", "inspect", far_estate.pk)).status_code == 404


# ---- per role -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, sees, edits",
    [
        ("lawyer", True, True),
        ("other_lawyer", False, False),
        ("manager", True, True),
        ("other_manager", False, False),
        ("head", True, True),
        ("auditor", True, False),
    ],
)
def test_who_sees_and_edits_the_facts(client, staff, case, estate, role, sees, edits):
    EstateCreditor.objects.create(estate=estate, creditor="某小贷公司", amount=Decimal("5.00"))
    client.force_login(staff[role])
    listing = client.get(url("estate", "list"))
    assert listing.status_code == (200 if role != "auditor" or sees else 302)
    assert (case.debtor.name in listing.content.decode()) is sees
    assert client.get(url("estate", "inspect", estate.pk)).status_code == (200 if sees else 404)
    edit = client.get(url("estate", "edit", estate.pk))
    assert (edit.status_code == 200) is edits
    page = client.get(reverse(INSPECT, args=[case.pk]))
    assert page.status_code == (200 if sees else 404)
    if sees:
        text = page.content.decode()
        assert 'data-testid="estate-facts"' in text and "某小贷公司" in text
        assert ('data-testid="add-recipient"' in text) is edits
        assert ('data-testid="add-marriage"' in text) is edits
    if not edits:
        response = client.post(
            url("estate", "edit", estate.pk),
            {"case": case.pk, "deceased": case.debtor.pk, "died_on": "2024-01-01", "taxes": "0"},
        )
        assert response.status_code in (302, 403, 404)
        assert Estate.objects.get(pk=estate.pk).died_on == date(2024, 11, 3)


@pytest.mark.parametrize("role", ["lawyer", "manager", "auditor", "head"])
def test_the_daily_needs_thresholds_are_the_heads_alone(client, staff, branches, role):
    limit = DailyNeedsLimit.objects.create(amount=Decimal("50000.00"), basis="qzlimitbasis")
    client.force_login(staff[role])
    head = role == "head"
    listing = client.get(reverse("wagtailsnippets_recovery_dailyneedslimit:list"))
    assert ("qzlimitbasis" in listing.content.decode()) is head
    assert (listing.status_code == 200) is head
    edit_url = reverse("wagtailsnippets_recovery_dailyneedslimit:edit", args=[limit.pk])
    assert (client.get(edit_url).status_code == 200) is head
    add = reverse("wagtailsnippets_recovery_dailyneedslimit:add")
    response = client.post(add, {"branch": branches["上海分行"].pk, "amount": "80000.00", "basis": "上海"})
    assert DailyNeedsLimit.objects.filter(branch=branches["上海分行"]).exists() is head
    if head:
        assert response.status_code == 302
        # A second default is refused on the field, nothing written.
        assert "branch" in errors(client.post(add, {"branch": "", "amount": "70000.00"}))
        assert DailyNeedsLimit.objects.count() == 2


# ---- the case section's cost ------------------------------------------------------------------


def _grow(case, n: int, start: int) -> None:
    loan = case.loans.order_by("pk").first()
    for i in range(start, start + n):
        estate = Estate.objects.create(
            case=case, deceased=on_case(case, f"死者{i}", PartyRole.GUARANTOR), died_on=date(2024, 1, 1)
        )
        EstateItem.objects.create(estate=estate, description=f"房产{i}", value=Decimal("100.00"))
        EstateCreditor.objects.create(estate=estate, creditor=f"他行{i}", amount=Decimal("5.00"))
        EstateRecipient.objects.create(
            estate=estate, party=on_case(case, f"继承人{i}"), kind="statutory_heir"
        )
        MarriageRecord.objects.create(
            case=case,
            party=on_case(case, f"借款人{i}", PartyRole.CO_BORROWER),
            spouse=on_case(case, f"配偶{i}"),
        )
        link = guarantor(case, loan, f"一般保证人{i}")
        FirstRecourseException.objects.create(
            link=link, kind="written_waiver", known_on=date(2024, 1, 1), evidence="书面放弃"
        )
        change = LoanChange.objects.create(
            loan=loan, kind="increase", agreed_on=date(2022, 6, 1), amount=Decimal("1.00")
        )
        change.consenting_guarantors.add(link)


def _page(client, case):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(INSPECT, args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_the_section_costs_the_same_queries_for_2_and_4_of_everything(
    lawyer, case, django_assert_num_queries
):
    from recovery.admin.estates import estate_facts_section
    from recovery.selectors.docket import case_page_queryset

    _page(lawyer, case)
    _grow(case, 2, 0)
    small, with_2 = _page(lawyer, case)
    _grow(case, 2, 2)
    large, with_4 = _page(lawyer, case)
    assert small.count('data-testid="estate"') == 2 and large.count('data-testid="estate"') == 4
    assert large.count('data-testid="recipient-row"') == 4 and large.count('data-testid="marriage-row"') == 4
    assert (
        large.count('data-testid="loan-change-row"') == 4
        and large.count('data-testid="general-guarantor"') == 4
    )
    assert large.count('data-testid="consent"') == 16  # each change lists each guarantor of the loan
    assert with_2 == with_4, (with_2, with_4)
    # The section alone: marriages, estates with their recipients, items and creditors, the
    # guarantor links, the loan changes with their consents, the exceptions, may-edit.
    full = case_page_queryset(type(case).objects.all()).get(pk=case.pk)
    request = lawyer.get(reverse(INSPECT, args=[case.pk])).wsgi_request
    with django_assert_num_queries(10):
        estate_facts_section(full, request)
