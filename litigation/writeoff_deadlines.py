"""The write-off's duty on the docket: when an approved write-off's loss is attributed to
someone's fault, responsibility must be determined within 2 years of the write-off (呆账办法
art. 19). The deadline is done once the determination is recorded."""

from collections.abc import Iterable

from litigation.models import LitigationDeadlineKind, WriteOff
from recovery.deadlines.docket import CaseFacts, DeadlineSpec

# Registered with litigation's other kinds (litigation.deadlines).
WRITE_OFF_FAULT = LitigationDeadlineKind.WRITE_OFF_FAULT
WRITE_OFF_FAULT_RULE = "write_off_fault_determination"


def write_off_deadlines(facts: dict[int, CaseFacts]) -> Iterable[DeadlineSpec]:
    """One art. 19 deadline per approved write-off whose loss is attributed to fault."""
    write_offs = WriteOff.objects.filter(
        case_id__in=list(facts),
        approved_at__isnull=False,
        written_off_on__isnull=False,
        fault_suspected=True,
    ).order_by("written_off_on", "pk")
    specs = []
    for write_off in write_offs:
        if write_off.written_off_on is None:  # filtered above; for the type checker
            continue
        reference = write_off.approval_reference or f"#{write_off.pk}"
        done = write_off.fault_determined_on
        specs.append(
            DeadlineSpec(
                write_off.case_id,
                WRITE_OFF_FAULT,
                WRITE_OFF_FAULT_RULE,
                write_off.written_off_on,
                f"呆账核销 {reference}（{write_off.written_off_on} 核销）",
                f"write_off:{write_off.pk}",
                done_note=f"已于 {done} 认定责任" if done else "",
            )
        )
    return specs
