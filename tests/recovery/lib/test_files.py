"""Private uploads: no media route serves them in any mode (raw, encoded or traversing paths),
stored names are random, every download is access-checked and named by the original file name,
and uploads are accepted by their content, not by their name."""

import importlib
import io
import re
import socket
import struct
import urllib.parse
import zipfile
import zlib
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import clear_url_caches, reverse

from recovery.lib.files import FILE_KINDS, validate_file_signature
from recovery.models import CollectionAction, ImportRun
from recovery.services import imports as import_runs
from recovery.services.collection import collection_action_record

PROOF_URL = "recovery_collection_action_proof"
IMPORT_FILE_URL = "recovery_import_run_file"
CHINESE_NAME = "送达回证（张三）.pdf"


# --- sample files ----------------------------------------------------------------------------


def pdf_bytes() -> bytes:
    """A small but well-formed PDF (one empty page)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def ooxml_bytes(main_part: str = "word/document.xml", *, content_types: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if content_types:
            archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(main_part, "<document/>")
    return buffer.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>fetch('/admin/')</script></body></html>"
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


# --- no media route --------------------------------------------------------------------------


@pytest.fixture
def debug_urls(settings, stored):
    """The URL configuration as `make run` builds it (DEBUG=true), restored afterwards; built
    after `stored` has pointed MEDIA_ROOT at the test's folder (a media route binds it)."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def stored(settings, tmp_path):
    """One file in each upload folder, under the names the old date-folder scheme used."""
    settings.MEDIA_ROOT = tmp_path
    files = {
        "proofs/2024/05/receipt.pdf": pdf_bytes(),
        "imports/2024/05/handover.csv": "身份证号\n310115198001010012\n".encode(),
        "assets/2024/05/photo.png": png_bytes(),
    }
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    return files


