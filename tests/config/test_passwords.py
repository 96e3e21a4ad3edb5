"""Passwords: Django's four validators, at least 12 characters, nothing close to the user name."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError


@pytest.mark.parametrize(
    ("password", "username"),
    [
        ("lawyer2lawyer2", "lawyer"),  # the user name twice: long enough, still guessable
        ("83726150", "lawyer"),  # digits only, and short
        ("837261509918", "lawyer"),  # digits only, 12 of them
        ("password1234", "lawyer"),  # a common password
        ("Xk3!pq9", "lawyer"),  # shorter than 12
    ],
)
def test_weak_passwords_are_refused(password, username):
    user = get_user_model()(username=username, email=f"{username}@example.com")
    with pytest.raises(ValidationError):
        validate_password(password, user=user)


def test_a_good_password_is_accepted():
    user = get_user_model()(username="lawyer", email="lawyer@example.com")
    validate_password("tidal-Orchid-57-quarry", user=user)


@pytest.mark.django_db
def test_seed_demo_passwords_pass_the_validators(capsys):
    from django.core.management import call_command

    call_command("seed_demo")
    out = capsys.readouterr().out
    User = get_user_model()
    checked = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and User.objects.filter(username=parts[0]).exists():
            user = User.objects.get(username=parts[0])
            assert user.check_password(parts[1])
            validate_password(parts[1], user=user)
            checked += 1
    assert checked >= 5
