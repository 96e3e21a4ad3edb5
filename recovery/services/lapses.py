"""Lapsed deadlines: the right they protected is said to be lost once, then decided.

A deadline lapses when its act-by date passes and nothing made it done
(`recovery.deadlines.lapse.is_lapsed`). The alert job sends one lapse notice per person
(recovery.services.alerts), the digests and the calendar feed leave it out afterwards, and
the case page and the deadline listing show it as lapsed until the lawyer records a decision
here (`deadline_lapse_decide`). The recompute clears the decision when the act-by date moves:
a proof recorded later can make the deadline live again.
"""

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recovery.deadlines.lapse import is_lapsed, lapse_consequence
from recovery.lib.audit import audit_note
from recovery.lib.links import case_url
from recovery.models import Alert, Deadline, LapseDecision
from recovery.selectors.access import cases_editable_by
from recovery.services import RecoveryError

LAPSE_DECIDED = "recovery.deadline.lapse_decided"
LAPSE_DECISION_CLEARED = "recovery.deadline.lapse_decision_cleared"
# What the recompute writes over a decision when the act-by date moves.
DECISION_CLEARED = {
    "lapse_decision": "",
    "lapse_reason": "",
    "lapse_decided_by": None,
    "lapse_decided_at": None,
}


# --- reads ---------------------------------------------------------------------------------


def lapse_notice(deadline: Deadline, *, language: str) -> dict[str, Any]:
    """What a lapse means for this deadline, for a reader of `language`: what was lost, what
    follows, the articles; and, for a date that hangs on an unproven fact, the date that
    holds once it is proven."""
    consequence = lapse_consequence(deadline.kind).text(language)
    later = deadline.later_once_proven
    return {
        "deadline": deadline,
        "act_by": deadline.act_by,
        "safe_end_once_proven": later,
        "at_risk_note": deadline.at_risk_note if later else "",
        **consequence,
    }


def lapse_notices(alerts: list[Alert], *, language: str) -> list[dict[str, Any]]:
    """The lapse notices of a digest, case by case."""
    notices = [
        {
            **lapse_notice(alert.deadline, language=language),
            "alert": alert,
            "case": alert.deadline.case,
            "party": alert.deadline.party,
            "subject": alert.deadline.subject,
            "role": alert.recipient_role,
            "url": case_url(alert.deadline.case_id),
        }
        for alert in alerts
    ]
    notices.sort(key=lambda notice: (notice["case"].number, notice["act_by"], notice["alert"].pk))
    return notices


# --- the decision --------------------------------------------------------------------------


@transaction.atomic
def deadline_lapse_decide(
    *, deadline: Deadline, decision: str, reason: str, user: Any, today: date | None = None
) -> Deadline:
    """Record what the lawyer decided about a lapsed deadline (audited). Refused for a deadline
    out of the user's scope, one that has not lapsed (or is done), an unknown decision or no reason."""
    today = today or timezone.localdate()
    locked = (
        Deadline.objects.select_for_update()
        .filter(pk=deadline.pk, case__in=cases_editable_by(user).order_by().values("pk"))
        .first()
    )
    if locked is None:
        raise RecoveryError(_("You may not record a decision on this deadline."))
    if decision not in LapseDecision.values:
        raise RecoveryError(_("Choose one of the decisions offered."), field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise RecoveryError(_("Give the reason for the decision."), field="reason")
    if not is_lapsed(locked.act_by, locked.done, today):
        raise RecoveryError(
            _("This deadline has not lapsed (its act-by date %(day)s has not passed, or it is done).")
            % {"day": locked.act_by.isoformat() if locked.act_by else "—"}
        )
    previous = [locked.lapse_decision, locked.lapse_reason]
    locked.lapse_decision = decision
    locked.lapse_reason = reason[:500]
    locked.lapse_decided_by = user
    locked.lapse_decided_at = timezone.now()
    locked.save(update_fields=["lapse_decision", "lapse_reason", "lapse_decided_by", "lapse_decided_at"])
    audit_note(
        locked,
        user=user,
        action=LAPSE_DECIDED,
        data={
            "decision": decision,
            "reason": locked.lapse_reason,
            "act_by": locked.act_by.isoformat(),
            "kind": locked.kind,
            "previous": previous if previous[0] else None,
        },
    )
    return locked


def lapse_decisions_clear(*, deadlines: list[Deadline], old_act_by: dict[int, date | None]) -> None:
    """The recompute moved these deadlines' act-by dates: their decisions no longer apply.
    Called by `deadlines_recompute` within its transaction (audited, no acting user)."""
    if not deadlines:
        return
    Deadline.objects.filter(pk__in=[deadline.pk for deadline in deadlines]).update(**DECISION_CLEARED)
    for deadline in deadlines:
        old = old_act_by.get(deadline.pk)
        audit_note(
            deadline,
            user=None,
            action=LAPSE_DECISION_CLEARED,
            data={
                "old_act_by": old.isoformat() if old else None,
                "act_by": deadline.act_by.isoformat() if deadline.act_by else None,
            },
        )


__all__ = [
    "LAPSE_DECIDED",
    "LAPSE_DECISION_CLEARED",
    "deadline_lapse_decide",
    "lapse_decisions_clear",
    "lapse_notice",
    "lapse_notices",
]
