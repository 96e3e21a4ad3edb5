"""The demo's document templates: the ones shipped in templates/documents/, each as version 1
of a template of its name when no template of that name exists (seed_demo runs again safely)."""

from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile

from documents.models import DocumentKind, DocumentTemplate
from documents.services import document_template_add

SHIPPED_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "documents"
# The kinds' names as courts and lawyers write them: a shipped file named so gets its kind.
KIND_TITLES = {
    "民事起诉状": DocumentKind.COMPLAINT,
    "财产保全申请书": DocumentKind.PRESERVATION,
    "强制执行申请书": DocumentKind.ENFORCEMENT,
    "续行查封（冻结）申请书": DocumentKind.RENEWAL,
    "参与分配申请书": DocumentKind.DISTRIBUTION,
    "债权申报书": DocumentKind.CLAIM_FILING,
    "催收通知书": DocumentKind.DEMAND_LETTER,
}


def seed_demo_templates(*, today: date, user: Any) -> None:
    for path in sorted(SHIPPED_TEMPLATES.glob("*.docx")):
        if DocumentTemplate.objects.filter(name=path.stem).exists():
            continue
        document_template_add(
            document_template=DocumentTemplate(
                name=path.stem, kind=KIND_TITLES.get(path.stem, DocumentKind.OTHER)
            ),
            file=ContentFile(path.read_bytes(), name=path.name),
            user=None,
            source="seed_demo",
        )
