"""The audit trail's domain action codes (`<app>.<noun>.<verb>`): each declared once with its
labels, registered with Wagtail's log so history pages show them in the reader's language; the
generic codes of entries stored before still render; and the bulk import's log rows have
exactly the columns of Wagtail's log table."""

import uuid
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from wagtail.log_actions import registry
from wagtail.models import ModelLogEntry

from litigation.models import Hearing, Lawsuit
from litigation.services import HEARING_SCHEDULED, hearing_schedule, lawsuit_file
from recovery.checks.identity import resident_id_with_check
from recovery.lib import audit
from recovery.lib.bulk import bulk_insert_values
from recovery.models import Party
from recovery.services.cases import CASE_REASSIGNED, PARTY_UPDATED, case_reassign, party_update
from recovery.services.handover_import import PARTY_IMPORTED, _AuditBatch

# Codes every app declares; the ones the issue names must be among them.
NAMED_IN_THE_ISSUE = {
    "recovery.case.opened",
    "recovery.case.reassigned",
    "recovery.case.imported",
    "litigation.hearing.scheduled",
    "assets.measure.renewed",
    "documents.document.generated",  # issue 16
}


def _codes() -> dict[str, audit.AuditAction]:
    return {declared.code: declared for declared in audit.audit_actions()}


def test_the_domain_codes_follow_app_noun_verb_and_include_those_the_issue_names():
    codes = _codes()
    assert NAMED_IN_THE_ISSUE <= set(codes)
    for code in codes:
        app, _noun, _verb = code.split(".")
        assert app in {"recovery", "litigation", "assets", "documents"}, code
    assert len(codes) > 40


def test_a_code_is_refused_when_malformed_or_declared_twice_differently():
    with pytest.raises(ValueError):
        audit.audit_action("recovery.create", kind=audit.AuditKind.CREATED, label="x", past_label="x")
    declared = _codes()[HEARING_SCHEDULED]
    assert (
        audit.audit_action(
            HEARING_SCHEDULED, kind=declared.kind, label=declared.label, past_label=declared.past_label
        )
        == HEARING_SCHEDULED
    )  # the same declaration again (a module reloaded) is harmless
    with pytest.raises(ValueError):
        audit.audit_action(
            HEARING_SCHEDULED, kind=audit.AuditKind.DELETED, label=gettext_lazy("Other"), past_label="x"
        )


def test_every_code_is_registered_with_wagtails_log_with_a_label_in_chinese_and_english():
    registry.scan_for_actions()
    choices = dict(registry.get_choices())
    for code, declared in _codes().items():
        assert code in registry.formatters, code
        with translation.override("en"):
            english = (str(choices[code]), str(declared.past_label))
        with translation.override("zh-hans"):
            chinese = (str(choices[code]), str(declared.past_label))
        for en, zh in zip(english, chinese, strict=True):
            assert en and zh and en != zh, (code, en, zh)  # a missing zh_Hans entry shows English
    # Entries stored with the generic codes before the domain codes must still render.
    for old in (audit.CREATE, audit.CHANGE, audit.DELETE):
        assert old in registry.formatters


def _message(entry: ModelLogEntry, language: str) -> str:
    with translation.override(language):
        return str(registry.get_formatter(entry).format_message(entry))


