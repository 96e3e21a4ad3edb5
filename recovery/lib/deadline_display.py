"""How a stored deadline's act-by date reads wherever it is shown: the case page, the listing,
the dashboard, the digest, the calendar feed and the what-if page all say it the same way.

Where an unproven fact moves the date (or keeps a deadline from being done), both are said:
"act by 2026-12-22 (2027-01-21 once “上门催收，2024-06-25 送达” is proven — upload the proof)",
with the facts named and "upload the proof" linking to the collection action where the proof
is recorded. And the "why" of a deadline is the step of the rule that set its date, not the
last step of the explanation (which is usually the working-day rounding).
"""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from recovery.deadlines.docket import ACT_BY_STEP
from recovery.deadlines.model import StepKind
from recovery.models import Deadline, Role
from recovery.selectors.access import role_of

FACT_SEPARATOR = "、"


def why_step(steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The step that set the date: the act-by step where unproven facts were left out, else the
    last step that set the period's last day (its start under the rule, or the interruption or
    suspension that set it anew). Rows stored before steps had kinds: their first step."""
    if not steps:
        return None
    for kind in (ACT_BY_STEP, StepKind.PERIOD.value):
        found = [step for step in steps if step.get("kind") == kind]
        if found:
            return found[-1]
    return steps[0]


def why_text(steps: list[dict[str, Any]]) -> tuple[str, str]:
    """(text, source) of `why_step`, empty when there are no steps."""
    step = why_step(steps)
    return (step.get("text", ""), step.get("source", "")) if step else ("", "")


def proof_path(deadline: Deadline) -> str:
    """The edit page of the first unproven fact's collection action (where its proof is
    recorded), or "" when the fact comes from no action. The page itself is scoped."""
    for fact in deadline.unproven_facts:
        if fact.get("action"):
            return reverse("wagtailsnippets_recovery_collectionaction:edit", args=[fact["action"]])
    return ""


def may_upload_proof(user: Any) -> bool:
    """Everyone with a role except the auditor, who changes nothing."""
    return role_of(user) not in (None, Role.AUDITOR)


def _facts(deadline: Deadline) -> str:
    return FACT_SEPARATOR.join(f"“{fact['label']}”" for fact in deadline.unproven_facts)


def _once_proven_message(deadline: Deadline) -> tuple[str, dict[str, str]]:
    """The parenthesis' message, translated, and its values except `upload`."""
    facts = _facts(deadline)
    if deadline.done_once_proven:
        return _("done once %(facts)s is proven — %(upload)s"), {"facts": facts}
    safe_end = deadline.safe_end.isoformat() if deadline.safe_end else "—"
    return _("%(safe_end)s once %(facts)s is proven — %(upload)s"), {"safe_end": safe_end, "facts": facts}


def once_proven_html(deadline: Deadline, *, link: bool, absolute: bool = False) -> SafeString:
    """'2027-01-21 once “…” is proven — <a>upload the proof</a>', or "" when nothing awaits proof."""
    if not deadline.awaits_proof:
        return mark_safe("")  # noqa: S308 - a constant
    path = proof_path(deadline) if link else ""
    label = _("upload the proof")
    if path:
        upload = format_html(
            '<a href="{}" data-testid="upload-proof">{}</a>', _absolute(path, absolute), label
        )
    else:
        upload = conditional_escape(label)
    message, values = _once_proven_message(deadline)
    escaped = {name: conditional_escape(value) for name, value in values.items()}
    return mark_safe(conditional_escape(message) % {**escaped, "upload": upload})  # noqa: S308 - all escaped


def once_proven_text(deadline: Deadline, *, link: bool = True) -> str:
    """The same in plain text (mail, calendar): the link is written out after "upload the proof"."""
    if not deadline.awaits_proof:
        return ""
    path = proof_path(deadline) if link else ""
    upload = _("upload the proof")
    if path:
        upload = f"{upload}: {_absolute(path, True)}"
    message, values = _once_proven_message(deadline)
    return message % {**values, "upload": upload}


def act_by_sentence(deadline: Deadline, *, link: bool = True) -> str:
    """'act by 2026-12-22 (2027-01-21 once “…” is proven — upload the proof: URL)', plain text;
    just the date where nothing awaits proof."""
    day = deadline.act_by.isoformat() if deadline.act_by else "—"
    once = once_proven_text(deadline, link=link)
    if not once:
        return day
    return _("act by %(act_by)s (%(once_proven)s)") % {"act_by": day, "once_proven": once}


def _absolute(path: str, absolute: bool) -> str:
    return settings.BASE_URL + path if absolute else path
