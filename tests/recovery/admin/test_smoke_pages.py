import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_it_shows_the_lawyer_their_case_page(client, staff, make_case, make_action):
    case = make_case(assignee=staff["lawyer"])
    make_action(case, reached=True, delivered_on=case.opened_on, outcome="签收")
    client.force_login(staff["lawyer"])
    for url in [
        reverse("wagtailadmin_home"),
        reverse("wagtailsnippets_recovery_case:list"),
        reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk]),
        reverse("wagtailsnippets_recovery_case:edit", args=[case.pk]),
        reverse("wagtailsnippets_recovery_collectionaction:add") + f"?case={case.pk}",
        reverse("wagtailsnippets_litigation_lawsuit:list"),
        reverse("wagtailsnippets_recovery_party:list"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])).content.decode()
    assert case.debtor.name in page
    assert "签收" in page
