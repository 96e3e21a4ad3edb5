"""Money received on loans, as the user may see it: every receipt of their cases, the
recoveries on written-off loans (账销案存: reported apart, 呆账办法 art. 14), a case's receipts."""

from datetime import date
from typing import Any

from django.db.models import QuerySet

from recovery.models import Case, LoanReceipt
from recovery.selectors.access import cases_visible_to


def receipts_visible_to(user: Any) -> QuerySet[LoanReceipt]:
    """The receipts of the cases `user` may see, with their loan and case read along."""
    return LoanReceipt.objects.filter(
        loan__case__in=cases_visible_to(user).order_by().values("pk")
    ).select_related("loan", "loan__case")


def recoveries_after_write_off(*, user: Any, since: date | None = None) -> QuerySet[LoanReceipt]:
    """What was recovered on loans already written off, in the cases `user` may see; only
    what was received on or after `since` when given."""
    receipts = receipts_visible_to(user).filter(after_write_off=True)
    if since is not None:
        receipts = receipts.filter(received_on__gte=since)
    return receipts


def receipts_of_case(case: Case) -> QuerySet[LoanReceipt]:
    """The case's receipts, latest first (the caller has checked the case is in scope)."""
    return LoanReceipt.objects.filter(loan__case=case).select_related("loan")
