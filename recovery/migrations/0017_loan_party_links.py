"""Move every co-borrower, guarantor, mortgagor and pledgor from the case to its loans.

Which loan a party concerns is taken from the evidence there is:
1. the hand-over files of finished imports, when still stored: a guarantor named on a row is
   linked to that row's loan (the import's JSON records keep only counts and rejected rows,
   so the file is the only record of which row named whom);
2. a case with a single loan: that loan;
3. otherwise every loan of the case, marked `needs_review` for a lawyer to confirm or remove
   on the case page (over-linking keeps every deadline running until someone decides; the
   opposite would silently drop one).
A guarantor's agreed type and period are copied onto each of its links (they leave CaseParty in
the next migration). Reversing copies the first link's terms back and removes the links.
"""

import logging
from collections import defaultdict

from django.db import migrations

logger = logging.getLogger(__name__)

LOAN_ROLES = ("co_borrower", "guarantor", "mortgagor", "pledgor")


def _guarantors_by_row(ImportRun) -> set[tuple[str, str]]:
    """(contract number, guarantor ID number) of every row of every stored, imported file."""
    # The reader is the import's own: pure functions on a file, no models involved.
    from recovery.handover import CellError, HandoverFileError, open_handover
    from recovery.handover.parsing import cell_text, parse_guarantors

    pairs: set[tuple[str, str]] = set()
    for run in ImportRun.objects.filter(status="done").exclude(upload="").order_by("pk"):
        try:
            with run.upload.open("rb") as stream, open_handover(stream, run.file_name) as sheet:
                for _row, raw in sheet.rows():
                    contract_no = cell_text(raw.get("contract_no"))
                    try:
                        guarantors = parse_guarantors(raw.get("guarantors"))
                    except CellError:
                        continue  # a row the import rejected named no one
                    pairs.update((contract_no, guarantor.id_number) for guarantor in guarantors)
        except (OSError, HandoverFileError, ValueError) as problem:
            logger.warning("import #%s: stored file not readable (%s); its links need review", run.pk, problem)
    return pairs


def link_parties_to_loans(apps, schema_editor):
    CaseParty = apps.get_model("recovery", "CaseParty")
    Loan = apps.get_model("recovery", "Loan")
    LoanParty = apps.get_model("recovery", "LoanParty")
    ImportRun = apps.get_model("recovery", "ImportRun")

    roles = list(CaseParty.objects.filter(role__in=LOAN_ROLES).select_related("party").order_by("pk"))
    if not roles:
        return
    loans_of_case: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, case_id, contract_no in Loan.objects.filter(
        case_id__in={role.case_id for role in roles}
    ).values_list("pk", "case_id", "contract_no"):
        loans_of_case[case_id].append((pk, contract_no))
    named = _guarantors_by_row(ImportRun) if any(role.role == "guarantor" for role in roles) else set()

    links = []
    for case_party in roles:
        loans = loans_of_case.get(case_party.case_id, [])
        terms = {}
        if case_party.role == "guarantor":
            terms = {
                "guarantee_type": case_party.guarantee_type or "general",  # CC 686
                "guarantee_months": case_party.guarantee_months,
            }
        evidence = [
            pk
            for pk, contract_no in loans
            if case_party.role == "guarantor" and (contract_no, case_party.party.id_number) in named
        ]
        if evidence:
            chosen, review = evidence, False
        else:
            chosen, review = [pk for pk, _contract_no in loans], len(loans) > 1
        links.extend(
            LoanParty(case_party_id=case_party.pk, loan_id=loan_id, needs_review=review, **terms)
            for loan_id in chosen
        )
    LoanParty.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)


def unlink(apps, schema_editor):
    CaseParty = apps.get_model("recovery", "CaseParty")
    LoanParty = apps.get_model("recovery", "LoanParty")
    first: dict[int, tuple[str, int | None]] = {}
    for case_party_id, guarantee_type, months in LoanParty.objects.exclude(guarantee_type="").order_by(
        "pk"
    ).values_list("case_party_id", "guarantee_type", "guarantee_months"):
        first.setdefault(case_party_id, (guarantee_type, months))
    for case_party_id, (guarantee_type, months) in first.items():
        CaseParty.objects.filter(pk=case_party_id).update(guarantee_type=guarantee_type, guarantee_months=months)
    LoanParty.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0016_loan_party"),
    ]

    operations = [migrations.RunPython(link_parties_to_loans, unlink)]
