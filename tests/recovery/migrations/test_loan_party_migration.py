"""The migration that moves guarantors, co-borrowers and mortgagors from cases to loans
(recovery 0012–0014): the state before is built with the old models, the migration runs, the
links are checked; then it is reversed."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.recovery.handover import PERSON_ID, PERSON_ID_2, resident_id
from tests.recovery.services.test_handover_import import GUARANTOR_ID, HEADER, row

BEFORE = [("recovery", "0015_deadline_done_once_proven")]
AFTER = [("recovery", "0018_remove_caseparty_guarantee_terms")]
OTHER_GUARANTOR_ID = resident_id("11010119700101002")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _csv(rows) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_links_parties_to_the_loans_the_records_name(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    old = migrate(BEFORE)
    Branch = old.get_model("recovery", "Branch")
    Party = old.get_model("recovery", "Party")
    Case = old.get_model("recovery", "Case")
    Loan = old.get_model("recovery", "Loan")
    CaseParty = old.get_model("recovery", "CaseParty")
    ImportRun = old.get_model("recovery", "ImportRun")

    branch = Branch.objects.create(name="上海分行")

    def party(number, name):
        return Party.objects.create(kind="person", name=name, id_number=number)

    def case(debtor, number, contracts):
        made = Case.objects.create(number=number, debtor=debtor, branch=branch, opened_on=date(2024, 1, 2))
        for contract_no in contracts:
            Loan.objects.create(
                case=made,
                contract_no=contract_no,
                amount=Decimal("100000"),
                principal_outstanding=Decimal("80000"),
                disbursed_on=date(2022, 1, 1),
                due_on=date(2023, 1, 1),
                handed_over_on=date(2023, 6, 1),
                branch=branch,
            )
        return made

    guarantor = party(GUARANTOR_ID, "李四")
    other_guarantor = party(OTHER_GUARANTOR_ID, "王五")
    co_borrower = party(resident_id("31011519850101002"), "共同借款人")
    # 1. Imported: the stored file names 李四 on HT-1's row only.
    imported = case(party(PERSON_ID, "张三"), "RD2024000001", ["HT-1", "HT-2"])
    CaseParty.objects.create(
        case=imported, party=guarantor, role="guarantor", guarantee_type="joint", guarantee_months=12
    )
    name = default_storage.save(
        "imports/stored.csv", ContentFile(_csv([row("HT-1"), row("HT-2", 保证人="")]))
    )
    ImportRun.objects.create(
        file_name="移交清单.csv", checksum="0" * 64, upload=name, source="web", status="done"
    )
    # 2. Added by hand to a case of two loans: nothing says which one.
    manual = case(party(PERSON_ID_2, "赵六"), "RD2024000002", ["M-1", "M-2"])
    CaseParty.objects.create(case=manual, party=other_guarantor, role="guarantor", guarantee_type="")
    CaseParty.objects.create(case=manual, party=co_borrower, role="co_borrower")
    # 3. A case of one loan: there is nothing to choose from.
    single = case(party(resident_id("31011519900101005"), "钱七"), "RD2024000003", ["S-1"])
    CaseParty.objects.create(case=single, party=other_guarantor, role="guarantor", guarantee_type="general")

    new = migrate(AFTER)
    LoanParty = new.get_model("recovery", "LoanParty")
    links = sorted(
        LoanParty.objects.values_list(
            "case_party__case__number",
            "case_party__party__name",
            "loan__contract_no",
            "guarantee_type",
            "guarantee_months",
            "needs_review",
        )
    )
    assert links == [
        ("RD2024000001", "李四", "HT-1", "joint", 12, False),
        ("RD2024000002", "共同借款人", "M-1", "", None, True),
        ("RD2024000002", "共同借款人", "M-2", "", None, True),
        ("RD2024000002", "王五", "M-1", "general", None, True),  # CC 686: not agreed, general
        ("RD2024000002", "王五", "M-2", "general", None, True),
        ("RD2024000003", "王五", "S-1", "general", None, False),
    ]
    assert "guarantee_type" not in {f.name for f in new.get_model("recovery", "CaseParty")._meta.fields}

    # Reversed: the terms go back onto the case's party role.
    old = migrate(BEFORE)
    back = old.get_model("recovery", "CaseParty").objects.get(party__name="李四")
    assert (back.guarantee_type, back.guarantee_months) == ("joint", 12)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_an_unreadable_stored_file_leaves_the_links_for_review(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    old = migrate(BEFORE)
    Branch = old.get_model("recovery", "Branch")
    Party = old.get_model("recovery", "Party")
    Case = old.get_model("recovery", "Case")
    Loan = old.get_model("recovery", "Loan")
    CaseParty = old.get_model("recovery", "CaseParty")
    ImportRun = old.get_model("recovery", "ImportRun")
    branch = Branch.objects.create(name="上海分行")
    debtor = Party.objects.create(kind="person", name="张三", id_number=PERSON_ID)
    made = Case.objects.create(
        number="RD2024000001", debtor=debtor, branch=branch, opened_on=date(2024, 1, 2)
    )
    for contract_no in ("HT-1", "HT-2"):
        Loan.objects.create(
            case=made,
            contract_no=contract_no,
            amount=Decimal("100000"),
            principal_outstanding=Decimal("80000"),
            disbursed_on=date(2022, 1, 1),
            due_on=date(2023, 1, 1),
            handed_over_on=date(2023, 6, 1),
            branch=branch,
        )
    guarantor = Party.objects.create(kind="person", name="李四", id_number=GUARANTOR_ID)
    CaseParty.objects.create(case=made, party=guarantor, role="guarantor", guarantee_type="joint")
    ImportRun.objects.create(
        file_name="gone.xlsx", checksum="0" * 64, upload="imports/missing.xlsx", source="web", status="done"
    )

    new = migrate(AFTER)
    links = new.get_model("recovery", "LoanParty").objects.values_list("loan__contract_no", "needs_review")
    assert sorted(links) == [("HT-1", True), ("HT-2", True)]
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
