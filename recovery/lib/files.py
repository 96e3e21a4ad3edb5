"""Private uploads: how they are named on disk, how their content is checked, and the one way
they leave the server.

No uploaded file is ever served by a media route: proofs, asset files and hand-over files hold
ID numbers, addresses and signatures. Each is stored under a random name (nothing to guess, no
date folder, no original name in the path) and downloaded only through a view that has already
found the record in the user's scope; the original name is kept on the record for the download.

Uploads are accepted by what they are, not by what they are called: an HTML page or a Windows
program renamed `.pdf` is refused, because whoever downloads it later trusts the name.

This module is the core's and names no sibling app; the apps wire it into their own fields and
views."""

import posixpath
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django import forms
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

ORIGINAL_NAME_LENGTH = 255

# --- stored names ----------------------------------------------------------------------------


def file_extension(name: str) -> str:
    """The lower-case extension of `name` without the dot, or "" when it has none we can keep."""
    extension = posixpath.splitext(name)[1][1:].lower()
    return extension if re.fullmatch(r"[a-z0-9]{1,10}", extension) else ""


def original_file_name(name: str) -> str:
    """The uploaded name as the user's machine called it, safe to keep and to send back: the
    last path component, no control characters, at most ORIGINAL_NAME_LENGTH characters (the
    extension kept when it is cut)."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    if len(name) > ORIGINAL_NAME_LENGTH:
        stem, extension = posixpath.splitext(name)
        name = stem[: ORIGINAL_NAME_LENGTH - len(extension)] + extension
    return name


@deconstructible
class PrivateUploadTo:
    """`upload_to` for private files: `<folder>/<uuid4 hex>.<ext>`.

    When `name_field` is given, the uploaded file's original name is recorded on the instance
    here, the one moment it is known for every way a file reaches the model (admin form, service,
    import). The name field is declared after the file field, so Django reads it after this ran.
    """

    def __init__(self, folder: str, name_field: str | None = None) -> None:
        self.folder = folder.strip("/")
        self.name_field = name_field

    def __call__(self, instance: Model, filename: str) -> str:
        if self.name_field:
            setattr(instance, self.name_field, original_file_name(filename))
        extension = file_extension(filename)
        return f"{self.folder}/{uuid.uuid4().hex}" + (f".{extension}" if extension else "")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PrivateUploadTo)
            and other.folder == self.folder
            and other.name_field == self.name_field
        )

    def __hash__(self) -> int:
        return hash((self.folder, self.name_field))


# --- content checks --------------------------------------------------------------------------

# Every kind of file the product accepts, with the extensions it may carry and what it is
# called in a message.
FILE_KINDS: dict[str, dict[str, Any]] = {
    "pdf": {"extensions": ("pdf",), "label": _("a PDF document")},
    "jpeg": {"extensions": ("jpg", "jpeg"), "label": _("a JPEG image")},
    "png": {"extensions": ("png",), "label": _("a PNG image")},
    "tiff": {"extensions": ("tif", "tiff"), "label": _("a TIFF image")},
    "heic": {"extensions": ("heic", "heif"), "label": _("a HEIC photo")},
    "docx": {"extensions": ("docx",), "label": _("a Word document (.docx)")},
    "xlsx": {"extensions": ("xlsx",), "label": _("an Excel workbook (.xlsx)")},
}
KIND_OF_EXTENSION = {extension: kind for kind, spec in FILE_KINDS.items() for extension in spec["extensions"]}

# HEIF brands of still images (ISO/IEC 23008-12): what iPhones and Android cameras write.
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
# The part each Office format cannot do without (ECMA-376 Part 2, with [Content_Types].xml).
OOXML_MAIN_PARTS = {"docx": "word/", "xlsx": "xl/"}
HEADER_BYTES = 64

# What a refused file looks like, for the message: content a browser or Windows would run.
_MARKUP = re.compile(rb"^<(!doctype html|html|head|body|script|iframe|svg|\?xml|!--)", re.IGNORECASE)
_LOOKS_LIKE = (
    (lambda head: head.startswith(b"MZ"), _("a Windows program")),
    (lambda head: head.startswith(b"\x7fELF"), _("a program")),
    (lambda head: head.startswith(b"#!") or head.lower().startswith(b"<?php"), _("a script")),
    (lambda head: bool(_MARKUP.match(_text_start(head))), _("an HTML page or script")),
)


def _text_start(head: bytes) -> bytes:
    """The start of a text file past a byte-order mark and white space (browsers skip them)."""
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    return head.lstrip(b" \t\r\n\x00")


def _is_ooxml(file: Any, kind: str) -> bool:
    """A zip archive declaring its parts in [Content_Types].xml, with the format's main part.
    Only the central directory is read: nothing is decompressed."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    prefix = OOXML_MAIN_PARTS[kind]
    return "[Content_Types].xml" in names and any(name.startswith(prefix) for name in names)


_SIGNATURES = {
    "pdf": lambda head: head.startswith(b"%PDF-"),
    "jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "tiff": lambda head: head.startswith((b"II*\x00", b"MM\x00*")),
    "heic": lambda head: head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS,
    "docx": lambda head: head.startswith(b"PK\x03\x04"),
    "xlsx": lambda head: head.startswith(b"PK\x03\x04"),
}


def _kind_of_content(head: bytes) -> str | None:
    """The kind these first bytes announce, for the refusal message."""
    for kind, matches in _SIGNATURES.items():
        if kind not in OOXML_MAIN_PARTS and matches(head):
            return kind
    return None


