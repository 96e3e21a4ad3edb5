"""The language a user is written to in: one rule for every mail and for the calendar feed."""

from typing import Any

from django.conf import settings


def language_for(user: Any) -> str:
    """The language `user` reads what is sent to them in (alert digests, the calendar feed, the
    import and first-seizure notices): the one they chose for alert mails, else the one of their
    Wagtail account, else the site's (Chinese)."""
    from recovery.models import AlertPreference

    preference = AlertPreference.objects.filter(user=user).values_list("language", flat=True).first()
    if preference:
        return preference
    profile = getattr(user, "wagtail_userprofile", None)
    return profile.get_preferred_language() if profile is not None else settings.LANGUAGE_CODE
