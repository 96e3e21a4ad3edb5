"""Who owes, guarantees and secures which loan: the per-loan links of a case's parties
(`LoanParty`). A guarantor named on one loan is no guarantor of the case's other loans, so his
guarantee period runs only for the loans he is linked to, on that link's terms.

Writes go through the services here (audited, scoped by `record_scope_check`, deadlines
recomputed in the same transaction); the case and loan pages read through the selectors.
Other apps add what they know of a loan's security through two hooks:
`recovery_loan_security` (loans, request) -> {loan id: [html]} and
`recovery_collateral_actions` (collateral items, request) -> {collateral id: html}.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks

from recovery.lib.audit import AuditKind, audit_action, audit_change, audit_create, audit_delete, snapshot
from recovery.models import LOAN_ROLES, Case, CaseParty, Collateral, Loan, LoanParty, PartyRole
from recovery.services import RecoveryError
from recovery.services.cases import (
    case_facts_changed,
    record_create,
    record_delete,
    record_scope_check,
    record_update,
)

LOAN_SECURITY_HOOK = "recovery_loan_security"
COLLATERAL_ACTIONS_HOOK = "recovery_collateral_actions"
REVIEW_SOURCE = "loan link review"

CASE_PARTY_ADDED = audit_action(
    "recovery.case_party.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Add a party to a case"),
    past_label=gettext_lazy("Party added to the case"),
)
CASE_PARTY_UPDATED = audit_action(
    "recovery.case_party.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a party's role in a case"),
    past_label=gettext_lazy("Party's role in the case edited"),
)
CASE_PARTY_REMOVED = audit_action(
    "recovery.case_party.removed",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Remove a party from a case"),
    past_label=gettext_lazy("Party removed from the case"),
)
LOAN_PARTY_LINKED = audit_action(
    "recovery.loan_party.linked",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Link a party to a loan"),
    past_label=gettext_lazy("Party linked to the loan"),
)
LOAN_PARTY_UPDATED = audit_action(
    "recovery.loan_party.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a party's link to a loan"),
    past_label=gettext_lazy("Party's link to the loan edited"),
)
LOAN_PARTY_UNLINKED = audit_action(
    "recovery.loan_party.unlinked",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Unlink a party from a loan"),
    past_label=gettext_lazy("Party unlinked from the loan"),
)


@dataclass(frozen=True)
class GuaranteeTerms:
    """What a guarantor agreed for the loans of one guarantee contract."""

    guarantee_type: str = ""
    guarantee_months: int | None = None
    max_amount: Decimal | None = None
    signed_on: date | None = None
    co_guarantor_recourse: str = ""  # CoGuarantorRecourse (担保解释 13)


def _apply_terms(link: LoanParty, role: str, terms: GuaranteeTerms | None) -> None:
    terms = terms if role == PartyRole.GUARANTOR and terms is not None else GuaranteeTerms()
    link.guarantee_type = terms.guarantee_type
    link.guarantee_months = terms.guarantee_months
    link.max_amount = terms.max_amount
    link.signed_on = terms.signed_on
    link.co_guarantor_recourse = terms.co_guarantor_recourse


def _on_loans_field(error: RecoveryError | ValidationError) -> RecoveryError | ValidationError:
    """The form's field is `loans` (several), the link's is `loan`: name the one the user sees."""
    if isinstance(error, RecoveryError) and error.field == "loan":
        return RecoveryError(error.message, field="loans")
    if isinstance(error, ValidationError) and hasattr(error, "error_dict") and "loan" in error.error_dict:
        messages = error.message_dict
        messages["loans"] = messages.pop("loan")
        return ValidationError(messages)
    return error


@transaction.atomic
def loan_parties_set(
    *,
    case_party: CaseParty,
    loans: Iterable[Loan],
    terms: GuaranteeTerms | None = None,
    user: Any,
    source: str = "",
) -> list[LoanParty]:
    """Link the party to exactly these loans of its case (with these guarantee terms, for a
    guarantor): links to other loans are removed, missing ones added, each change audited.
    A loan the lawyer picks is confirmed (no longer awaiting review)."""
    wanted = {loan.pk: loan for loan in loans}
    if case_party.role not in LOAN_ROLES:
        if wanted:
            raise RecoveryError(
                _("Only a co-borrower, guarantor, mortgagor or pledgor is linked to loans."), field="loans"
            )
        return []
    if not wanted and Loan.objects.filter(case_id=case_party.case_id).exists():
        raise RecoveryError(_("Pick the loans this party owes, guarantees or secures."), field="loans")
    stored = {
        link.loan_id: link for link in LoanParty.objects.select_for_update().filter(case_party=case_party)
    }
    changed = False
    for loan_id, link in stored.items():
        if loan_id not in wanted:
            record_scope_check(instance=link, user=user)
            audit_delete(link, user=user, source=source, action=LOAN_PARTY_UNLINKED)
            link.delete()
            changed = True
    links: list[LoanParty] = []
    for loan_id, loan in wanted.items():
        link = stored.get(loan_id)
        before = snapshot(link) if link is not None else None
        if link is None:
            link = LoanParty(case_party=case_party, loan=loan)
        _apply_terms(link, case_party.role, terms)
        link.needs_review = False
        try:
            record_scope_check(instance=link, user=user)
            link.full_clean()
        except (RecoveryError, ValidationError) as error:
            raise _on_loans_field(error) from error
        link.save()
        if before is None:
            audit_create(link, user=user, source=source, action=LOAN_PARTY_LINKED)
            changed = True
        elif audit_change(link, user=user, before=before, source=source, action=LOAN_PARTY_UPDATED):
            changed = True
        links.append(link)
    if changed:
        case_facts_changed(case_ids={case_party.case_id}, user=user)
    return links


@transaction.atomic
def case_party_save(
    *,
    case_party: CaseParty,
    loans: Iterable[Loan],
    terms: GuaranteeTerms | None = None,
    user: Any,
    source: str = "",
) -> CaseParty:
    """Add or edit a party's role in a case together with the loans it concerns."""
    loans = list(loans)
    if case_party.pk is None:
        record_create(instance=case_party, user=user, source=source, action=CASE_PARTY_ADDED)
    else:
        stored_role = CaseParty.objects.filter(pk=case_party.pk).values_list("role", flat=True).first()
        record_update(instance=case_party, user=user, source=source, action=CASE_PARTY_UPDATED)
        if stored_role in LOAN_ROLES and case_party.role not in LOAN_ROLES:
            # The role no longer concerns loans (a guarantor recorded as a contact): its links go.
            _unlink_all(case_party, user=user, source=source)
            return case_party
    loan_parties_set(case_party=case_party, loans=loans, terms=terms, user=user, source=source)
    return case_party


