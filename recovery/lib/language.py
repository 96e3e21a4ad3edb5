"""The language a user is written to in: one rule for every mail and for the calendar feed."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model


def language_for(user: Any) -> str:
    """The language `user` reads what is sent to them in (alert digests, the calendar feed, the
    import and first-seizure notices): the one they chose for alert mails, else the one of their
    Wagtail account, else the site's (Chinese). One query, whichever applies."""
    if user is None or getattr(user, "pk", None) is None:
        return settings.LANGUAGE_CODE
    return languages_for([user.pk]).get(user.pk, settings.LANGUAGE_CODE)


def languages_for(user_ids: Iterable[int]) -> dict[int, str]:
    """`language_for` of many users in one query (a batch of digests), by user id; a user id
    that does not exist is absent."""
    from wagtail.users.models import UserProfile

    rows = (
        get_user_model()
        .objects.filter(pk__in=list(user_ids))
        .values_list(
            "pk",
            "alert_preference__language",
            "wagtail_userprofile__pk",
            "wagtail_userprofile__preferred_language",
        )
    )
    languages: dict[int, str] = {}
    for user_id, alert_language, profile_id, admin_language in rows:
        if alert_language:
            languages[user_id] = alert_language
        elif profile_id is not None:
            # Wagtail's own rule for an account without a choice (the admin language in use).
            languages[user_id] = UserProfile(preferred_language=admin_language).get_preferred_language()
        else:
            languages[user_id] = settings.LANGUAGE_CODE
    return languages
