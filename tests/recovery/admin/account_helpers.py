"""The account page (Wagtail's, with our alert settings tab) as the tests post it."""

from django.urls import reverse

ACCOUNT = "wagtailadmin_account"


def account_form_data(client) -> dict:
    """What the account page's form posts when the user changes nothing: every panel's values
    as rendered (the names as they are, blank included: a missing 姓 must not block another
    tab), no password, no new picture."""
    response = client.get(reverse(ACCOUNT))
    assert response.status_code == 200
    data = {}
    for panels in response.context["panels_by_tab"].values():
        for panel in panels:
            if panel.name in ("password", "avatar"):
                continue
            for field in panel.get_form():
                value = field.value()
                if value is not None:
                    data[field.html_name] = value
    return data
