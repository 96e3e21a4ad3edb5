"""Small .docx templates and uploads for the documents admin tests."""

import io

import docx
from django.core.files.uploadedfile import SimpleUploadedFile

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def template_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def upload(*paragraphs: str, name: str = "template.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, template_bytes(*paragraphs), content_type=DOCX_TYPE)


def document_text(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
