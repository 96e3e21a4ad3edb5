"""Generating a document on a case (#16): the case page's section and form, the stored and
audited document, the clear refusal when the case lacks what the template needs, and the
access-checked download."""

from datetime import date

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from documents.models import DocumentKind, DocumentTemplate, GeneratedDocument
from documents.selectors import templates_for_case
from documents.services import document_generate, document_template_add
from recovery.lib.links import case_path
from recovery.models import Branch, Role
from recovery.services import RecoveryError
from tests.documents.helpers import document_text, upload


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _template(name="催收通知书", *paragraphs, branch=None, active=True):
    return document_template_add(
        document_template=DocumentTemplate(
            name=name, kind=DocumentKind.DEMAND_LETTER, branch=branch, active=active
        ),
        file=upload(*(paragraphs or ("{{ case.number }} 致 {{ borrower.name }}，{{ court.name }}",))),
        user=None,
    )


def test_the_case_page_generates_keeps_and_audits_a_document(client, staff, make_case, media):
    template = _template()
    case = make_case(assignee=staff["lawyer"], name="张三")
    client.force_login(staff["lawyer"])
    page = client.get(case_path(case.pk)).content.decode()
    assert 'data-testid="case-documents"' in page
    url = reverse("documents_generate", args=[case.pk])
    assert url in page
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"template": template.pk, "court": "上海市浦东新区人民法院", "as_of": "2024-03-05"}
    )
    assert response.status_code == 302 and response["Location"] == case_path(case.pk)

    document = GeneratedDocument.objects.get()
    assert (
        document.case,
        document.template_version,
        document.as_of,
        document.court,
        document.created_by,
    ) == (
        case,
        template.current_version,
        date(2024, 3, 5),
        "上海市浦东新区人民法院",
        staff["lawyer"],
    )
    entry = ModelLogEntry.objects.get(object_id=str(document.pk), action="documents.document.generated")
    assert entry.user == staff["lawyer"]

    page = client.get(case_path(case.pk)).content.decode()
    download_url = reverse("documents_generated_download", args=[document.pk])
    assert download_url in page and "上海市浦东新区人民法院" in page
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    text = document_text(b"".join(download.streaming_content))
    assert text == f"{case.number} 致 张三，上海市浦东新区人民法院"


def test_a_case_without_what_the_template_needs_is_refused_naming_the_place(client, staff, make_case, media):
    template = _template(
        "执行申请书", "申请人：{{ creditor.name }}", "执行依据：{{ judgment.document_number }}"
    )
    case = make_case(assignee=staff["lawyer"])  # no judgment
    client.force_login(staff["lawyer"])
    before = ModelLogEntry.objects.count()
    response = client.post(
        reverse("documents_generate", args=[case.pk]), {"template": template.pk, "as_of": "2024-03-05"}
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors()) + " ".join(
        response.context["form"].errors.get("template", [])
    )
    assert "执行申请书" in errors and "{{ judgment.document_number }} (paragraph 2)" in errors
    assert not GeneratedDocument.objects.exists()
    assert ModelLogEntry.objects.count() == before
    assert not media.joinpath("generated_documents").exists() or not any(
        media.joinpath("generated_documents").iterdir()
    )
    # A date outside the supported range is refused on its field, before anything is rendered.
    response = client.post(
        reverse("documents_generate", args=[case.pk]), {"template": _template().pk, "as_of": "1800-01-01"}
    )
    assert response.status_code == 200 and "as_of" in response.context["form"].errors
    assert not GeneratedDocument.objects.exists()


def test_downloads_and_generation_are_refused_outside_scope_and_without_personal_data(
    client, staff, make_user, make_case, media
):
    template = _template()
    case = make_case(assignee=staff["lawyer"])
    document = document_generate(
        case=case, template=template, as_of=date(2024, 3, 5), court="", user=staff["lawyer"]
    )
    download_url = reverse("documents_generated_download", args=[document.pk])
    hangzhou_lawyer = make_user("hangzhou_lawyer", Role.LAWYER, "杭州分行")
    # Another branch's lawyer, another lawyer of the branch, another branch's manager.
    for user in (hangzhou_lawyer, staff["other_lawyer"], staff["other_manager"]):
        client.force_login(user)
        assert client.get(download_url).status_code == 404
        assert client.get(reverse("documents_generate", args=[case.pk])).status_code == 404
    client.force_login(staff["auditor"])  # sees the case, not personal data
    assert client.get(download_url).status_code == 404
    page = client.get(case_path(case.pk)).content.decode()
    assert download_url not in page and reverse("documents_generate", args=[case.pk]) not in page
    assert client.get(reverse("documents_generate", args=[case.pk])).status_code == 302
    # One generated by the system (no user) shows on the case page too.
    document_generate(case=case, template=template, as_of=date(2024, 3, 6), court="", user=None)
    for role in ("manager", "head"):
        client.force_login(staff[role])
        assert client.get(download_url).status_code == 200
        assert client.get(case_path(case.pk)).status_code == 200
    with pytest.raises(RecoveryError):
        document_generate(
            case=case, template=template, as_of=date(2024, 3, 5), court="", user=staff["other_lawyer"]
        )
    with pytest.raises(RecoveryError):
        document_generate(
            case=case, template=template, as_of=date(2024, 3, 5), court="", user=staff["auditor"]
        )
    assert GeneratedDocument.objects.count() == 2


def test_the_form_offers_active_templates_the_branchs_variants_first(staff, make_case, media):
    hangzhou = Branch.objects.get(name="杭州分行")
    shanghai = Branch.objects.get(name="上海分行")
    general = _template("A 通用")
    own = _template("Z 上海格式", branch=shanghai)
    _template("B 杭州格式", branch=hangzhou)
    _template("C 停用", active=False)
    case = make_case(assignee=staff["lawyer"])
    assert list(templates_for_case(case)) == [own, general]