@pytest.mark.django_db
def test_a_domain_entry_reads_in_the_readers_language(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    suit = lawsuit_file(
        lawsuit=Lawsuit(
            case=case,
            court="上海市浦东新区人民法院",
            cause_of_action="金融借款合同纠纷",
            claim_amount=1,
            filed_on=date(2024, 4, 1),
        ),
        user=staff["lawyer"],
    )
    hearing = hearing_schedule(
        hearing=Hearing(lawsuit=suit, date=date(2024, 5, 1)), user=staff["lawyer"], source="court notice"
    )
    entry = ModelLogEntry.objects.for_instance(hearing).get(action=HEARING_SCHEDULED)
    assert entry.data["case"] == case.pk and entry.user == staff["lawyer"]
    assert _message(entry, "en") == "Hearing scheduled (court notice)"
    with translation.override("zh-hans"):
        scheduled = str(gettext_lazy("Hearing scheduled"))
    assert _message(entry, "zh-hans") == f"{scheduled} (court notice)" and scheduled != "Hearing scheduled"

    case_reassign(case=case, assignee=staff["other_lawyer"], user=staff["manager"])
    reassigned = ModelLogEntry.objects.for_instance(case).get(action=CASE_REASSIGNED)
    assert _message(reassigned, "en") == "Case reassigned: assignee: lawyer → other_lawyer (reassign)"


@pytest.mark.django_db
def test_a_domain_change_entry_masks_personal_data_unless_unmasked(make_case, staff):
    debtor = make_case(assignee=staff["lawyer"]).debtor
    debtor.phones = "13911112222"
    party_update(party=debtor, user=staff["lawyer"])
    entry = ModelLogEntry.objects.for_instance(debtor).get(action=PARTY_UPDATED)
    formatter = registry.get_formatter(entry)
    assert "13911112222" not in formatter.format_message(entry)
    assert "13911112222" in formatter.format_unmasked_message(entry)


# ---- the bulk import's rows and Wagtail's log table ------------------------------------------


def _party(name: str, id17: str) -> Party:
    return Party.objects.create(kind="person", name=name, id_number=resident_id_with_check(id17))


def _table_columns() -> list[str]:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, ModelLogEntry._meta.db_table)
    return [column.name for column in described]


@pytest.mark.django_db
def test_the_log_rows_the_import_copies_have_exactly_the_columns_of_wagtails_log_table():
    """A Wagtail upgrade that adds, drops or renames a column of its log table fails here,
    not in the middle of a production import."""
    model_columns = [field.column for field in ModelLogEntry._meta.concrete_fields if not field.primary_key]
    table_columns = [name for name in _table_columns() if name != ModelLogEntry._meta.pk.column]
    assert list(audit.LOG_ENTRY_COLUMNS) == model_columns
    assert sorted(audit.LOG_ENTRY_COLUMNS) == sorted(table_columns)

    party = _party("王五", "31011519800101001")
    batch = audit.LogBatch(user_id=None, source="import #1", timestamp=timezone.now(), uuid=uuid.uuid4())
    row = audit.log_entry_row(party, action=PARTY_IMPORTED, batch=batch, content_type_id=1)
    assert tuple(row) == audit.LOG_ENTRY_COLUMNS


@pytest.mark.django_db
def test_the_import_writes_its_entries_through_the_audit_module(staff):
    party = _party("王五", "31011519800101001")
    entries = _AuditBatch(user=staff["head"], source="import #7")
    entries.created([party], PARTY_IMPORTED)
    entries.changed(party, {"phones": ["", "13911112222"]}, PARTY_UPDATED)
    entries.changed(party, {}, PARTY_UPDATED)  # nothing changed: no entry
    entries.flush()
    created, changed = ModelLogEntry.objects.for_instance(party).order_by("pk")
    assert (created.action, changed.action) == (PARTY_IMPORTED, PARTY_UPDATED)
    assert created.uuid == changed.uuid and created.user == staff["head"]
    assert created.data["values"]["name"] == "王五" and created.data["source"] == "import #7"
    assert changed.data["changes"] == {"phones": ["", "13911112222"]}
    assert created.content_type.model_class() is Party and created.object_id == str(party.pk)


@pytest.mark.django_db
def test_the_bulk_writer_refuses_a_row_without_a_column_of_the_table():
    batch = audit.LogBatch(user_id=None, source="", timestamp=timezone.now(), uuid=uuid.uuid4())
    party = _party("赵六", "31011519800101003")
    row = audit.log_entry_row(party, action=PARTY_IMPORTED, batch=batch, content_type_id=1)
    del row["label"]
    with pytest.raises(KeyError):
        bulk_insert_values(ModelLogEntry, [row])
