"""Users are shown by their names as they are written: Chinese family name first."""

import pytest
from django.contrib.auth import get_user_model

from recovery.admin.accounts import full_name


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [
        ("明", "赵", "赵明"),
        ("建华", "王", "王建华"),
        ("Ming", "Zhao", "Ming Zhao"),
        ("", "赵", "赵"),
        ("Ming", "", "Ming"),
        ("", "", ""),
        (" 静 ", "李", "李静"),
    ],
)
def test_full_name_follows_the_writing_of_the_name(first, last, shown):
    assert full_name(first, last) == shown


def test_every_user_is_shown_family_name_first():
    user = get_user_model()(username="zhao", first_name="明", last_name="赵")
    assert user.get_full_name() == "赵明"
