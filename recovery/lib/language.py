"""The language a user is written to in: one rule for every mail and for the calendar feed."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model


def language_for(user: Any) -> str:
    """The language `user` reads what is sent to them in (alert digests, the calendar feed, the
    import and first-seizure notices): the one they chose for alert mails, else the one of their
    Wagtail account, else the site's (Chinese). One query, whichever applies."""
    from wagtail.users.models import UserProfile

    if user is None or getattr(user, "pk", None) is None:
        return settings.LANGUAGE_CODE
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .values_list(
            "alert_preference__language", "wagtail_userprofile__pk", "wagtail_userprofile__preferred_language"
        )
        .first()
    )
    if row is None:
        return settings.LANGUAGE_CODE
    alert_language, profile_id, admin_language = row
    if alert_language:
        return alert_language
    if profile_id is not None:
        # Wagtail's own rule for an account without a choice (the admin language in use).
        return UserProfile(preferred_language=admin_language).get_preferred_language()
    return settings.LANGUAGE_CODE