@transaction.atomic
def case_party_remove(*, case_party: CaseParty, user: Any, source: str = "") -> None:
    """Take a party off a case (its links to the case's loans go with it)."""
    record_scope_check(instance=case_party, user=user)
    record_delete(instance=case_party, user=user, source=source, action=CASE_PARTY_REMOVED)


def _unlink_all(case_party: CaseParty, *, user: Any, source: str) -> None:
    links = list(LoanParty.objects.select_for_update().filter(case_party=case_party))
    for link in links:
        audit_delete(link, user=user, source=source, action=LOAN_PARTY_UNLINKED)
        link.delete()
    if links:
        case_facts_changed(case_ids={case_party.case_id}, user=user)


def _checked_link(link: LoanParty, user: Any) -> LoanParty:
    link = LoanParty.objects.select_for_update().select_related("case_party", "loan").get(pk=link.pk)
    record_scope_check(instance=link, user=user)
    return link


@transaction.atomic
def loan_party_confirm(*, link: LoanParty, user: Any) -> LoanParty:
    """A lawyer confirms a link the migration made without evidence of the loan (audited)."""
    link = _checked_link(link, user)
    if link.needs_review:
        before = snapshot(link)
        link.needs_review = False
        link.save(update_fields=["needs_review"])
        audit_change(link, user=user, before=before, source=REVIEW_SOURCE, action=LOAN_PARTY_UPDATED)
    return link


