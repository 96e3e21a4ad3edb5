"""recovery.lib.language.language_for: one rule for the language every mail and feed is written in."""

import pytest
from wagtail.users.models import UserProfile

from recovery.lib.language import language_for
from recovery.models import AlertPreference, Role
from recovery.services.alert_preferences import alert_preference_update


@pytest.fixture
def lawyer(make_user):
    return make_user("language_lawyer", Role.LAWYER)


def _admin_language(user, language: str) -> None:
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()


@pytest.mark.django_db
def test_without_any_choice_it_is_the_site_language(lawyer, settings):
    assert language_for(lawyer) == settings.LANGUAGE_CODE == "zh-hans"


@pytest.mark.django_db
def test_the_alert_mail_language_is_the_users_choice(lawyer):
    alert_preference_update(user=lawyer, digest_hour=8, language="en")
    assert language_for(lawyer) == "en"


@pytest.mark.django_db
def test_without_alert_preferences_the_admin_language_counts(lawyer):
    _admin_language(lawyer, "en")
    assert not AlertPreference.objects.filter(user=lawyer).exists()
    assert language_for(lawyer) == "en"


@pytest.mark.django_db
def test_the_alert_mail_language_wins_over_the_admin_language(lawyer):
    _admin_language(lawyer, "en")
    alert_preference_update(user=lawyer, digest_hour=8, language="zh-hans")
    assert language_for(lawyer) == "zh-hans"


@pytest.mark.django_db
def test_it_costs_one_query_whichever_applies(lawyer, django_assert_num_queries):
    with django_assert_num_queries(1):
        language_for(lawyer)
    _admin_language(lawyer, "en")
    alert_preference_update(user=lawyer, digest_hour=8, language="zh-hans")
    with django_assert_num_queries(1):
        assert language_for(lawyer) == "zh-hans"


def test_no_user_means_the_site_language(settings):
    assert language_for(None) == settings.LANGUAGE_CODE
