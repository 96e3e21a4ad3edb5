"""Where a case lives in the interface: one place for the URL every page, mail and feed links to."""

from django.conf import settings
from django.urls import reverse

CASE_URL_NAME = "wagtailsnippets_recovery_case:inspect"


def case_path(case_id: int) -> str:
    return reverse(CASE_URL_NAME, args=[case_id])


def case_url(case_id: int) -> str:
    """Absolute, for e-mails and calendar feeds (BASE_URL is the public address)."""
    return settings.BASE_URL + case_path(case_id)