@transaction.atomic
def loan_party_remove(*, link: LoanParty, user: Any) -> None:
    """A lawyer removes a link: the party does not owe, guarantee or secure that loan. Its
    deadlines for that loan go with it (recomputed in the same transaction)."""
    link = _checked_link(link, user)
    case_id = link.loan.case_id
    audit_delete(link, user=user, source=REVIEW_SOURCE, action=LOAN_PARTY_UNLINKED)
    link.delete()
    case_facts_changed(case_ids={case_id}, user=user)


# --- reading ---------------------------------------------------------------------------------


@dataclass
class LoanSecurity:
    """One loan with who stands behind it and what secures it."""

    loan: Loan
    co_borrowers: list[LoanParty] = field(default_factory=list)
    guarantors: list[LoanParty] = field(default_factory=list)
    security_providers: list[LoanParty] = field(default_factory=list)  # mortgagors and pledgors
    collateral: list[tuple[Collateral, str]] = field(default_factory=list)  # item, action html
    extra: list[str] = field(default_factory=list)  # other apps' lines (assets with interests)


@dataclass
class CaseLoanSecurity:
    loans: list[LoanSecurity]
    to_review: list[LoanParty]
    unlinked: list[CaseParty]  # parties of a loan role linked to no loan: no deadline runs


def loan_security(loans: list[Loan], request: Any) -> CaseLoanSecurity:
    """Per loan: its links (with party) and collateral, in a fixed number of queries whatever
    the number of loans, plus what other apps add through the hooks."""
    loan_ids = [loan.pk for loan in loans]
    by_loan = {loan.pk: LoanSecurity(loan=loan) for loan in loans}
    links = list(
        LoanParty.objects.filter(loan_id__in=loan_ids)
        .select_related("case_party__party")
        .order_by("loan_id", "case_party__role", "case_party__party__name", "pk")
    )
    for link in links:
        entry = by_loan[link.loan_id]
        link.loan = entry.loan
        role = link.case_party.role
        if role == PartyRole.GUARANTOR:
            entry.guarantors.append(link)
        elif role == PartyRole.CO_BORROWER:
            entry.co_borrowers.append(link)
        else:
            entry.security_providers.append(link)
    items = list(Collateral.objects.filter(loan_id__in=loan_ids).order_by("loan_id", "pk"))
    actions: dict[int, str] = {}
    for contribute in hooks.get_hooks(COLLATERAL_ACTIONS_HOOK):
        actions.update(contribute(items, request))
    for item in items:
        by_loan[item.loan_id].collateral.append((item, SafeString(actions.get(item.pk, ""))))
    extra: dict[int, list[str]] = defaultdict(list)
    for contribute in hooks.get_hooks(LOAN_SECURITY_HOOK):
        for loan_id, lines in contribute(loans, request).items():
            extra[loan_id].extend(SafeString(line) for line in lines)
    for loan_id, lines in extra.items():
        if loan_id in by_loan:
            by_loan[loan_id].extra = lines
    return CaseLoanSecurity(
        loans=[by_loan[pk] for pk in loan_ids],
        to_review=[link for link in links if link.needs_review],
        unlinked=[],
    )


def case_loan_security(case: Case, request: Any) -> CaseLoanSecurity:
    """The case page's per-loan section: `case` comes with its loans and party roles prefetched
    (recovery.selectors.docket.case_page_queryset)."""
    data = loan_security(list(case.loans.all()), request)
    linked = {link.case_party_id for entry in data.loans for link in _links_of(entry)}
    data.unlinked = [
        case_party
        for case_party in case.case_parties.all()
        if case_party.role in LOAN_ROLES and case_party.pk not in linked
    ]
    return data


def _links_of(entry: LoanSecurity) -> list[LoanParty]:
    return entry.co_borrowers + entry.guarantors + entry.security_providers
