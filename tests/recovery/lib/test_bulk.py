"""recovery.lib.bulk: COPY streamed block by block must store exactly what it was given."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from recovery.lib import bulk
from recovery.lib.bulk import QueryDuringCopy, bulk_insert, bulk_insert_values
from recovery.models import Branch, Case, Party, PartyKind

AWKWARD_NAMES = [
    "普通名称",
    "逗号, 在中间",
    '引号 "在" 里面',
    "换行\n第二行",
    "回车\r\n之后",
    "\\N",  # the NULL marker itself, as text
    "以 \\N 结尾的\\N",
    "",
    "  前后空格  ",
    "反斜杠 \\ 和 \\\\",
]


def party_row(name: str, id_number: str, address: str = "") -> dict:
    return {
        "kind": PartyKind.PERSON,
        "name": name,
        "id_number": id_number,
        "phones": "",
        "address": address,
        "marital_status": "unknown",
        "legal_representative": "",
        "notes": "",
    }


@pytest.fixture
def small_blocks(monkeypatch):
    """Many COPY statements and many reads per statement, even for a few rows."""
    monkeypatch.setattr(bulk, "_BATCH", 7)
    monkeypatch.setattr(bulk, "_BLOCK", 64)


@pytest.mark.django_db(transaction=True)
def test_awkward_text_round_trips_through_several_blocks_and_statements(small_blocks):
    rows = [
        party_row(name or "空", f"ID{index:04d}", address=name)
        for index, name in enumerate(AWKWARD_NAMES * 3)
    ]
    ids = bulk_insert_values(Party, iter(rows), count=len(rows))

    assert len(set(ids)) == len(rows)
    stored = dict(Party.objects.filter(pk__in=ids).values_list("pk", "address"))
    assert [stored[pk] for pk in ids] == [row["address"] for row in rows]
    assert Party.objects.filter(pk__in=ids, address__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_model_instances_get_their_ids_and_values(small_blocks):
    branch = Branch.objects.create(name="上海分行")
    parties = [Party(kind=PartyKind.COMPANY, name=f"公司{n}", id_number=f"C{n:03d}") for n in range(20)]
    bulk_insert(parties)
    cases = [
        Case(number=f"RD2026{n:06d}", debtor_id=party.pk, branch=branch, opened_on=date(2026, 1, n + 1))
        for n, party in enumerate(parties)
    ]
    bulk_insert(cases)

    stored = {case.pk: (case.number, case.debtor_id, case.opened_on) for case in Case.objects.all()}
    assert stored == {case.pk: (case.number, case.debtor_id, case.opened_on) for case in cases}
    assert Party.objects.get(pk=parties[3].pk).name == "公司3"


@pytest.mark.django_db(transaction=True)
def test_fewer_rows_than_announced_is_an_error_and_stores_nothing():
    rows = [party_row("甲", "X1")]
    with pytest.raises(ValueError), transaction.atomic():
        bulk_insert_values(Party, iter(rows), count=2)
    assert not Party.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_query_while_rows_are_produced_is_refused_and_nothing_is_stored(small_blocks):
    if connection.vendor != "postgresql":
        pytest.skip("only a COPY holds the connection while rows are produced")

    def rows():
        for n in range(30):
            if n == 20:  # well after the first blocks were sent
                Party.objects.count()
            yield party_row(f"人{n}", f"Q{n}")

    with pytest.raises(QueryDuringCopy), transaction.atomic():
        bulk_insert_values(Party, rows(), count=30)
    assert not Party.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_decimals_and_quoted_text_keep_their_value(small_blocks):
    from recovery.models import Loan

    branch = Branch.objects.create(name="杭州分行")
    party = Party.objects.create(kind=PartyKind.PERSON, name="乙", id_number="J1")
    case = Case.objects.create(number="RD2026000001", debtor=party, branch=branch, opened_on=date(2026, 1, 1))
    loans = [
        Loan(
            contract_no=f'HT-"{n}",x',
            case=case,
            branch=branch,
            amount=Decimal("1234567.89"),
            principal_outstanding=Decimal("0.10"),
            disbursed_on=date(2024, 1, 1),
            due_on=date(2025, 1, 1),
            handed_over_on=date(2026, 1, 1),
        )
        for n in range(10)
    ]
    bulk_insert(loans)
    stored = sorted(Loan.objects.values_list("contract_no", "amount", "principal_outstanding"))
    assert stored == sorted((f'HT-"{n}",x', Decimal("1234567.89"), Decimal("0.10")) for n in range(10))


@pytest.mark.django_db(transaction=True)
def test_json_values_round_trip(small_blocks):
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from wagtail.models import ModelLogEntry

    data = {"changes": {"name": ['旧 "名", 称', "新\n名称"]}, "source": "\\N", "amount": "1,234.50"}
    now = timezone.now()
    rows = [
        {
            "content_type_id": ContentType.objects.get_for_model(Party).pk,
            "label": f"标签{n}",
            "action": "recovery.change",
            "data": {**data, "n": n},
            "timestamp": now,
            "uuid": None,
            "user_id": None,
            "revision_id": None,
            "content_changed": True,
            "deleted": False,
            "object_id": str(n),
        }
        for n in range(12)
    ]
    ids = bulk_insert_values(ModelLogEntry, rows)
    stored = {entry.pk: entry.data for entry in ModelLogEntry.objects.filter(pk__in=ids)}
    assert [stored[pk] for pk in ids] == [{**data, "n": n} for n in range(12)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("column", ["name", "kind", "marital_status"])
def test_none_in_a_required_text_column_is_refused_not_stored_as_text(column):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert_values(Party, [party_row("丙", "N1") | {column: None}])
    assert not Party.objects.exists()
