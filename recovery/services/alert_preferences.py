"""Each user's alert preferences: the hour of the daily digest, the language of alert mails
and of the calendar feed, and the private calendar-feed address (revocable).

There is deliberately no way to switch alerts off: the statutory deadlines of one's own cases
always alert. Every write is validated, audited and runs in one transaction; the calendar
token itself is never written to the audit trail (it is a credential).
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy

from recovery.lib.audit import AuditKind, audit_action, audit_change, audit_note, snapshot
from recovery.models import AlertPreference, _calendar_token
from recovery.services import RecoveryError

CALENDAR_TOKEN_REVOKED = "recovery.calendar_token_revoke"  # noqa: S105  an audit action code, no secret
ALERT_PREFERENCE_CREATED = audit_action(
    "recovery.alert_preference.created",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Create one's alert preferences"),
    past_label=gettext_lazy("Alert preferences created"),
)
ALERT_PREFERENCE_UPDATED = audit_action(
    "recovery.alert_preference.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Change one's alert preferences"),
    past_label=gettext_lazy("Alert preferences changed"),
)
CALENDAR_URL_NAME = "recovery_calendar_feed"
# Fields of a preference shown in the audit trail (the token is a secret: never logged).
AUDITED_FIELDS = ("digest_hour", "language")


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in AUDITED_FIELDS if name in values}


@transaction.atomic
def alert_preference_for(*, user: Any) -> AlertPreference:
    """The user's preferences, created with the defaults (08:00, the site language) if new."""
    preference, created = AlertPreference.objects.get_or_create(
        user=user, defaults={"language": settings.LANGUAGE_CODE}
    )
    if created:
        audit_note(
            preference,
            user=user,
            action=ALERT_PREFERENCE_CREATED,
            data={"values": _audited(snapshot(preference)), "source": "alert preferences"},
        )
    return preference


@transaction.atomic
def alert_preference_update(*, user: Any, digest_hour: int, language: str) -> dict:
    """Set the hour of the daily digest (0–23, Asia/Shanghai) and the language of alerts.
    Returns the changes (old → new); raises RecoveryError on a bad value."""
    try:
        hour = int(digest_hour)
    except (TypeError, ValueError):
        hour = -1
    if not 0 <= hour <= 23:
        raise RecoveryError("The digest hour must be a whole hour from 0 to 23.", field="digest_hour")
    if language not in dict(settings.LANGUAGES):
        raise RecoveryError(f"Unknown language {language!r}.", field="language")
    alert_preference_for(user=user)
    preference = AlertPreference.objects.select_for_update().get(user=user)
    before = snapshot(preference)
    preference.digest_hour = hour
    preference.language = language
    preference.full_clean()
    preference.save(update_fields=["digest_hour", "language"])
    return audit_change(
        preference, user=user, before=before, source="alert preferences", action=ALERT_PREFERENCE_UPDATED
    )


@transaction.atomic
def calendar_token_revoke(*, user: Any) -> AlertPreference:
    """Give the user a new calendar-feed address; the old one answers 404 from now on."""
    alert_preference_for(user=user)
    preference = AlertPreference.objects.select_for_update().get(user=user)
    preference.calendar_token = _calendar_token()
    preference.save(update_fields=["calendar_token"])
    audit_note(preference, user=user, action=CALENDAR_TOKEN_REVOKED, data={"source": "alert preferences"})
    return preference


def calendar_feed_url(preference: AlertPreference) -> str:
    """The absolute address of the user's private calendar feed (.ics)."""
    return settings.BASE_URL + reverse(CALENDAR_URL_NAME, args=[preference.calendar_token])


def calendar_subscribe_url(preference: AlertPreference) -> str:
    """The same feed as a webcal:// link, which calendar apps open as a subscription."""
    url = calendar_feed_url(preference)
    return "webcal://" + url.split("://", 1)[1] if "://" in url else url
