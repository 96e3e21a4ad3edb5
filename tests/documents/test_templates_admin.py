"""Document templates in the admin (#16): upload checks naming the template's place, versions,
who keeps them, the preview on a case in scope, and the demo's shipped templates."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.demo import seed_demo_templates
from documents.models import DocumentKind, DocumentTemplate, DocumentTemplateVersion, GeneratedDocument
from documents.services import document_template_add, document_template_update
from recovery.services import RecoveryError
from tests.documents.helpers import document_text, upload

ADD_URL = reverse("wagtailsnippets_documents_documenttemplate:add")


def _post_add(client, user, file, name="起诉状（上海）"):
    client.force_login(user)
    return client.post(ADD_URL, {"name": name, "kind": DocumentKind.COMPLAINT, "court": "", "file": file})


def _errors(response) -> str:
    form = response.context["form"]
    return " ".join(str(message) for messages in form.errors.values() for message in messages)


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (
            SimpleUploadedFile("template.docx", b"%PDF-1.4 not a word file"),
            "PDF",
        ),
        (SimpleUploadedFile("template.pdf", b"%PDF-1.4"), ".pdf"),
        (
            upload("原告：{{ creditor.name }}", "被告：{{ borrower.name| }}"),
            "{{ borrower.name| }} (paragraph 2)",
        ),
        (
            upload("案号 {{ case.number }}", "", "{{ debtor.nmae }}"),
            "{{ debtor.nmae }} (paragraph 3): unknown name",
        ),
    ],
    ids=["not-a-docx", "wrong-extension", "syntax", "unknown-name"],
)
def test_a_refused_upload_names_the_problem_and_stores_nothing(client, staff, file, expected):
    response = _post_add(client, staff["manager"], file)
    assert response.status_code == 200
    assert expected in _errors(response)
    assert not DocumentTemplate.objects.exists()
    assert not DocumentTemplateVersion.objects.exists()


def test_a_new_template_is_version_1_and_each_upload_the_next(client, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = _post_add(
        client, staff["manager"], upload("致 {{ borrower.name }}：", "{{ totals.claim|money }}")
    )
    assert response.status_code == 302, _errors(response)
    template = DocumentTemplate.objects.get()
    first = template.versions.get()
    assert (first.number, first.uploaded_by, first.original_name) == (1, staff["manager"], "template.docx")
    assert first.names_used == ["borrower", "totals"]

    edit = reverse("wagtailsnippets_documents_documenttemplate:edit", args=[template.pk])
    client.force_login(staff["head"])
    response = client.post(
        edit,
        {"name": template.name, "kind": template.kind, "active": "on", "file": upload("{{ case.number }}")},
    )
    assert response.status_code == 302
    assert list(template.versions.values_list("number", flat=True)) == [2, 1]
    assert template.current_version.names_used == ["case"]
    # An edit without a file keeps the versions; a bad file adds none and says why.
    client.post(edit, {"name": "催告函", "kind": template.kind, "active": "on"})
    response = client.post(edit, {"name": "催告函", "kind": template.kind, "file": upload("{{ nope }}")})
    assert "{{ nope }} (paragraph 1): unknown name 'nope'" in _errors(response)
    template.refresh_from_db()
    assert template.name == "催告函" and template.versions.count() == 2

    download = client.get(reverse("documents_template_version_download", args=[first.pk]))
    assert download.status_code == 200
    assert "{{ totals.claim|money }}" in document_text(b"".join(download.streaming_content))


def test_lawyers_and_auditors_read_templates_but_do_not_keep_them(client, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    template = document_template_add(
        document_template=DocumentTemplate(name="催收通知书", kind=DocumentKind.DEMAND_LETTER),
        file=upload("{{ case.number }}"),
        user=staff["manager"],
    )
    for role in ("lawyer", "auditor"):
        user = staff[role]
        assert user.has_perm("documents.view_documenttemplate")
        assert not user.has_perm("documents.add_documenttemplate")
        assert not user.has_perm("documents.change_documenttemplateversion")
        client.force_login(user)
        assert client.get(reverse("wagtailsnippets_documents_documenttemplate:list")).status_code == 200
        before = template.versions.count()
        client.post(
            reverse("wagtailsnippets_documents_documenttemplate:edit", args=[template.pk]),
            {"name": "x", "kind": template.kind, "file": upload("{{ case.number }}")},
        )
        assert template.versions.count() == before
        with pytest.raises(RecoveryError):
            document_template_update(document_template=template, file=upload("{{ today }}"), user=user)
    assert staff["manager"].has_perm("documents.change_documenttemplate")
    # Documents are written only by generating them: every role reads, nobody edits.
    assert staff["lawyer"].has_perm("documents.view_generateddocument")
    assert not staff["head"].has_perm("documents.change_generateddocument")


def test_the_preview_renders_a_case_in_scope_and_keeps_nothing(client, staff, make_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    template = document_template_add(
        document_template=DocumentTemplate(name="催收通知书", kind=DocumentKind.DEMAND_LETTER),
        file=upload("案号 {{ case.number }}，致 {{ borrower.name }}，截至 {{ as_of|cn_date }}"),
        user=None,
    )
    mine = make_case(assignee=staff["lawyer"], name="张三")
    theirs = make_case(assignee=staff["other_lawyer"], name="李四")
    url = reverse("documents_template_preview", args=[template.pk])
    client.force_login(staff["lawyer"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"case": mine.pk, "as_of": "2024-03-05", "court": ""})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert document_text(response.content) == f"案号 {mine.number}，致 张三，截至 2024年3月5日"
    refused = client.post(url, {"case": theirs.pk, "as_of": "2024-03-05"})
    assert refused.status_code == 200 and "case" in refused.context["form"].errors
    assert "李四" not in refused.content.decode()
    client.force_login(staff["auditor"])  # no right to see personal data
    # Wagtail answers a refused admin view with a redirect to the dashboard.
    assert client.get(url).status_code == 302
    refused = client.post(url, {"case": mine.pk})
    assert refused.status_code == 302 and "Content-Disposition" not in refused
    assert not GeneratedDocument.objects.exists()
    assert not tmp_path.joinpath("generated_documents").exists()


def test_seed_demo_loads_the_shipped_templates_once(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed_demo_templates(today=date(2024, 1, 2), user=None)
    template = DocumentTemplate.objects.get(name="催收通知书")
    assert template.kind == DocumentKind.DEMAND_LETTER
    version = template.versions.get()
    assert version.number == 1 and "borrower" in version.names_used
    seed_demo_templates(today=date(2024, 1, 2), user=None)
    assert DocumentTemplateVersion.objects.filter(template=template).count() == 1
