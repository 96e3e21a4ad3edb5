"""Demo data of the litigation app's write-offs (manage.py seed_demo, through the
recovery_seed_demo hook): the estate of the demo's deceased borrower cannot pay all his loan, so
his lawyer asks to write the shortfall off on annex 1 item (二) (death), with the evidence the
ground needs, and submits it to the branch manager."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F

from litigation.models import WriteOff, WriteOffEvidence, WriteOffGround
from litigation.writeoff_services import write_off_create, write_off_evidence_upload
from recovery.models import Case

DEATH_GROUND = "death"


def demo_pdf(title: str) -> bytes:
    """A one-page PDF saying what the demo file stands for (valid, so a viewer opens it)."""
    text = title.encode("ascii")
    stream = b"BT /F1 14 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + content + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return body


def seed_demo_write_offs(*, today: date, user: Any) -> None:
    lawyer = get_user_model().objects.filter(username="lawyer").first()
    # The case whose borrower died (the demo's 孙国强): an estate whose deceased is the debtor.
    case = Case.objects.filter(estates__deceased=F("debtor"), assignee=lawyer).order_by("number").first()
    if case is None or WriteOff.objects.filter(case=case).exists():
        return
    loan = case.loans.order_by("pk").first()
    ground = WriteOffGround.objects.filter(code=DEATH_GROUND, active=True).first()
    if loan is None or ground is None:
        return
    shortfall = min(Decimal("184000.00"), loan.principal_outstanding)
    write_off = write_off_create(
        write_off=WriteOff(
            case=case,
            loan=loan,
            write_off_ground=ground,
            principal=shortfall,
            interest=Decimal("0.00"),
            legal_opinion=(
                "借款人已死亡，继承人之一接受继承、另一人书面放弃继承；遗产实际价值不足以清偿本笔借款，"
                "已向接受继承的继承人以所得遗产为限主张权利（民法典第1161条），并向保证人追偿。"
                "不足部分拟按呆账办法附件1第（二）项核销，核销后账销案存、继续追偿。"
            ),
        ),
        user=lawyer,
        source="demo",
    )
    for number, item in enumerate(ground.evidence_list, start=1):
        document = SimpleUploadedFile(
            f"evidence-{number}.pdf", demo_pdf(f"Demo evidence {number}"), content_type="application/pdf"
        )
        write_off_evidence_upload(
            upload=WriteOffEvidence(write_off=write_off, item=item, file=document), user=lawyer, source="demo"
        )
    write_off = WriteOff.objects.get(pk=write_off.pk)
    write_off.get_workflow().start(write_off, lawyer)