MEDIA_PATHS = [
    "/media/proofs/2024/05/receipt.pdf",
    "/media/imports/2024/05/handover.csv",
    "/media/assets/2024/05/photo.png",
    "/media/proofs/%2e%2e/imports/2024/05/handover.csv",
    "/media/proofs/..%2fimports/2024/05/handover.csv",
    "/media/proofs/%2E%2E%2Fassets/2024/05/photo.png",
    "/media/proofs/2024/05/%2e%2e/%2e%2e/%2e%2e/imports/2024/05/handover.csv",
    "/media//imports/2024/05/handover.csv",
    "/media/./imports/2024/05/handover.csv",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", MEDIA_PATHS)
def test_it_serves_no_upload_as_media_even_in_debug(client, staff, debug_urls, stored, path):
    for user in (None, staff["head"]):
        if user is not None:
            client.force_login(user)
        response = client.get(path)
        assert response.status_code == 404, (path, user)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"310115198001010012" not in body and not body.startswith((b"%PDF", b"\x89PNG"))


@pytest.fixture
def product_server(monkeypatch, settings, debug_urls):
    """pytest-django's live server, minus the media handler Django's test server adds in front
    of the project (a test convenience that serves MEDIA_ROOT itself): what answers is the
    project's own WSGI application, as `make run` serves it."""
    from django.test import testcases
    from pytest_django.live_server_helper import LiveServer

    monkeypatch.setattr(testcases, "_MediaFilesHandler", lambda application: application)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    server = LiveServer("localhost:0")
    yield server
    server.stop()


def _raw_get(server, path: str) -> tuple[int, bytes]:
    """Send the path byte for byte: the test client (and most HTTP clients) normalise it."""
    address = urllib.parse.urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.0\r\nHost: {address.netloc}\r\n\r\n".encode("ascii"))
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    status = int(response.split(b" ", 2)[1])
    return status, response.partition(b"\r\n\r\n")[2]


@pytest.mark.django_db(transaction=True)
def test_the_product_server_answers_raw_requests(product_server):
    """The control for the test below: the server is up and routes what it is sent."""
    status, body = _raw_get(product_server, "/admin/login/")
    assert status == 200 and b"<form" in body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", MEDIA_PATHS + ["/media/proofs/../imports/2024/05/handover.csv"])
def test_a_live_server_serves_no_upload_as_media_even_in_debug(product_server, stored, path):
    status, body = _raw_get(product_server, path)
    assert status == 404, path
    assert b"310115198001010012" not in body and b"%PDF" not in body and b"\x89PNG" not in body


# --- proofs: random stored names, access-checked download -------------------------------------


def _cache_directives(response) -> set[str]:
    """Cache-Control's directives (Wagtail's admin adds its own never-cache ones to ours)."""
    return {directive.strip() for directive in response["Cache-Control"].split(",")}


@pytest.fixture
def cases(staff, make_case):
    return {"mine": make_case(assignee=staff["lawyer"]), "theirs": make_case(assignee=staff["other_lawyer"])}


def _proof(case, user, name=CHINESE_NAME, content=None):
    upload = SimpleUploadedFile(name, pdf_bytes() if content is None else content)
    return collection_action_record(
        action=CollectionAction(case=case, kind="notice", acted_on=date(2024, 3, 1), proof_file=upload),
        user=user,
    )


@pytest.mark.django_db
def test_a_proof_is_stored_under_a_random_name_and_keeps_its_original_name(staff, cases, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first = _proof(cases["mine"], staff["lawyer"])
    second = _proof(cases["mine"], staff["lawyer"])
    for action in (first, second):
        assert re.fullmatch(r"proofs/[0-9a-f]{32}\.pdf", action.proof_file.name), action.proof_file.name
        assert "送达回证" not in action.proof_file.name and "2024" not in action.proof_file.name
        assert CollectionAction.objects.get(pk=action.pk).proof_original_name == CHINESE_NAME
    assert first.proof_file.name != second.proof_file.name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, status",
    [("lawyer", 200), ("other_lawyer", 404), ("manager", 200), ("head", 200), ("auditor", 200)],
)
def test_a_proof_downloads_only_for_those_who_see_the_case(
    client, staff, cases, settings, tmp_path, role, status
):
    settings.MEDIA_ROOT = tmp_path
    action = _proof(cases["mine"], staff["lawyer"])
    client.force_login(staff[role])
    response = client.get(reverse(PROOF_URL, args=[action.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == pdf_bytes()
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert {"private", "no-store"} <= _cache_directives(response)
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=UTF-8''{urllib.parse.quote(CHINESE_NAME)}" in disposition
        assert 'filename="' in disposition and disposition.isascii()
    else:
        assert b"%PDF" not in response.content


@pytest.mark.django_db
def test_a_proof_is_not_downloaded_anonymously(client, staff, cases, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    action = _proof(cases["mine"], staff["lawyer"])
    response = client.get(reverse(PROOF_URL, args=[action.pk]))
    assert response.status_code == 302 and "/login/" in response.url
    assert b"%PDF" not in response.content


@pytest.mark.django_db
def test_a_proof_download_takes_a_record_id_never_a_path(client, staff, cases, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    action = _proof(cases["mine"], staff["lawyer"])
    client.force_login(staff["head"])
    base = reverse(PROOF_URL, args=[action.pk])
    for suffix in ("../imports/x.csv", "%2e%2e/%2e%2e/x", "?name=../../etc/passwd"):
        response = client.get(base + suffix, follow=True)
        if suffix.startswith("?"):
            # A query string changes nothing: the file is the record's own.
            assert b"".join(response.streaming_content) == pdf_bytes()
        else:
            assert response.status_code == 404 and not response.streaming, suffix


@pytest.mark.django_db
def test_an_action_without_proof_or_with_a_lost_file_gives_404(client, staff, cases, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plain = collection_action_record(
        action=CollectionAction(case=cases["mine"], kind="call", acted_on=date(2024, 3, 1)),
        user=staff["lawyer"],
    )
    lost = _proof(cases["mine"], staff["lawyer"])
    (tmp_path / lost.proof_file.name).unlink()
    client.force_login(staff["lawyer"])
    assert client.get(reverse(PROOF_URL, args=[plain.pk])).status_code == 404
    assert client.get(reverse(PROOF_URL, args=[lost.pk])).status_code == 404


@pytest.mark.django_db
def test_a_proof_stored_under_the_old_scheme_still_downloads(client, staff, cases, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    action = collection_action_record(
        action=CollectionAction(case=cases["mine"], kind="call", acted_on=date(2024, 3, 1)),
        user=staff["lawyer"],
    )
    (tmp_path / "proofs/2023/01").mkdir(parents=True)
    (tmp_path / "proofs/2023/01/receipt.pdf").write_bytes(pdf_bytes())
    CollectionAction.objects.filter(pk=action.pk).update(proof_file="proofs/2023/01/receipt.pdf")
    client.force_login(staff["lawyer"])
    response = client.get(reverse(PROOF_URL, args=[action.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="receipt.pdf"'


# --- content checks --------------------------------------------------------------------------


@pytest.fixture
def english():
    """Messages in English (the product speaks Chinese first)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "name, content, accepted",
    [
        ("receipt.pdf", pdf_bytes(), True),
        ("photo.png", png_bytes(), True),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", True),
        ("scan.tif", b"II*\x00\x08\x00\x00\x00", True),
        ("scan.tiff", b"MM\x00*\x00\x00\x00\x08", True),
        ("photo.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", True),
        ("receipt.pdf", HTML, False),
        ("receipt.pdf", b"\xef\xbb\xbf  \n<html><script>alert(1)</script>", False),
        ("photo.jpg", MZ, False),
        ("photo.png", b"#!/bin/sh\nrm -rf /\n", False),
        ("receipt.pdf", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", False),
        ("receipt.pdf", png_bytes(), False),
        ("photo.png", pdf_bytes(), False),
        ("photo.heic", b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00", False),
        ("receipt.pdf", b"", False),
        ("receipt.pdf", b"   %PDF-1.4", False),
    ],
)
def test_a_proof_is_accepted_by_its_content(name, content, accepted, english):
    upload = SimpleUploadedFile(name, content)
    kinds = ("pdf", "jpeg", "png", "tiff", "heic")
    if accepted:
        validate_file_signature(upload, kinds)
    else:
        with pytest.raises(ValidationError) as raised:
            validate_file_signature(upload, kinds)
        message = raised.value.messages[0]
        assert f".{name.rsplit('.', 1)[1]}" in message if content else "empty" in message
    # The check reads the start of the file and leaves it where an upload begins.
    assert upload.tell() == 0


@pytest.mark.parametrize(
    "name, content, accepted",
    [
        ("report.docx", ooxml_bytes("word/document.xml"), True),
        ("ledger.xlsx", ooxml_bytes("xl/workbook.xml"), True),
        ("report.docx", ooxml_bytes("word/document.xml", content_types=False), False),
        ("report.docx", ooxml_bytes("xl/workbook.xml"), False),
        ("ledger.xlsx", b"PK\x03\x04 not really a zip", False),
        ("report.docx", HTML, False),
    ],
)
def test_an_office_file_is_accepted_by_its_content(name, content, accepted):
    upload = SimpleUploadedFile(name, content)
    if accepted:
        validate_file_signature(upload, ("docx", "xlsx"))
    else:
        with pytest.raises(ValidationError):
            validate_file_signature(upload, ("docx", "xlsx"))


def test_a_kind_not_allowed_here_is_refused_whatever_its_content():
    with pytest.raises(ValidationError):
        validate_file_signature(SimpleUploadedFile("report.docx", ooxml_bytes()), ("pdf", "png"))
    assert set(FILE_KINDS) >= {"pdf", "jpeg", "png", "tiff", "heic", "docx", "xlsx"}


def test_the_refusal_names_what_the_file_really_is(english):
    with pytest.raises(ValidationError) as raised:
        validate_file_signature(SimpleUploadedFile("receipt.pdf", HTML), ("pdf",))
    assert "HTML" in raised.value.messages[0] and "PDF" in raised.value.messages[0]
    with pytest.raises(ValidationError) as raised:
        validate_file_signature(SimpleUploadedFile("photo.jpg", MZ), ("jpeg",))
    assert "Windows program" in raised.value.messages[0]


@pytest.mark.django_db
@pytest.mark.parametrize("name, content", [("receipt.pdf", HTML), ("photo.jpg", MZ)])
def test_the_action_form_refuses_a_disguised_proof_on_its_field(
    client, staff, cases, settings, tmp_path, name, content
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(staff["lawyer"])
    case = cases["mine"]
    response = client.post(
        reverse("wagtailsnippets_recovery_collectionaction:add"),
        {
            "case": case.pk,
            "kind": "notice",
            "acted_on": "2024-03-01",
            "proof_file": SimpleUploadedFile(name, content),
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "proof_file" in errors, errors
    assert not CollectionAction.objects.exists()
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_the_service_refuses_a_disguised_proof_and_stores_nothing(staff, cases, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as raised:
        _proof(cases["mine"], staff["lawyer"], name="receipt.pdf", content=HTML)
    assert "proof_file" in raised.value.message_dict
    assert not CollectionAction.objects.exists()
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


# --- hand-over files: random names, downloaded by whoever may see the run, unmasked only -----


def _run(user):
    content = "借款合同编号,借款人姓名\nC-1,张三\n".encode()
    return import_runs.import_run_create(
        upload=SimpleUploadedFile("移交清单.csv", content), user=user, strict=False
    )


@pytest.mark.django_db
def test_a_hand_over_file_is_stored_under_a_random_name(staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    run = _run(staff["manager"])
    assert re.fullmatch(r"imports/[0-9a-f]{32}\.csv", run.upload.name), run.upload.name
    assert ImportRun.objects.get(pk=run.pk).file_name == "移交清单.csv"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, status",
    [
        ("manager", 200),  # uploaded it
        ("other_manager", 404),
        ("lawyer", 404),
        ("head", 200),
        # Auditors see every run, but the file holds every ID and phone number unmasked.
        ("auditor", 404),
    ],
)
def test_a_hand_over_file_downloads_only_for_those_who_see_the_run_unmasked(
    client, staff, settings, tmp_path, role, status
):
    settings.MEDIA_ROOT = tmp_path
    run = _run(staff["manager"])
    client.force_login(staff[role])
    response = client.get(reverse(IMPORT_FILE_URL, args=[run.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content).startswith("借款合同编号".encode())
        assert response["Content-Disposition"].startswith("attachment;")
        assert urllib.parse.quote("移交清单.csv") in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert {"private", "no-store"} <= _cache_directives(response)
    else:
        assert "借款合同编号".encode() not in response.content


@pytest.mark.django_db
def test_a_hand_over_file_is_not_downloaded_anonymously_or_when_absent(client, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    run = _run(staff["manager"])
    url = reverse(IMPORT_FILE_URL, args=[run.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response.url
    client.force_login(staff["head"])
    command_run = ImportRun.objects.create(file_name="cli.csv", checksum="0" * 64, source="command")
    assert client.get(reverse(IMPORT_FILE_URL, args=[command_run.pk])).status_code == 404
    assert client.get(reverse(IMPORT_FILE_URL, args=[run.pk + 1000])).status_code == 404


def test_a_stored_file_name_cannot_carry_a_header(tmp_path):
    from recovery.lib.files import content_disposition

    header = content_disposition('evil"\r\nSet-Cookie: x=1.pdf')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="')


def test_the_refusal_reads_in_chinese_for_a_chinese_user():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as raised:
        validate_file_signature(SimpleUploadedFile("receipt.pdf", HTML), ("pdf",))
    assert raised.value.messages[0] == (
        "该文件的扩展名为 .pdf，但内容并非PDF 文档，看起来是HTML 网页或脚本。请上传原始扫描件、照片或文档。"
    )


@pytest.mark.django_db
def test_the_action_edit_form_links_the_proof_to_its_download_not_to_media(
    client, staff, cases, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    action = _proof(cases["mine"], staff["lawyer"])
    client.force_login(staff["lawyer"])
    page = client.get(reverse("wagtailsnippets_recovery_collectionaction:edit", args=[action.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{reverse(PROOF_URL, args=[action.pk])}"' in html
    assert CHINESE_NAME in html
    assert "/media/" not in html and action.proof_file.name not in html
