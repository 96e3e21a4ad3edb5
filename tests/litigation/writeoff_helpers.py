"""Building write-offs for the write-off tests, through the services."""

from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from litigation.models import Enforcement, Lawsuit, WriteOff, WriteOffEvidence, WriteOffGround
from litigation.services import enforcement_open, lawsuit_file
from litigation.writeoff_services import write_off_create, write_off_evidence_upload

OPINION = "已起诉并申请执行，执行中未发现可供执行的财产。"


def pdf(name: str = "evidence.pdf", body: str = "evidence") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 " + body.encode(), content_type="application/pdf")


def ground(code: str) -> WriteOffGround:
    return WriteOffGround.objects.get(code=code)


def round_closed(case, user, *, closed: date = date(2025, 1, 10)) -> Enforcement:
    """A suit and an enforcement of `case` whose round was closed (终本) on `closed`."""
    suit = lawsuit_file(
        lawsuit=Lawsuit(
            case=case,
            court="上海市浦东新区人民法院",
            cause_of_action="金融借款合同纠纷",
            claim_amount=Decimal("80000.00"),
            filed_on=date(2024, 5, 6),
        ),
        user=user,
    )
    return enforcement_open(
        enforcement=Enforcement(lawsuit=suit, applied_on=date(2024, 9, 2), round_closed_on=closed), user=user
    )


def request(
    case, user, *, code: str = "bankruptcy", loan=None, principal="1000.00", interest="0.00", **fields
):
    return write_off_create(
        write_off=WriteOff(
            case=case,
            loan=loan,
            write_off_ground=ground(code),
            principal=Decimal(principal),
            interest=Decimal(interest),
            legal_opinion=OPINION,
            **fields,
        ),
        user=user,
    )


def upload_all_evidence(write_off: WriteOff, user) -> None:
    for item in write_off.write_off_ground.evidence_list:
        write_off_evidence_upload(
            upload=WriteOffEvidence(write_off=write_off, item=item, file=pdf()), user=user
        )


def approve(write_off: WriteOff, user) -> WriteOff:
    from litigation.services import write_off_approve

    revision = write_off.get_latest_revision()
    write_off_approve(write_off=revision.as_object(), revision=revision, user=user)
    return WriteOff.objects.get(pk=write_off.pk)
