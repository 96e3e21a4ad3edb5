"""The facts behind the liability matrix, written through their services: estates with their
heirs and legatees, inventory and other creditors; marriages; loan changes with the guarantors'
consent; first-recourse exceptions; the daily-needs threshold. Each refuses bad input with a
field, writes nothing half, stays within the user's scope and is audited under its code."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
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
    Loan,
    LoanChange,
    LoanParty,
    MarriageRecord,
    Party,
    PartyKind,
    PartyRole,
)
from recovery.services import RecoveryError
from recovery.services.cases import LOAN_UPDATED, party_add
from recovery.services.estates import (
    DAILY_NEEDS_LIMIT_DELETED,
    DAILY_NEEDS_LIMIT_SET,
    DAILY_NEEDS_LIMIT_UPDATED,
    ESTATE_CREDITOR_ADDED,
    ESTATE_CREDITOR_REMOVED,
    ESTATE_CREDITOR_UPDATED,
    ESTATE_DELETED,
    ESTATE_ITEM_ADDED,
    ESTATE_ITEM_REMOVED,
    ESTATE_ITEM_UPDATED,
    ESTATE_RECIPIENT_ADDED,
    ESTATE_RECIPIENT_REMOVED,
    ESTATE_RECIPIENT_UPDATED,
    ESTATE_RECORDED,
    ESTATE_UPDATED,
    FIRST_RECOURSE_EXCEPTION_ADDED,
    FIRST_RECOURSE_EXCEPTION_REMOVED,
    FIRST_RECOURSE_EXCEPTION_UPDATED,
    LOAN_CHANGE_DELETED,
    LOAN_CHANGE_RECORDED,
    LOAN_CHANGE_UPDATED,
    MARRIAGE_RECORD_ADDED,
    MARRIAGE_RECORD_DELETED,
    MARRIAGE_RECORD_UPDATED,
    daily_needs_limit_delete,
    daily_needs_limit_set,
    daily_needs_limit_update,
    estate_creditor_add,
    estate_creditor_remove,
    estate_creditor_update,
    estate_delete,
    estate_item_add,
    estate_item_remove,
    estate_item_update,
    estate_recipient_add,
    estate_recipient_remove,
    estate_recipient_update,
    estate_record,
    estate_update,
    first_recourse_exception_add,
    first_recourse_exception_remove,
    first_recourse_exception_update,
    loan_change_delete,
    loan_change_record,
    loan_change_update,
    marriage_record_add,
    marriage_record_delete,
    marriage_record_update,
)

pytestmark = pytest.mark.django_db

_n = iter(range(100, 999))


def person(name: str, kind: str = PartyKind.PERSON, *, by=None) -> Party:
    """A new party; added `by` a user, it is theirs to pick until a case names it."""
    n = next(_n)
    if kind == PartyKind.PERSON:
        number = resident_id_with_check(f"31011519700101{n:03d}")
    else:
        number = credit_code_with_check(f"91310115MA1K4{n:03d}X")
    party = Party(kind=kind, name=name, id_number=number)
    if by is None:
        party.save()
        return party
    return party_add(party=party, user=by)


def codes(instance) -> list[str]:
    return list(ModelLogEntry.objects.for_instance(instance).order_by("pk").values_list("action", flat=True))


def roles(case, party) -> set[str]:
    return set(CaseParty.objects.filter(case=case, party=party).values_list("role", flat=True))


def guarantor_link(case, loan, *, name: str = "保证人", guarantee_type: str = "general") -> LoanParty:
    role = CaseParty.objects.create(case=case, party=person(name), role=PartyRole.GUARANTOR)
    return LoanParty.objects.create(case_party=role, loan=loan, guarantee_type=guarantee_type)


@pytest.fixture
def case(make_case, staff):
    return make_case(assignee=staff["lawyer"])


@pytest.fixture
def other_case(make_case, staff):
    return make_case(assignee=staff["other_lawyer"], branch="杭州分行")


@pytest.fixture
def estate(case, staff):
    return estate_record(
        estate=Estate(case=case, deceased=case.debtor, died_on=date(2024, 11, 3)), user=staff["lawyer"]
    )


def heir(estate, name: str = "继承人甲", **fields) -> EstateRecipient:
    values = {"kind": "statutory_heir", "received": Decimal("0")} | fields
    return EstateRecipient(estate=estate, party=person(name, by=estate.case.assignee), **values)


# ---- estates ------------------------------------------------------------------------------


def test_the_law_md_example_a_death_two_heirs_one_renouncing(case, staff, estate):
    lawyer = staff["lawyer"]
    administrator = person("管理人", by=lawyer)
    estate.administrator = administrator
    estate.administrator_kind = "elected"
    assert set(estate_update(estate=estate, user=lawyer)) == {"administrator", "administrator_kind"}
    assert roles(case, administrator) == {PartyRole.ESTATE_ADMINISTRATOR}
    estate_item_add(
        item=EstateItem(estate=estate, description="房产", value=Decimal("800000.00")), user=lawyer
    )
    a = estate_recipient_add(
        recipient=heir(estate, "继承人甲", accepted_on=date(2024, 12, 1), received=Decimal("800000.00")),
        user=lawyer,
    )
    b = estate_recipient_add(
        recipient=heir(estate, "继承人乙", renounced=True, renounced_on=date(2024, 12, 10)), user=lawyer
    )
    assert roles(case, a.party) == {PartyRole.HEIR} and roles(case, b.party) == {PartyRole.HEIR}
    assert codes(estate)[0] == ESTATE_RECORDED and ESTATE_UPDATED in codes(estate)
    assert codes(a) == [ESTATE_RECIPIENT_ADDED]
    # A legatee gets the legatee role.
    legatee = estate_recipient_add(recipient=heir(estate, "受遗赠人", kind="legatee"), user=lawyer)
    assert roles(case, legatee.party) == {PartyRole.LEGATEE}
    # Distribution dated before B's renunciation: refused on distributed_on, nothing saved.
    estate.distributed_on = date(2024, 12, 5)
    with pytest.raises(RecoveryError) as refused:
        estate_update(estate=estate, user=lawyer)
    assert refused.value.field == "distributed_on"
    assert Estate.objects.get(pk=estate.pk).distributed_on is None
    estate.distributed_on = date(2024, 12, 20)
    estate_update(estate=estate, user=lawyer)


def test_a_renunciation_after_the_distribution_and_a_value_with_a_renunciation_are_refused(staff, estate):
    estate.distributed_on = date(2024, 12, 5)
    estate_update(estate=estate, user=staff["lawyer"])
    with pytest.raises(ValidationError) as late:
        estate_recipient_add(
            recipient=heir(estate, renounced=True, renounced_on=date(2024, 12, 10)), user=staff["lawyer"]
        )
    assert "renounced_on" in late.value.message_dict
    with pytest.raises(ValidationError) as valued:
        estate_recipient_add(
            recipient=heir(estate, renounced=True, renounced_on=date(2024, 12, 1), received=Decimal("1.00")),
            user=staff["lawyer"],
        )
    assert "received" in valued.value.message_dict
    assert not EstateRecipient.objects.exists()
    assert not CaseParty.objects.filter(role=PartyRole.HEIR).exists()  # nothing half-written


def test_an_unknown_kind_is_refused(staff, estate):
    with pytest.raises(ValidationError) as refused:
        estate_recipient_add(recipient=heir(estate, kind="cousin"), user=staff["lawyer"])
    assert "kind" in refused.value.message_dict
    assert not EstateRecipient.objects.exists()


def test_what_the_recipients_received_cannot_exceed_the_inventory(staff, estate):
    lawyer = staff["lawyer"]
    # No inventory taken yet: nothing to compare with.
    first = estate_recipient_add(recipient=heir(estate, received=Decimal("500.00")), user=lawyer)
    item = estate_item_add(
        item=EstateItem(estate=estate, description="存款", value=Decimal("600.00")), user=lawyer
    )
    with pytest.raises(RecoveryError) as too_much:
        estate_recipient_add(recipient=heir(estate, "继承人乙", received=Decimal("100.01")), user=lawyer)
    assert too_much.value.field == "received"
    assert EstateRecipient.objects.count() == 1
    assert CaseParty.objects.filter(role=PartyRole.HEIR).count() == 1  # the refused heir got no role
    estate_recipient_add(recipient=heir(estate, "继承人丙", received=Decimal("100.00")), user=lawyer)
    first.received = Decimal("500.01")
    with pytest.raises(RecoveryError):
        estate_recipient_update(recipient=first, user=lawyer)
    # The inventory cannot shrink below what was received either.
    item.value = Decimal("599.99")
    with pytest.raises(RecoveryError) as shrunk:
        estate_item_update(item=item, user=lawyer)
    assert shrunk.value.field == "value"
    estate_item_add(item=EstateItem(estate=estate, description="家具", value=Decimal("1.00")), user=lawyer)
    with pytest.raises(RecoveryError):
        estate_item_remove(item=EstateItem.objects.get(pk=item.pk), user=lawyer)
    assert EstateItem.objects.get(pk=item.pk).value == Decimal("600.00")
    item.value = Decimal("700.00")
    estate_item_update(item=item, user=lawyer)
    assert codes(item) == [ESTATE_ITEM_ADDED, ESTATE_ITEM_UPDATED]


def test_items_creditors_recipients_and_the_estate_are_removed_audited(staff, estate):
    lawyer = staff["lawyer"]
    item = estate_item_add(
        item=EstateItem(estate=estate, description="车辆", value=Decimal("10.00")), user=lawyer
    )
    creditor = estate_creditor_add(
        creditor=EstateCreditor(estate=estate, creditor="某小贷公司", amount=Decimal("5.00")), user=lawyer
    )
    creditor.amount = Decimal("6.00")
    estate_creditor_update(creditor=creditor, user=lawyer)
    recipient = estate_recipient_add(recipient=heir(estate), user=lawyer)
    recipient.received = Decimal("10.00")
    estate_recipient_update(recipient=recipient, user=lawyer)
    assert codes(recipient) == [ESTATE_RECIPIENT_ADDED, ESTATE_RECIPIENT_UPDATED]
    assert codes(creditor) == [ESTATE_CREDITOR_ADDED, ESTATE_CREDITOR_UPDATED]
    ids = {"item": item.pk, "creditor": creditor.pk, "recipient": recipient.pk, "estate": estate.pk}
    estate_delete(estate=estate, user=lawyer)
    assert not Estate.objects.exists() and not EstateItem.objects.exists()
    for action, pk in (
        (ESTATE_ITEM_REMOVED, ids["item"]),
        (ESTATE_CREDITOR_REMOVED, ids["creditor"]),
        (ESTATE_RECIPIENT_REMOVED, ids["recipient"]),
        (ESTATE_DELETED, ids["estate"]),
    ):
        assert ModelLogEntry.objects.filter(action=action, object_id=str(pk)).exists(), action


def test_single_removals(staff, estate):
    lawyer = staff["lawyer"]
    recipient = estate_recipient_add(recipient=heir(estate), user=lawyer)
    creditor = estate_creditor_add(
        creditor=EstateCreditor(estate=estate, creditor="他行", amount=Decimal("5.00")), user=lawyer
    )
    with pytest.raises(RecoveryError):
        estate_recipient_remove(recipient=recipient, user=staff["other_lawyer"])
    estate_recipient_remove(recipient=recipient, user=lawyer)
    estate_creditor_remove(creditor=creditor, user=lawyer)
    assert not EstateRecipient.objects.exists() and not EstateCreditor.objects.exists()


def test_a_company_leaves_no_estate_and_dates_follow_the_death(case, staff):
    company = person("某公司", PartyKind.COMPANY)
    CaseParty.objects.create(case=case, party=company, role=PartyRole.GUARANTOR)
    with pytest.raises(ValidationError) as refused:
        estate_record(
            estate=Estate(case=case, deceased=company, died_on=date(2024, 1, 1)), user=staff["lawyer"]
        )
    assert "deceased" in refused.value.message_dict
    with pytest.raises(ValidationError) as early:
        estate_record(
            estate=Estate(
                case=case, deceased=case.debtor, died_on=date(2024, 1, 1), distributed_on=date(2023, 12, 1)
            ),
            user=staff["lawyer"],
        )
    assert "distributed_on" in early.value.message_dict
    assert not Estate.objects.exists()


def test_moving_the_death_after_an_acceptance_is_refused(staff, estate):
    estate_recipient_add(recipient=heir(estate, accepted_on=date(2024, 11, 20)), user=staff["lawyer"])
    estate.died_on = date(2024, 11, 25)
    with pytest.raises(RecoveryError) as refused:
        estate_update(estate=estate, user=staff["lawyer"])
    assert refused.value.field == "died_on"


def test_estates_stay_in_the_users_scope(case, other_case, staff, estate):
    # Another branch's case, its debtor, its estate: refused to the lawyer even without a form.
    with pytest.raises(RecoveryError) as on_theirs:
        estate_record(
            estate=Estate(case=other_case, deceased=other_case.debtor, died_on=date(2024, 1, 1)),
            user=staff["lawyer"],
        )
    assert on_theirs.value.field == "case"
    with pytest.raises(RecoveryError) as their_heir:
        estate_recipient_add(
            recipient=EstateRecipient(estate=estate, party=other_case.debtor, kind="statutory_heir"),
            user=staff["lawyer"],
        )
    assert their_heir.value.field == "party"
    estate.administrator = other_case.debtor
    with pytest.raises(RecoveryError) as their_administrator:
        estate_update(estate=estate, user=staff["lawyer"])
    assert their_administrator.value.field == "administrator"
    with pytest.raises(RecoveryError):
        estate_item_add(
            item=EstateItem(estate=estate, description="x", value=Decimal("1")), user=staff["other_lawyer"]
        )
    with pytest.raises(RecoveryError):
        estate_delete(estate=estate, user=staff["auditor"])
    assert Estate.objects.filter(pk=estate.pk).exists() and not EstateItem.objects.exists()
    assert not roles(case, other_case.debtor)


# ---- marriages ----------------------------------------------------------------------------


def marriage(case, **fields) -> MarriageRecord:
    return MarriageRecord(case=case, party=case.debtor, **fields)


def test_a_marriage_recorded_makes_the_spouse_a_party_and_is_audited(case, staff):
    spouse = person("配偶", by=staff["lawyer"])
    record = marriage_record_add(
        marriage=marriage(case, spouse=spouse, married_on=date(2015, 5, 1), spouse_signed=True),
        user=staff["lawyer"],
    )
    assert roles(case, spouse) == {PartyRole.SPOUSE}
    record.used_for_joint_living = True
    marriage_record_update(marriage=record, user=staff["lawyer"])
    pk = record.pk
    marriage_record_delete(marriage=record, user=staff["lawyer"])
    entries = ModelLogEntry.objects.filter(object_id=str(pk), content_type__model="marriagerecord")
    assert list(entries.order_by("pk").values_list("action", flat=True)) == [
        MARRIAGE_RECORD_ADDED,
        MARRIAGE_RECORD_UPDATED,
        MARRIAGE_RECORD_DELETED,
    ]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"married_on": date(2020, 1, 1), "divorced_on": date(2019, 1, 1)}, "divorced_on"),
        ({"divorced_on": date(2019, 1, 1)}, "married_on"),
        ({"married_on": date(2020, 1, 1), "spouse_died_on": date(2019, 1, 1)}, "spouse_died_on"),
        ({"married_on": date(2999, 1, 1)}, "married_on"),
    ],
)
def test_marriage_dates_that_cannot_be_are_refused(case, staff, fields, field):
    with pytest.raises(ValidationError) as refused:
        marriage_record_add(marriage=marriage(case, **fields), user=staff["lawyer"])
    assert field in refused.value.message_dict
    assert not MarriageRecord.objects.exists()


def test_a_company_has_no_spouse(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    case.debtor.kind = PartyKind.COMPANY
    case.debtor.save()
    spouse = person("配偶", by=staff["lawyer"])
    with pytest.raises(ValidationError) as refused:
        marriage_record_add(marriage=marriage(case, spouse=spouse), user=staff["lawyer"])
    assert "party" in refused.value.message_dict
    assert not MarriageRecord.objects.exists() and not roles(case, spouse)
    company_spouse = person("某公司", PartyKind.COMPANY, by=staff["lawyer"])
    guarantor = person("保证人")
    CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.GUARANTOR)
    with pytest.raises(ValidationError) as spouse_company:
        marriage_record_add(
            marriage=MarriageRecord(case=case, party=guarantor, spouse=company_spouse), user=staff["lawyer"]
        )
    assert "spouse" in spouse_company.value.message_dict


def test_the_obligor_must_owe_or_guarantee(case, staff):
    contact = person("联系人")
    CaseParty.objects.create(case=case, party=contact, role=PartyRole.CONTACT)
    with pytest.raises(RecoveryError) as refused:
        marriage_record_add(marriage=MarriageRecord(case=case, party=contact), user=staff["lawyer"])
    assert refused.value.field == "party"
    guarantor = person("保证人")
    CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.GUARANTOR)
    marriage_record_add(marriage=MarriageRecord(case=case, party=guarantor), user=staff["lawyer"])


def test_a_marriage_stays_in_scope(case, other_case, staff):
    with pytest.raises(RecoveryError) as their_spouse:
        marriage_record_add(marriage=marriage(case, spouse=other_case.debtor), user=staff["lawyer"])
    assert their_spouse.value.field == "spouse"
    with pytest.raises(RecoveryError) as their_obligor:
        marriage_record_add(marriage=MarriageRecord(case=case, party=other_case.debtor), user=staff["lawyer"])
    assert their_obligor.value.field == "party"
    assert not MarriageRecord.objects.exists()


# ---- loan changes -------------------------------------------------------------------------


def test_an_extension_moves_the_due_date_and_records_the_consents(case, staff):
    loan = case.loans.get()
    consenting = guarantor_link(case, loan, name="同意的保证人")
    guarantor_link(case, loan, name="未同意的保证人")
    change = loan_change_record(
        change=LoanChange(
            loan=loan, kind="extension", agreed_on=date(2023, 1, 1), new_due_on=date(2024, 1, 1)
        ),
        consenting_guarantors=[consenting],
        user=staff["lawyer"],
    )
    loan.refresh_from_db()
    assert change.previous_due_on == date(2023, 1, 1) and loan.due_on == date(2024, 1, 1)
    assert list(change.consenting_guarantors.all()) == [consenting]
    assert codes(change) == [LOAN_CHANGE_RECORDED] and LOAN_UPDATED in codes(loan)
    # Balances are the ledger's: untouched.
    assert loan.principal_outstanding == Decimal("80000.00")
    change.new_due_on = date(2024, 6, 1)
    loan_change_update(change=change, user=staff["lawyer"], consenting_guarantors=[])
    loan.refresh_from_db()
    assert loan.due_on == date(2024, 6, 1) and not change.consenting_guarantors.exists()
    assert codes(change) == [LOAN_CHANGE_RECORDED, LOAN_CHANGE_UPDATED, LOAN_CHANGE_UPDATED]
    loan_change_delete(change=change, user=staff["lawyer"])
    loan.refresh_from_db()
    assert loan.due_on == date(2023, 1, 1)
    assert ModelLogEntry.objects.filter(action=LOAN_CHANGE_DELETED).exists()


def test_an_increase_is_recorded_only(case, staff):
    loan = case.loans.get()
    change = loan_change_record(
        change=LoanChange(loan=loan, kind="increase", agreed_on=date(2022, 6, 1), amount=Decimal("5000.00")),
        user=staff["lawyer"],
    )
    loan.refresh_from_db()
    assert change.previous_due_on is None
    assert (loan.amount, loan.principal_outstanding, loan.due_on) == (
        Decimal("100000.00"),
        Decimal("80000.00"),
        date(2023, 1, 1),
    )


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"kind": "extension", "new_due_on": date(2022, 6, 1)}, "new_due_on"),  # earlier than due
        ({"kind": "extension"}, "new_due_on"),
        ({"kind": "increase"}, "amount"),
        ({"kind": "reduction", "amount": Decimal("1"), "new_due_on": date(2025, 1, 1)}, "new_due_on"),
        ({"kind": "merger"}, "kind"),
    ],
)
def test_bad_loan_changes_are_refused(case, staff, fields, field):
    loan = case.loans.get()
    with pytest.raises(ValidationError) as refused:
        loan_change_record(
            change=LoanChange(loan=loan, agreed_on=date(2022, 6, 1), **fields), user=staff["lawyer"]
        )
    assert field in refused.value.message_dict
    assert not LoanChange.objects.exists()
    assert Loan.objects.get(pk=loan.pk).due_on == date(2023, 1, 1)


def test_only_the_loans_own_guarantors_consent(case, make_case, other_case, staff):
    two = make_case(assignee=staff["lawyer"], loans=2)
    first, second = two.loans.order_by("pk")
    of_second = guarantor_link(two, second)
    mortgagor = CaseParty.objects.create(case=two, party=person("抵押人"), role=PartyRole.MORTGAGOR)
    mortgage_link = LoanParty.objects.create(case_party=mortgagor, loan=first)
    theirs = guarantor_link(other_case, other_case.loans.get())
    for links in ([of_second], [mortgage_link], [theirs]):
        with pytest.raises(RecoveryError) as refused:
            loan_change_record(
                change=LoanChange(
                    loan=first, kind="extension", agreed_on=date(2022, 6, 1), new_due_on=date(2025, 1, 1)
                ),
                consenting_guarantors=links,
                user=staff["lawyer"],
            )
        assert refused.value.field == "consenting_guarantors"
    assert not LoanChange.objects.exists()
    assert Loan.objects.get(pk=first.pk).due_on == date(2023, 1, 1)
    with pytest.raises(RecoveryError) as their_loan:
        loan_change_record(
            change=LoanChange(
                loan=other_case.loans.get(), kind="increase", agreed_on=date(2022, 6, 1), amount=1
            ),
            user=staff["lawyer"],
        )
    assert their_loan.value.field == "loan"


def test_an_overtaken_extension_is_neither_moved_nor_deleted(case, staff):
    loan = case.loans.get()
    lawyer = staff["lawyer"]
    first = loan_change_record(
        change=LoanChange(
            loan=loan, kind="extension", agreed_on=date(2022, 6, 1), new_due_on=date(2024, 1, 1)
        ),
        user=lawyer,
    )
    second = loan_change_record(
        change=LoanChange(
            loan=loan, kind="extension", agreed_on=date(2023, 6, 1), new_due_on=date(2025, 1, 1)
        ),
        user=lawyer,
    )
    assert second.previous_due_on == date(2024, 1, 1)
    first.new_due_on = date(2024, 2, 1)
    with pytest.raises(RecoveryError) as moved:
        loan_change_update(change=first, user=lawyer)
    assert moved.value.field == "new_due_on"
    with pytest.raises(RecoveryError):
        loan_change_delete(change=LoanChange.objects.get(pk=first.pk), user=lawyer)
    first.refresh_from_db()
    first.kind = "increase"
    with pytest.raises(RecoveryError) as kind:
        loan_change_update(change=first, user=lawyer)
    assert kind.value.field == "kind"
    loan_change_delete(change=second, user=lawyer)
    loan_change_delete(change=LoanChange.objects.get(pk=first.pk), user=lawyer)
    assert Loan.objects.get(pk=loan.pk).due_on == date(2023, 1, 1)


# ---- first-recourse exceptions ------------------------------------------------------------


def test_an_exception_for_a_general_guarantor_with_its_evidence_file(case, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    link = guarantor_link(case, case.loans.get())
    exception = first_recourse_exception_add(
        exception=FirstRecourseException(
            link=link,
            kind="bankruptcy_accepted",
            known_on=date(2024, 5, 1),
            evidence="（2024）沪01破1号受理裁定",
            evidence_file=SimpleUploadedFile("裁定书.pdf", b"%PDF-1.4 ruling"),
        ),
        user=staff["lawyer"],
    )
    assert exception.evidence_file.name.startswith("first-recourse/")
    assert exception.evidence_original_name == "裁定书.pdf"
    entry = ModelLogEntry.objects.for_instance(exception).get(action=FIRST_RECOURSE_EXCEPTION_ADDED)
    assert entry.data["case"] == case.pk
    exception.known_on = date(2024, 4, 30)
    first_recourse_exception_update(exception=exception, user=staff["lawyer"])
    pk = exception.pk
    first_recourse_exception_remove(exception=exception, user=staff["lawyer"])
    assert ModelLogEntry.objects.filter(action=FIRST_RECOURSE_EXCEPTION_UPDATED, object_id=str(pk)).exists()
    assert ModelLogEntry.objects.filter(action=FIRST_RECOURSE_EXCEPTION_REMOVED, object_id=str(pk)).exists()


def test_an_exception_only_for_a_general_guarantor_of_ones_own_cases(case, other_case, staff):
    joint = guarantor_link(case, case.loans.get(), guarantee_type="joint")
    with pytest.raises(ValidationError) as refused:
        first_recourse_exception_add(
            exception=FirstRecourseException(
                link=joint, kind="written_waiver", known_on=date(2024, 1, 1), evidence="x"
            ),
            user=staff["lawyer"],
        )
    assert "link" in refused.value.message_dict
    theirs = guarantor_link(other_case, other_case.loans.get())
    with pytest.raises(RecoveryError) as out_of_scope:
        first_recourse_exception_add(
            exception=FirstRecourseException(
                link=theirs, kind="written_waiver", known_on=date(2024, 1, 1), evidence="x"
            ),
            user=staff["lawyer"],
        )
    assert out_of_scope.value.field == "link"
    general = guarantor_link(case, case.loans.get(), name="一般保证人")
    with pytest.raises(ValidationError) as unknown:
        first_recourse_exception_add(
            exception=FirstRecourseException(
                link=general, kind="moon_phase", known_on=date(2024, 1, 1), evidence="x"
            ),
            user=staff["lawyer"],
        )
    assert "kind" in unknown.value.message_dict
    assert not FirstRecourseException.objects.exists()


# ---- the daily-needs threshold ------------------------------------------------------------


@pytest.mark.parametrize("role", ["lawyer", "manager", "auditor"])
def test_only_the_head_sets_the_daily_needs_threshold(staff, branches, role):
    with pytest.raises(RecoveryError):
        daily_needs_limit_set(limit=DailyNeedsLimit(amount=Decimal("50000.00")), user=staff[role])
    limit = daily_needs_limit_set(limit=DailyNeedsLimit(amount=Decimal("50000.00")), user=staff["head"])
    limit.amount = Decimal("60000.00")
    with pytest.raises(RecoveryError):
        daily_needs_limit_update(limit=limit, user=staff[role])
    with pytest.raises(RecoveryError):
        daily_needs_limit_delete(limit=limit, user=staff[role])
    assert DailyNeedsLimit.objects.get().amount == Decimal("50000.00")


def test_the_head_sets_one_default_and_one_per_branch(staff, branches):
    head = staff["head"]
    default = daily_needs_limit_set(limit=DailyNeedsLimit(amount=Decimal("50000.00")), user=head)
    with pytest.raises(RecoveryError) as second_default:
        daily_needs_limit_set(limit=DailyNeedsLimit(amount=Decimal("70000.00")), user=head)
    assert second_default.value.field == "branch"
    shanghai = daily_needs_limit_set(
        limit=DailyNeedsLimit(branch=branches["上海分行"], amount=Decimal("80000.00"), basis="上海高院指引"),
        user=head,
    )
    with pytest.raises((RecoveryError, ValidationError)):
        daily_needs_limit_set(
            limit=DailyNeedsLimit(branch=branches["上海分行"], amount=Decimal("1")), user=head
        )
    with pytest.raises(ValidationError):
        daily_needs_limit_set(
            limit=DailyNeedsLimit(branch=branches["杭州分行"], amount=Decimal("0")), user=head
        )
    shanghai.amount = Decimal("90000.00")
    daily_needs_limit_update(limit=shanghai, user=head)
    pk = default.pk
    daily_needs_limit_delete(limit=default, user=head)
    assert codes(shanghai) == [DAILY_NEEDS_LIMIT_SET, DAILY_NEEDS_LIMIT_UPDATED]
    assert ModelLogEntry.objects.filter(action=DAILY_NEEDS_LIMIT_DELETED, object_id=str(pk)).exists()


def test_the_database_keeps_the_default_single_whatever_its_amount(staff, branches):
    """Two concurrent writes would both pass the service's check: the constraint stops the second."""
    from django.db import IntegrityError, transaction

    DailyNeedsLimit.objects.create(amount=Decimal("50000.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyNeedsLimit.objects.create(amount=Decimal("70000.00"))
    DailyNeedsLimit.objects.create(branch=branches["上海分行"], amount=Decimal("70000.00"))
    assert DailyNeedsLimit.objects.count() == 2
