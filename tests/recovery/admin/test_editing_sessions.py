"""Wagtail's editing-session ping and release (finding 14 of issue 11).

The ping answers "who else has this record open", so it must be as scoped as the record's own
edit view: a 404 for a record the user may not change, and no names of colleagues working on it.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from wagtail.admin.models import EditingSession

from litigation.models import Hearing, Lawsuit
from recovery.models import Case, CollectionAction


def _ping_url(obj, session_id: int = 0) -> str:
    meta = obj._meta
    return reverse(
        "wagtailadmin_editing_sessions:ping", args=(meta.app_label, meta.model_name, obj.pk, session_id)
    )


def _open_session(obj, user) -> EditingSession:
    """What Wagtail's edit view creates when `user` opens the record's editor."""
    from django.utils import timezone

    return EditingSession.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        last_seen_at=timezone.now(),
        is_editing=True,
    )


@pytest.fixture
def cases(staff, make_case):
    own = make_case(assignee=staff["lawyer"])
    other = make_case(assignee=staff["other_lawyer"], branch="杭州分行")
    return {"own": own, "other": other}


def _records(case) -> dict:
    suit = Lawsuit.objects.create(
        case=case,
        court="某法院",
        cause_of_action="金融借款合同纠纷",
        claim_amount=Decimal("1.00"),
        filed_on=date(2024, 1, 1),
    )
    return {
        "case": case,
        "collectionaction": CollectionAction.objects.create(
            case=case, kind="call", acted_on=date(2024, 2, 1)
        ),
        "hearing": Hearing.objects.create(lawsuit=suit, date=date(2024, 5, 1)),
        "party": case.debtor,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["case", "collectionaction", "hearing", "party"])
def test_it_answers_404_for_a_record_out_of_scope_and_names_nobody(client, staff, cases, model):
    record = _records(cases["other"])[model]
    _open_session(record, staff["other_lawyer"])
    client.force_login(staff["lawyer"])

    response = client.post(_ping_url(record))

    assert response.status_code == 404
    assert b"other_lawyer" not in response.content
    # No session was recorded for the lawyer on a record they may not change.
    assert not EditingSession.objects.filter(user=staff["lawyer"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["case", "collectionaction", "hearing", "party"])
def test_it_still_shows_colleagues_on_a_record_in_scope(client, staff, cases, model):
    record = _records(cases["own"])[model]
    _open_session(record, staff["manager"])
    client.force_login(staff["lawyer"])

    response = client.post(_ping_url(record))

    assert response.status_code == 200
    assert [s["user"] for s in response.json()["other_sessions"]] == ["manager"]


@pytest.mark.django_db
def test_an_auditor_who_may_read_but_not_change_gets_404(client, staff, cases):
    _open_session(cases["own"], staff["lawyer"])
    client.force_login(staff["auditor"])

    response = client.post(_ping_url(cases["own"]))

    assert response.status_code == 404
    assert b"lawyer" not in response.content


@pytest.mark.django_db
def test_it_answers_404_for_a_record_that_does_not_exist_or_a_bad_id(client, staff, cases):
    client.force_login(staff["head"])
    missing = Case(pk=cases["other"].pk + 1000)
    assert client.post(_ping_url(missing)).status_code == 404
    bad = reverse("wagtailadmin_editing_sessions:ping", args=("recovery", "case", "not-a-number", 0))
    assert client.post(bad).status_code == 404
    unknown = reverse("wagtailadmin_editing_sessions:ping", args=("recovery", "nosuchmodel", "1", 0))
    assert client.post(unknown).status_code == 404


@pytest.mark.django_db
def test_records_without_an_editor_have_no_editing_session(client, staff, cases):
    """Computed deadlines and import runs are written only by services: no editor, no ping."""
    from django.utils import timezone

    from recovery.models import Deadline

    deadline = Deadline.objects.create(
        case=cases["own"],
        key="limitation:test",
        kind="limitation",
        rule="limitation",
        subject="test",
        trigger=date(2024, 1, 1),
        status="running",
        computed_at=timezone.now(),
    )
    client.force_login(staff["head"])
    assert client.post(_ping_url(deadline)).status_code == 404


@pytest.mark.django_db
def test_the_head_still_pings_reference_data(client, staff, branches):
    client.force_login(staff["head"])
    assert client.post(_ping_url(branches["上海分行"])).status_code == 200
    client.force_login(staff["lawyer"])
    assert client.post(_ping_url(branches["上海分行"])).status_code == 404


@pytest.mark.django_db
def test_release_answers_404_for_someone_elses_session_and_keeps_it(client, staff, cases):
    session = _open_session(cases["other"], staff["other_lawyer"])
    client.force_login(staff["lawyer"])

    response = client.post(reverse("wagtailadmin_editing_sessions:release", args=(session.pk,)))

    assert response.status_code == 404
    assert EditingSession.objects.filter(pk=session.pk).exists()


@pytest.mark.django_db
def test_release_ends_ones_own_session(client, staff, cases):
    session = _open_session(cases["own"], staff["lawyer"])
    client.force_login(staff["lawyer"])

    response = client.post(reverse("wagtailadmin_editing_sessions:release", args=(session.pk,)))

    assert response.status_code == 200
    assert not EditingSession.objects.filter(pk=session.pk).exists()


@pytest.mark.django_db
def test_anonymous_pings_go_to_the_login(client, cases):
    response = client.post(_ping_url(cases["own"]))
    assert response.status_code == 302
    assert reverse("wagtailadmin_login") in response.url


# ---- Wagtail's page reordering (recovery/wagtail_guards.py) ---------------------------------------


@pytest.mark.django_db
def test_reordering_the_root_page_is_a_404_not_a_500(client, staff):
    """Wagtail asks the page's parent for permission; the root has none and the view crashed."""
    from wagtail.models import Page

    root = Page.objects.get(depth=1)
    client.force_login(staff["lawyer"])
    client.raise_request_exception = False

    response = client.post(reverse("wagtailadmin_pages:set_page_position", args=(root.pk,)))

    assert response.status_code == 404


