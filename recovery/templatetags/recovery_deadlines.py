"""Template tags of the deadlines: the act-by date said the same way on every page and mail."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from recovery.lib.deadline_display import may_upload_proof, once_proven_html, once_proven_text
from recovery.models import Deadline

register = template.Library()


@register.simple_tag(takes_context=True)
def once_proven(
    context: Any, deadline: Deadline, link: bool | None = None, absolute: bool = False
) -> SafeString:
    """'2027-01-21 once “…” is proven — upload the proof' (linked to where the proof is recorded
    when `link`, by default when the request's user may change records), or "".
    `absolute` writes the link with BASE_URL, for mail."""
    if link is None:
        request = context.get("request")
        link = request is not None and may_upload_proof(request.user)
    return once_proven_html(deadline, link=link, absolute=absolute)


@register.simple_tag
def once_proven_plain(deadline: Deadline) -> str:
    """The same in plain text (text mail): the proof's address written out, with BASE_URL."""
    return once_proven_text(deadline, link=True)