def _describe(head: bytes) -> Any:
    for test, label in _LOOKS_LIKE:
        if test(head):
            return label
    kind = _kind_of_content(head)
    return FILE_KINDS[kind]["label"] if kind else None


def validate_file_signature(file: Any, kinds: Iterable[str]) -> None:
    """Refuse `file` unless its content is the kind its extension names and that kind is one of
    `kinds`. `file` is an uploaded file (or a FieldFile holding one); its position is left at
    the start. Raises ValidationError with a message that names the extension and, when it can,
    what the file really is."""
    allowed = tuple(kinds)
    extension = file_extension(getattr(file, "name", "") or "")
    kind = KIND_OF_EXTENSION.get(extension)
    if kind is None or kind not in allowed:
        raise ValidationError(
            _("Files ending in .%(ext)s are not accepted here; accepted: %(accepted)s.")
            % {
                "ext": extension or "?",
                "accepted": ", ".join(f".{e}" for k in allowed for e in FILE_KINDS[k]["extensions"]),
            },
            code="file_kind",
        )
    try:
        file.seek(0)
        head = file.read(HEADER_BYTES)
        matches = bool(head) and _SIGNATURES[kind](head)
        if matches and kind in OOXML_MAIN_PARTS:
            matches = _is_ooxml(file, kind)
    finally:
        file.seek(0)
    if not head:
        raise ValidationError(_("The file is empty."), code="file_empty")
    if matches:
        return
    values = {"ext": extension, "expected": FILE_KINDS[kind]["label"]}
    actual = _describe(head)
    if actual is not None:
        message = _(
            "This file is not %(expected)s, though its name ends in .%(ext)s: it looks like "
            "%(actual)s. Upload the original scan, photo or document."
        ) % {**values, "actual": actual}
    else:
        message = (
            _(
                "This file is not %(expected)s, though its name ends in .%(ext)s. Upload the "
                "original scan, photo or document."
            )
            % values
        )
    raise ValidationError(message, code="file_signature")


@deconstructible
class FileSignatureValidator:
    """Model-field validator around validate_file_signature.

    A file already stored is not read again: it was checked when it was uploaded, and reading
    storage on every edit of the record would fail on a file that went missing since."""

    def __init__(self, kinds: Iterable[str]) -> None:
        self.kinds = tuple(kinds)
        unknown = set(self.kinds) - set(FILE_KINDS)
        if unknown:
            raise ValueError(f"Unknown file kinds: {sorted(unknown)}")

    def __call__(self, value: Any) -> None:
        if getattr(value, "_committed", False):
            return
        if KIND_OF_EXTENSION.get(file_extension(getattr(value, "name", "") or "")) not in self.kinds:
            # The field's FileExtensionValidator already says which extensions it accepts.
            return
        # A FieldFile passes reads and seeks on to the upload it holds.
        validate_file_signature(value, self.kinds)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileSignatureValidator) and other.kinds == self.kinds

    def __hash__(self) -> int:
        return hash(self.kinds)


# --- the download ----------------------------------------------------------------------------

# Content types sent for the kinds we store; anything else goes as plain bytes, so a browser
# never renders a stored file as a page (with nosniff it does not guess either).
_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "heif": "image/heif",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def content_disposition(name: str) -> str:
    """`attachment` with the name twice (RFC 6266): an ASCII fallback in `filename`, for old
    clients, and the real name, Chinese included, in `filename*` (RFC 5987)."""
    name = original_file_name(name) or "download"
    fallback = "".join(char if 0x20 <= ord(char) < 0x7F and char not in '"\\' else "_" for char in name)
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def private_file_response(stored: Any, *, name: str = "") -> FileResponse:
    """Send a stored file as a download. `stored` is a FieldFile of a record the caller has
    already found in the user's scope; `name` is the original file name (the stored name's last
    part when the record has none, as for files stored before names were kept). Missing: 404."""
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, IsADirectoryError, SuspiciousFileOperation) as exc:
        raise Http404 from exc
    name = name or posixpath.basename(stored.name)
    content_type = _CONTENT_TYPES.get(file_extension(name)) or _CONTENT_TYPES.get(
        file_extension(stored.name), "application/octet-stream"
    )
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    # Personal data: no shared cache keeps it, and the browser does not store it either.
    response["Cache-Control"] = "private, no-store"
    return response


def record_file_download(
    records: QuerySet, pk: int, *, field: str, name_field: str | None = None
) -> FileResponse:
    """The one access-checked download: `records` is the user's scope (404 outside it) and the
    file is the record's own field. Nothing from the URL but the record id reaches storage."""
    record = get_object_or_404(records, pk=pk)
    name = getattr(record, name_field, "") if name_field else ""
    return private_file_response(getattr(record, field), name=name)


# --- the edit form -------------------------------------------------------------------------


class _StoredFileLink:
    """What a file input shows as "Currently: …": the download view and the original name."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name

    def __str__(self) -> str:
        return self.name


class PrivateFileInput(forms.ClearableFileInput):
    """The file input of a private file: its "Currently" link goes to the record's download
    view (`url_name`, taking the record's id), under the original name, never to a media URL
    (there is none) nor showing the random stored name."""

    def __init__(self, *, url_name: str, name_field: str | None = None, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs)
        self.url_name = url_name
        self.name_field = name_field

    def format_value(self, value: Any) -> Any:
        value = super().format_value(value)
        instance = getattr(value, "instance", None)
        if not self.is_initial(value) or instance is None or instance.pk is None:
            return value
        name = getattr(instance, self.name_field, "") if self.name_field else ""
        return _StoredFileLink(
            reverse(self.url_name, args=[instance.pk]), name or posixpath.basename(value.name)
        )