@pytest.mark.django_db
def test_reordering_a_page_still_needs_wagtails_permission(client, staff):
    from wagtail.models import Page

    page = Page.objects.filter(depth=2).first()
    client.force_login(staff["lawyer"])

    response = client.post(reverse("wagtailadmin_pages:set_page_position", args=(page.pk,)))

    # Wagtail's answer to a missing permission: back to the dashboard, nothing moved.
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert Page.objects.filter(depth=2).first().pk == page.pk


# ---- Wagtail's CMS side: pages, documents, images, their choosers and API -------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/choose-page/",
        "/admin/choose-page/search/?q=x",
        "/admin/api/main/pages/",
        "/admin/documents/chooser/",
        "/admin/images/chooser/results/?q=x",
        "/admin/pages/",
        "/admin/workflows/task_chooser/",
        # Wagtail's deliberate 500 for testing error pages: any staff user could raise it.
        "/admin/failwhale/",
    ],
)
@pytest.mark.parametrize("role", ["lawyer", "head", "auditor"])
def test_the_cms_side_is_not_found_for_the_products_roles(client, staff, role, url):
    """The product keeps nothing there; Wagtail opened its choosers and API to every admin user
    and its searches crashed (the search app is not installed)."""
    client.force_login(staff[role])
    client.raise_request_exception = False
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_superuser_still_reaches_wagtails_cms_views(client, django_user_model):
    admin = django_user_model.objects.create_superuser("sysadmin", "sysadmin@example.com", "x" * 16)
    client.force_login(admin)
    assert client.get("/admin/choose-page/").status_code == 200
    assert client.get("/admin/documents/chooser/").status_code == 200


def test_anonymous_visitors_of_the_cms_side_go_to_the_login(client):
    response = client.get("/admin/choose-page/")
    assert response.status_code == 302 and reverse("wagtailadmin_login") in response.url
