"""Importing a hand-over file into the docket: read and check every row, match what exists,
then write everything in one transaction with batched statements (no per-row queries).

    outcome = handover_import(source=path, file_name="移交清单.xlsx", user=manager)
    outcome.as_json()     # the contract's summary
    outcome.exit_code     # 0 all accepted, 3 some rejected

The same function serves the command line and the web upload (which first calls it with
`dry_run=True` for the preview). Debtors are matched by ID number, loans by contract number,
cases by (debtor, branch); a re-sent file only writes what changed, each change audited with
the import that made it.
"""

import hashlib
import pickle
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy
from wagtail.models import ModelLogEntry

from recovery.handover import (
    HandoverFileError,
    HandoverRow,
    RejectedRow,
    RowError,
    RowValidator,
    normalized_cells,
    open_handover,
)
from recovery.handover.parsing import cell_text, optional_text
from recovery.handover.reading import RawRow, ReadLimits
from recovery.lib.audit import AuditKind, LogBatch, audit_action, log_entry_row, snapshot
from recovery.lib.bulk import bulk_insert, bulk_insert_values, chunks, gc_paused
from recovery.models import (
    OPEN_STATUSES,
    Branch,
    Case,
    CaseParty,
    Collateral,
    GuaranteeType,
    ImportRun,
    ImportSource,
    ImportStatus,
    Loan,
    LoanImportDigest,
    LoanParty,
    Party,
    PartyRole,
    Role,
)
from recovery.selectors.access import role_of
from recovery.services import RecoveryError
from recovery.services.cases import (
    CASE_REASSIGNED,
    LOAN_UPDATED,
    PARTY_UPDATED,
    case_facts_changed,
    case_numbers_next,
)
from recovery.services.loan_parties import LOAN_PARTY_UPDATED


def _imported(noun: str, label: Any, past_label: Any) -> str:
    return audit_action(
        f"recovery.{noun}.imported", kind=AuditKind.CREATED, label=label, past_label=past_label
    )


# What the import creates is audited as imported; what it changes on records already on the
# docket, under the codes of the same change made by hand (the source names the import).
BRANCH_IMPORTED = _imported("branch", gettext_lazy("Import a branch"), gettext_lazy("Branch imported"))
PARTY_IMPORTED = _imported("party", gettext_lazy("Import a party"), gettext_lazy("Party imported"))
CASE_IMPORTED = _imported("case", gettext_lazy("Import a case"), gettext_lazy("Case imported"))
LOAN_IMPORTED = _imported("loan", gettext_lazy("Import a loan"), gettext_lazy("Loan imported"))
CASE_PARTY_IMPORTED = _imported(
    "case_party", gettext_lazy("Import a party's role in a case"), gettext_lazy("Party's role imported")
)
LOAN_PARTY_IMPORTED = _imported(
    "loan_party",
    gettext_lazy("Import a party's link to a loan"),
    gettext_lazy("Party's link to a loan imported"),
)
COLLATERAL_IMPORTED = _imported(
    "collateral", gettext_lazy("Import collateral"), gettext_lazy("Collateral imported")
)
IMPORTED_CODES = (
    BRANCH_IMPORTED,
    PARTY_IMPORTED,
    CASE_IMPORTED,
    LOAN_IMPORTED,
    CASE_PARTY_IMPORTED,
    LOAN_PARTY_IMPORTED,
    COLLATERAL_IMPORTED,
)

__all__ = [
    "HandoverFileError",
    "ImportBusyError",
    "ImportOutcome",
    "RunStoppedError",
    "file_checksum",
    "handover_import",
    "read_limits",
]


class ImportBusyError(RecoveryError):
    """Another import of the same file is running, or wrote over this one's plan: nothing
    was written, and running it again (later) is the remedy."""


class RunStoppedError(RecoveryError):
    """The run was marked failed or discarded while its import worked (its worker looked
    dead): the import gives way, writing nothing, rather than overwrite what happened since."""


def read_limits() -> ReadLimits:
    """What reading one hand-over file may cost, from the settings."""
    return ReadLimits(
        max_rows=settings.HANDOVER_MAX_ROWS,
        max_unpacked_bytes=settings.HANDOVER_MAX_UNPACKED_BYTES,
        max_compression_ratio=settings.HANDOVER_MAX_COMPRESSION_RATIO,
    )


BATCH = 2000  # rows per INSERT/UPDATE statement and per IN (...) lookup
PROGRESS_EVERY = 1000
# The first rows of a file, whose cells alone tell whether it may be one the docket holds
# unchanged (see `unchanged_rows`).
UNCHANGED_BATCH = 2_000
# Accepted rows shown, as they will be imported, by the web upload's preview.
PREVIEW_SAMPLE_ROWS = 20

# Loan fields a re-sent file may change; compared value by value to decide "updated".
LOAN_FIELDS = (
    "amount",
    "principal_outstanding",
    "interest_outstanding",
    "penalty_interest",
    "disbursed_on",
    "due_on",
    "last_payment_on",
    "security_types",
    "handed_over_on",
)

Progress = Callable[[str, int, int | None], None]

# Part of every row digest: bump it when reading or checking changes what the same cells
# mean (a date format read differently, a rule added), so that rows imported before are
# checked again instead of being taken as unchanged.
DIGEST_VERSION = 1


def row_digest(raw: RawRow) -> str:
    """A digest of a row's cells under their fields, as read, types included (1, 1.0 and "1"
    differ). Pickled: half the cost of repr() on 100,000 rows of Chinese text; should a
    Python release pickle a value differently, the rows are merely checked again."""
    serialized = pickle.dumps((DIGEST_VERSION, list(raw.items())), protocol=5)
    return hashlib.blake2b(serialized, digest_size=16).hexdigest()


def _loan_states_sql(chosen: str, columns: str) -> str:
    """SQL selecting `columns` and `state`, the digest of what a row leaves in the docket
    around its loan, for the loans `chosen` selects (a query giving at least their `id` and
    `case_id`). `columns` may name `chosen`, the loan `l`, its case `c`, branch `b` and
    debtor `p`.

    The state covers the loan's LOAN_FIELDS, its branch (id and name: a renamed branch no
    longer matches the file), its case and the case's assignee, the debtor's ID number and
    contacts and whether it is the case's borrower, each guarantee (guarantor's ID number,
    type, needs review, on the loan's case as guarantor) and each collateral item
    (description, on the loan's case). The import computes it when it creates the loan and a
    re-import when it compares: one expression, so the two cannot disagree. The guarantees
    and collateral are aggregated for all the chosen loans at once (grouped joins): a
    subquery per loan costs more than the whole rest of the query on 100,000 loans."""
    loan, case, party, branch = (
        Loan._meta.db_table,
        Case._meta.db_table,
        Party._meta.db_table,
        Branch._meta.db_table,
    )
    case_party, loan_party = CaseParty._meta.db_table, LoanParty._meta.db_table
    collateral = Collateral._meta.db_table
    unit = "chr(31)"  # a separator no cell holds
    loan_values = ", ".join(
        f"coalesce(l.{Loan._meta.get_field(name).column}::text, '-')" for name in LOAN_FIELDS
    )
    # MATERIALIZED: the chosen loans are read once, not once per aggregate.
    return f"""WITH chosen AS MATERIALIZED ({chosen}),
    guarantees AS (
        SELECT lp.loan_id, string_agg(concat_ws(',', gp.id_number, lp.guarantee_type, lp.needs_review::text,
                   (gcp.case_id = chosen.case_id AND gcp.role = '{PartyRole.GUARANTOR.value}')::text),
                   {unit} ORDER BY gp.id_number, lp.guarantee_type, lp.id) AS listed
        FROM chosen JOIN {loan_party} lp ON lp.loan_id = chosen.id
        JOIN {case_party} gcp ON gcp.id = lp.case_party_id JOIN {party} gp ON gp.id = gcp.party_id
        GROUP BY lp.loan_id),
    collateral AS (
        SELECT co.loan_id, string_agg(concat_ws(',', co.description, (co.case_id = chosen.case_id)::text),
                   {unit} ORDER BY co.description, co.id) AS listed
        FROM chosen JOIN {collateral} co ON co.loan_id = chosen.id
        GROUP BY co.loan_id)
    SELECT {columns}, md5(concat_ws({unit}, {loan_values},
        l.branch_id::text, b.name, l.case_id::text, coalesce(c.assignee_id::text, '-'),
        c.debtor_id::text, p.id_number, p.phones, p.address,
        EXISTS (SELECT 1 FROM {case_party} bp WHERE bp.case_id = c.id AND bp.party_id = c.debtor_id
                AND bp.role = '{PartyRole.BORROWER.value}')::text,
        coalesce(guarantees.listed, '-'), coalesce(collateral.listed, '-'))) AS state
    FROM chosen JOIN {loan} l ON l.id = chosen.id JOIN {case} c ON c.id = l.case_id
    JOIN {party} p ON p.id = c.debtor_id JOIN {branch} b ON b.id = l.branch_id
    LEFT JOIN guarantees ON guarantees.loan_id = l.id
    LEFT JOIN collateral ON collateral.loan_id = l.id"""  # noqa: S608  columns and tables from model metadata, no input


@contextmanager
def _without_jit(cursor: Any) -> Iterator[None]:
    """The state query joins whole tables whose statistics a fresh bulk load leaves stale:
    PostgreSQL's planner overestimates it and compiles it (JIT), which can cost more than
    running it (measured on 100,000 loans: 0.15 s more a query, 0.5 s more for 98,000 rows)."""
    cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
    (previous, _off) = cursor.fetchone()
    yield
    # Not on an error: the setting is the transaction's, undone with it.
    cursor.execute("SELECT set_config('jit', %s, true)", [previous])


@dataclass
class ImportOutcome:
    """What a run did (or, for a dry run, would do), in the contract's terms."""

    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cases_created: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    written: bool = False
    run_id: int | None = None
    # Only the first `max_errors` problems (by row) are kept; `error_total` counts them all.
    max_errors: int | None = None
    error_total: int = 0
    # The original cells of the rows in `errors`, as text in file order under `cell_columns`
    # (the file's known columns as it names them), for the error file to carry beside the
    # messages. Only rows with kept errors: bounded by the limit like the errors.
    cell_columns: list[str] = field(default_factory=list)
    row_cells: dict[int, list[str]] = field(default_factory=dict)
    # The first accepted rows as they will be imported (field -> text, plus "row", "action":
    # created / updated / unchanged), for the web preview.
    sample: list[dict[str, Any]] = field(default_factory=list)

    def add_error(self, error: RowError) -> None:
        self.error_total += 1
        self.errors.append(error)
        # Trimmed in batches, so memory stays within twice the limit however bad the file.
        if self.max_errors is not None and len(self.errors) > 2 * self.max_errors:
            self.finish_errors()

    def keep_cells(self, row: int, values: Iterable[object]) -> None:
        """Remember the original cells of a rejected row (raw values, in file order)."""
        if row not in self.row_cells:
            self.row_cells[row] = [cell_text(value) for value in values]

    def finish_errors(self) -> None:
        """Sort by row (stable: a row's problems stay in column order) and keep the first."""
        self.errors.sort(key=lambda error: error.row)
        if self.max_errors is not None:
            del self.errors[self.max_errors :]
            kept_rows = {error.row for error in self.errors}
            self.row_cells = {row: cells for row, cells in self.row_cells.items() if row in kept_rows}

    def cells_of(self, row: int) -> list[str]:
        """The row's original cells under `cell_columns` (blank when not kept)."""
        return self.row_cells.get(row) or [""] * len(self.cell_columns)

    def error_records(self) -> list[dict[str, Any]]:
        """The errors as kept on the import run. The first record of each row also carries
        the row's original cells as [column, text] pairs (a list: JSON objects stored in
        PostgreSQL lose their key order); the row's other records share them."""
        records = []
        previous_row = None
        for error in self.errors:
            record = error.as_record()
            if error.row != previous_row and error.row in self.row_cells:
                record["cells"] = [
                    [column, text]
                    for column, text in zip(self.cell_columns, self.row_cells[error.row], strict=True)
                ]
            previous_row = error.row
            records.append(record)
        return records

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def exit_code(self) -> int:
        return 3 if self.rejected else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "rows": self.rows,
            "accepted": self.accepted,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "cases_created": self.cases_created,
            "unknown_columns": self.unknown_columns,
            "errors": [error.as_dict() for error in self.errors],
        }

    def counts(self) -> dict[str, Any]:
        """The summary without the error list (kept apart on the import record)."""
        summary = self.as_json()
        del summary["errors"]
        summary["errors_total"] = self.error_total
        return summary


def file_checksum(source: str | Path | bytes | IO[bytes]) -> tuple[str, int]:
    """SHA-256 and size of a file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    if isinstance(source, bytes):
        digest.update(source)
        return digest.hexdigest(), len(source)
    stream = open(source, "rb") if isinstance(source, str | Path) else source
    try:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    finally:
        if isinstance(source, str | Path):
            stream.close()
        else:
            stream.seek(0)
    return digest.hexdigest(), size


@gc_paused()  # a bulk job: millions of live objects, none of them cyclic garbage
def handover_import(
    *,
    source: str | Path | bytes | IO[bytes],
    file_name: str | None = None,
    user: Any,
    dry_run: bool = False,
    strict: bool = False,
    run: ImportRun | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import a hand-over file. Raises HandoverFileError when the file itself is unusable and
    RecoveryError when `user` may not import; either way nothing is written. `user` None is
    the operator at the command line, who may import for any branch.

    Without `dry_run`, and unless `strict` meets a rejected row, every accepted row is written
    in one transaction together with the import record (`run`, or a new one).
    """
    if user is not None:
        _check_may_import(user)
    name = file_name or (Path(source).name if isinstance(source, str | Path) else "")
    if dry_run:
        return _read_and_plan(source, name, user, progress)[0]
    if isinstance(source, str | Path) and not Path(source).is_file():
        raise HandoverFileError(f"找不到文件 {source}（file not found）")
    checksum, size = (run.checksum, run.file_size) if run is not None else file_checksum(source)
    # Held from reading to commit: a second import of the file that read the docket before
    # the first one committed would plan the same inserts and die on a unique constraint.
    with import_lock(checksum):
        outcome, plan, report = _read_and_plan(source, name, user, progress)
        if strict and outcome.rejected:
            return outcome
        if run is None:
            run = ImportRun(file_name=name, checksum=checksum, file_size=size, source=ImportSource.COMMAND)
        try:
            with transaction.atomic():
                if run.pk is not None:
                    _claim_run(run)
                run.strict = strict
                run.started_by = user if getattr(user, "is_authenticated", False) else None
                run.status = ImportStatus.IMPORTING
                run.save()
                plan.write(source=run.audit_source, progress=report)
                run.status = ImportStatus.DONE
                run.finished_at = timezone.now()
                run.summary = outcome.counts()
                run.errors = outcome.error_records()
                run.error_count = outcome.error_total
                run.save()
        except IntegrityError as clash:
            # Another import (of another file naming the same loans) committed in between.
            raise ImportBusyError(
                "导入期间台账被另一个导入改动，本次没有写入任何内容，请重新导入"
                "（the docket changed during the import, probably by another import; nothing was "
                "written; run it again）"
            ) from clash
    outcome.written = True
    outcome.run_id = run.pk
    return outcome


def _read_and_plan(
    source: str | Path | bytes | IO[bytes], name: str, user: Any, progress: Progress | None
) -> tuple[ImportOutcome, "_Plan", Progress]:
    report = progress or (lambda stage, done, total: None)
    outcome = ImportOutcome(file=name, max_errors=settings.HANDOVER_MAX_ERRORS)
    with open_handover(source, name, limits=read_limits()) as sheet:
        outcome.unknown_columns = sheet.unknown_columns
        outcome.cell_columns = [sheet.headers[field_name] for field_name, _index in sheet.header.positions]
        validator = RowValidator(sheet.headers)
        plan = _Plan(user=user, validator=validator, outcome=outcome)
        rows = sheet.rows()
        # While every row is one the docket already holds as it was imported, nothing needs
        # checking; the first row that is not sends them all through the checks.
        held, unchanged = plan.unchanged_rows(rows, sheet.estimated_rows, report)
        if unchanged:
            plan.take_unchanged(held)
            report("reading", outcome.rows, outcome.rows)  # as when checked: the total known
        else:
            # Checked against the docket a batch at a time while reading, so that a row the
            # docket refutes still has its raw cells for the error file (and only a batch of
            # them is held).
            checked = _checked_rows(
                chain(held, rows),
                sheet.estimated_rows,
                validator,
                outcome,
                report,
                reported=plan.reported_rows,
            )
            for batch in chunks(checked, BATCH):
                plan.check_against_docket(batch)
    plan.resolve()
    outcome.finish_errors()
    return outcome, plan, report


def _claim_run(run: ImportRun) -> None:
    """Lock the web run's row and check that it is still "importing": one marked failed as
    stalled (or discarded) while this worker was slow must not be written over."""
    status = ImportRun.objects.select_for_update().filter(pk=run.pk).values_list("status", flat=True).first()
    if status != ImportStatus.IMPORTING:
        raise RunStoppedError(
            "该导入在运行期间已被标记为失败或已放弃，本次没有写入任何内容"
            "（this import was marked failed or discarded while it ran; nothing was written）"
        )


# One namespace for the advisory locks of hand-over imports (PostgreSQL's two-key form).
_LOCK_NAMESPACE = 0x52440011


@contextmanager
def import_lock(checksum: str) -> Iterator[None]:
    """Hold the lock of one file (by its SHA-256) or raise ImportBusyError at once.

    PostgreSQL: a session advisory lock, released when the block ends or the connection
    dies with its process. Other databases (the embedded SQLite): an exclusive lock on a
    file under RECOVERY_VAR_DIR, which the operating system releases likewise."""
    busy = ImportBusyError(
        f"另一个导入正在处理同一文件（SHA-256 {checksum[:12]}…），请等它结束后再试"
        "（another import of this file is running; try again when it has finished）"
    )
    key = int(checksum[:8] or "0", 16) - (1 << 31)  # a signed 32-bit int from the digest
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, key])
            if not cursor.fetchone()[0]:
                raise busy
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, key])
        return
    import fcntl  # POSIX only, as is the embedded database's deployment

    folder = Path(settings.VAR_DIR) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"import-{checksum}.lock", "w") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _check_may_import(user: Any) -> None:
    # Managers and the head of recovery hand cases out; lawyers and auditors do not.
    if role_of(user) not in (Role.MANAGER, Role.HEAD):
        raise RecoveryError("只有主管或清收负责人可以导入移交清单（only managers and the head may import）")


def _checked_rows(
    rows: Iterable[tuple[int, RawRow]],
    total: int | None,
    validator: RowValidator,
    outcome: ImportOutcome,
    report: Progress,
    reported: int = 0,
) -> Iterator[tuple[HandoverRow | RejectedRow, RawRow]]:
    """Every row checked on its own, with its raw cells. A row with problems is rejected
    here, its cells kept for the error file; it still goes on to the docket checks, which
    may find more. Progress is reported past the `reported` rows already announced."""
    for count, (row_number, raw) in enumerate(rows, start=1):
        outcome.rows += 1
        checked = validator.check(row_number, raw)
        if isinstance(checked, RejectedRow):
            for error in checked.errors:
                outcome.add_error(error)
            outcome.rejected_rows.add(row_number)
            outcome.keep_cells(row_number, raw.values())
        yield checked, raw
        if count % PROGRESS_EVERY == 0 and count > reported:
            report("reading", count, total)
    report("reading", outcome.rows, outcome.rows)


def _security_text(codes: tuple[str, ...]) -> str:
    return ",".join(codes)


class _Plan:
    """Matches the accepted rows against the database (reads only), rejects what only the
    database can refute, then writes the difference in batches."""

    def __init__(self, *, user: Any, validator: RowValidator, outcome: ImportOutcome) -> None:
        self.user = user if getattr(user, "is_authenticated", False) else None
        self.validator = validator
        self.outcome = outcome
        # Filled by check_against_docket(): the rows accepted, with their branch and assignee.
        self.accepted: list[tuple[HandoverRow, str, Any]] = []
        self.users: dict[str, Any] = {}
        self.assignees_looked_up: set[str] = set()
        # Contract number -> (debtor's ID number, debtor's name, branch id) of the loans on
        # record, for the checks while reading: plain values, the loans themselves are loaded
        # by resolve() for the rows accepted only.
        self.loan_owners: dict[str, tuple[str, str, int]] = {}
        self.existing_loans: dict[str, Loan] = {}
        # Filled by resolve() (the branches at once); unsaved objects are created by write().
        self.branches: dict[str, Branch] = {}
        self.parties: dict[str, Party] = {}
        self.party_changes: dict[str, dict[str, list[Any]]] = {}
        self.cases: dict[tuple[str, str], Case] = {}  # (debtor ID number, branch name) -> case
        self.case_by_pk: dict[int, Case] = {}
        self.case_changes: dict[int, dict[str, list[Any]]] = {}
        self.loans: dict[str, Loan] = {}
        self.loan_before: dict[str, dict[str, Any]] = {}
        self.new_case_parties: dict[tuple[int, str, str], CaseParty] = {}
        self.stored_case_parties: dict[int, CaseParty] = {}  # built only when a row needs one
        # A guarantor's guarantee is on the loan of the row that names him, not on the case.
        self.new_loan_links: dict[tuple[int, str], LoanParty] = {}
        self.changed_loan_links: dict[int, tuple[LoanParty, dict[str, Any]]] = {}
        self.new_collateral: list[Collateral] = []
        # Contract number -> digest of the cells of the row accepted for it, kept with the
        # loans this import creates.
        self.row_digests: dict[str, str] = {}
        self.unchanged_sample: list[tuple[int, RawRow, str, Any]] = []
        self.reported_rows = 0  # the rows whose reading progress `unchanged_rows` reported
        self._load_branches()
        self.importer_branch = self._importer_branch()
        self.may_import_any_branch = self.user is None or role_of(self.user) == Role.HEAD

    # --- reading and matching ---------------------------------------------------------

    def reject(
        self,
        row: HandoverRow | RejectedRow,
        field_name: str,
        value: object,
        message: str,
        raw: RawRow | None = None,
    ) -> None:
        self.outcome.add_error(self.validator.error(row.row, field_name, value, message))
        self.outcome.rejected_rows.add(row.row)
        if raw is not None:
            self.outcome.keep_cells(row.row, raw.values())

    def check_against_docket(self, batch: list[tuple[HandoverRow | RejectedRow, RawRow]]) -> None:
        """Check a batch of rows against the docket, those already rejected for their own
        cells too (every problem of a row at once); keep the rows accepted."""
        self._look_up_users({row.assignee for row, _raw in batch if row.assignee})
        self._look_up_owners([row.contract_no for row, _raw in batch if row.contract_no])
        for row, raw in batch:
            ok, branch_name, assignee = self._check_against_docket(row, raw)
            if ok and isinstance(row, HandoverRow):
                self.accepted.append((row, branch_name, assignee))
                self.row_digests[row.contract_no] = row_digest(raw)

    # --- a file the docket already holds as it was imported ---------------------------

    def unchanged_rows(
        self, rows: Iterator[tuple[int, RawRow]], total: int | None, report: Progress
    ) -> tuple[list[tuple[int, RawRow]], bool]:
        """Read rows while every one is unchanged: its loan was created by an import from
        these very cells and the docket around it still is as that import left it (see
        `_loan_states_sql`), its assignee still names the case's assignee, and this user may
        import its branch. Such a row would be checked, matched and found to change nothing.
        Returns the rows read, and whether they are all of the file (and all unchanged)."""
        if connection.vendor != "postgresql":
            return [], False  # no digests kept there (see `_keep_digests`)
        # A new or changed file is told by its first rows' cells alone, without the state
        # query, whose cost is mostly per query (it joins whole tables): one such query then
        # compares the whole file.
        held = list(islice(rows, UNCHANGED_BATCH))
        if not held or not self._created_from(held):
            return held, False
        if len(held) == UNCHANGED_BATCH:  # the file may go on
            report("reading", len(held), total)
            self.reported_rows = len(held)
            held.extend(rows)
        if not self._all_unchanged(held):
            return held, False
        report("reading", len(held), total)
        self.reported_rows = len(held)
        return held, True

    def _created_from(self, rows: list[tuple[int, RawRow]]) -> bool:
        """Whether each row's loan was created by an import from these very cells."""
        numbers = [cell_text(raw.get("contract_no")) for _row_number, raw in rows]
        loans, digests = Loan._meta.db_table, LoanImportDigest._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT l.contract_no, g.digest FROM {loans} l JOIN {digests} g ON g.loan_id = l.id"  # noqa: S608  tables from model metadata; values are parameters
                " WHERE l.contract_no = ANY(%s)",
                [numbers],
            )
            kept = dict(cursor.fetchall())
        # Kept as the row's digest followed by the state's (see `_keep_digests`).
        return all(
            kept.get(number, "").startswith(row_digest(raw))
            for number, (_row_number, raw) in zip(numbers, rows, strict=True)
        )

    def _all_unchanged(self, batch: list[tuple[int, RawRow]]) -> bool:
        numbers, assignees = [], []
        seen: set[str] = set()
        for _row_number, raw in batch:
            number = cell_text(raw.get("contract_no"))
            if not number or number in seen:  # a second row of a contract is an error
                return False
            seen.add(number)
            numbers.append(number)
            assignees.append(optional_text(raw.get("assignee")))
        stored = self._stored_states(numbers)
        if len(stored) < len(numbers):
            return False
        if not self.may_import_any_branch and any(
            branch_name != self.importer_branch for _digest, _assignee, branch_name in stored.values()
        ):
            return False
        self._look_up_users({text for text in assignees if text})
        for (row_number, raw), number, text in zip(batch, numbers, assignees, strict=True):
            digest, assignee_id, branch_name = stored[number]
            if digest != row_digest(raw):
                return False
            assignee = None
            if text:
                assignee = self.users.get(text) or self.users.get(text.lower())
                if assignee is None or assignee == "ambiguous" or assignee.pk != assignee_id:
                    return False
            if len(self.unchanged_sample) < PREVIEW_SAMPLE_ROWS:
                self.unchanged_sample.append((row_number, raw, branch_name, assignee))
        return True

    def _stored_states(self, numbers: list[str]) -> dict[str, tuple[str, int | None, str]]:
        """Contract number -> (the digest of the row's cells that created it, the case's
        assignee id, the branch name) of the loans kept with a digest whose docket state
        still is the one kept: those of the others are left out."""
        loans, digests = Loan._meta.db_table, LoanImportDigest._meta.db_table
        chosen = (
            f"SELECT l.id, l.case_id, g.digest FROM {loans} l JOIN {digests} g ON g.loan_id = l.id"  # noqa: S608  tables from model metadata; values are parameters
            " WHERE l.contract_no = ANY(%s)"
        )
        with transaction.atomic(), connection.cursor() as cursor, _without_jit(cursor):
            cursor.execute(
                _loan_states_sql(chosen, "l.contract_no, chosen.digest, c.assignee_id, b.name"), [numbers]
            )
            found = cursor.fetchall()
        # Kept as the row's digest followed by the state's (see `_keep_digests`).
        return {
            number: (kept.removesuffix(state), assignee_id, branch)
            for number, kept, assignee_id, branch, state in found
            if kept.endswith(state)
        }

    def take_unchanged(self, rows: list[tuple[int, RawRow]]) -> None:
        """Count a wholly unchanged file's rows; the preview's sample is read as they are."""
        self.outcome.rows = self.outcome.unchanged = len(rows)
        for row_number, raw, branch_name, assignee in self.unchanged_sample:
            row = self.validator.check(row_number, raw)
            if isinstance(row, HandoverRow):
                cells = normalized_cells(row)
                cells["branch"] = branch_name
                cells["assignee"] = assignee.get_username() if assignee is not None else ""
                self.outcome.sample.append({"row": row_number, "action": "unchanged", **cells})

    def resolve(self) -> None:
        accepted = self.accepted
        existing_loans = self.existing_loans = self._existing_loans(
            [row.contract_no for row, _branch, _assignee in accepted if row.contract_no in self.loan_owners]
        )
        self.loan_owners = {}
        self._load_parties(row for row, _branch, _assignee in accepted)
        self._load_cases({row.id_number for row, _branch, _assignee in accepted})
        self._load_case_parties_and_collateral(existing_loans)
        for row, branch_name, assignee in accepted:
            counts_before = (self.outcome.created, self.outcome.updated)
            self._plan_row(row, branch_name, assignee, existing_loans.get(row.contract_no))
            if len(self.outcome.sample) < PREVIEW_SAMPLE_ROWS:
                self.outcome.sample.append(self._sample(row, branch_name, assignee, counts_before))

    def _check_against_docket(self, row: HandoverRow | RejectedRow, raw: RawRow) -> tuple[bool, str, Any]:
        """Reject what only the docket can refute, every problem of the row (an unknown
        assignee and a contract of another branch are two lines), keeping its `raw` cells for
        the error file. Returns (no problem found, the row's branch, its assignee)."""

        def reject(field_name: str, value: object, message: str) -> None:
            self.reject(row, field_name, value, message, raw)

        ok = True
        assignee = None
        if row.assignee:
            assignee = self.users.get(row.assignee) or self.users.get(row.assignee.lower())
            if assignee is None:
                reject("assignee", row.assignee, f"找不到用户“{row.assignee}”（no such user）")
                ok = False
            elif assignee == "ambiguous":
                reject(
                    "assignee",
                    row.assignee,
                    f"邮箱“{row.assignee}”对应多个用户，请填写用户名（several users share this e-mail）",
                )
                ok = False
        owner = self.loan_owners.get(row.contract_no) if row.contract_no else None
        existing_branch = self.branch_names[owner[2]] if owner is not None else None
        importer_branch = self.importer_branch
        branch_name = row.branch or existing_branch or importer_branch or settings.RECOVERY_DEFAULT_BRANCH
        if not self.may_import_any_branch and branch_name != importer_branch:
            reject(
                "branch",
                branch_name,
                f"只能导入本机构（{importer_branch}）的贷款（you may import loans of your own branch only）",
            )
            ok = False
        if owner is not None:
            debtor_id_number, debtor_name, _branch_id = owner
            if row.id_number and debtor_id_number != row.id_number:
                reject(
                    "id_number",
                    row.id_number,
                    f"合同编号“{row.contract_no}”已登记在 {debtor_name} 名下"
                    f"（this contract already belongs to another debtor）",
                )
                ok = False
            if branch_name and existing_branch != branch_name:
                reject(
                    "branch",
                    branch_name,
                    f"合同编号“{row.contract_no}”已属于机构 {existing_branch}"
                    f"（this contract belongs to another branch; move the case instead）",
                )
                ok = False
        return ok, branch_name, assignee

    def _sample(
        self, row: HandoverRow, branch_name: str, assignee: Any, counts_before: tuple[int, int]
    ) -> dict[str, Any]:
        """A preview line: the row as it will be imported, after `_plan_row` counted it."""
        if self.outcome.created > counts_before[0]:
            action = "created"
        elif self.outcome.updated > counts_before[1]:
            action = "updated"
        else:
            action = "unchanged"
        cells = normalized_cells(row)
        cells["branch"] = branch_name
        cells["assignee"] = assignee.get_username() if assignee is not None else ""
        return {"row": row.row, "action": action, **cells}

    def _importer_branch(self) -> str | None:
        profile = getattr(self.user, "staff_profile", None) if self.user else None
        return profile.branch.name if profile and profile.branch_id else None

    def _look_up_users(self, written: set[str]) -> None:
        """Add to `users` each assignee as written -> user; an e-mail several users share ->
        "ambiguous". A text is looked up once, with its username and e-mail readings at once:
        what an earlier batch found stands."""
        written = written - self.assignees_looked_up
        if not written:
            return
        self.assignees_looked_up |= written
        lowered = {text.lower() for text in written}
        found: dict[str, Any] = {}
        user_model = get_user_model()
        candidates = user_model.objects.filter(is_active=True).annotate(email_lower=Lower("email"))
        candidates = candidates.filter(Q(username__in=written) | Q(email_lower__in=lowered))
        by_email: dict[str, list[Any]] = defaultdict(list)
        for user in candidates:
            if user.username in written:
                found[user.username] = user
            if user.email_lower in lowered:
                by_email[user.email_lower].append(user)
        for email, users in by_email.items():
            if email not in found:
                found[email] = users[0] if len(users) == 1 else "ambiguous"
        for text, user in found.items():
            self.users.setdefault(text, user)

    def _load_branches(self) -> None:
        self.branches = {branch.name: branch for branch in Branch.objects.all()}
        self.branch_names = {branch.pk: name for name, branch in self.branches.items()}

    def _look_up_owners(self, numbers: list[str]) -> None:
        """Add the batch's loans on record to `loan_owners`."""
        numbers = [number for number in numbers if number not in self.loan_owners]
        for chunk in chunks(numbers, BATCH):
            owners = Loan.objects.filter(contract_no__in=chunk).values_list(
                "contract_no", "case__debtor__id_number", "case__debtor__name", "branch_id"
            )
            for number, id_number, name, branch_id in owners:
                self.loan_owners[number] = (id_number, name, branch_id)

    def _existing_loans(self, numbers: list[str]) -> dict[str, Loan]:
        """These loans on record, each with its case (one object per case, so that a change
        planned through any loan is seen by all) and branch attached."""
        loans: dict[str, Loan] = {}
        for chunk in chunks(numbers, BATCH):
            for loan in Loan.objects.filter(contract_no__in=chunk):
                loans[loan.contract_no] = loan
        self._load_cases_by_id({loan.case_id for loan in loans.values()})
        branches = {branch.pk: branch for branch in self.branches.values()}
        for loan in loans.values():
            loan.case = self.case_by_pk[loan.case_id]
            loan.branch = branches[loan.branch_id]
        return loans

    def _load_cases_by_id(self, case_ids: Iterable[int]) -> None:
        missing = [pk for pk in case_ids if pk not in self.case_by_pk]
        for chunk in chunks(missing, BATCH):
            for case in Case.objects.filter(pk__in=chunk).select_related("debtor", "branch", "assignee"):
                self.case_by_pk[case.pk] = case

    def _load_parties(self, rows: Iterable[HandoverRow]) -> None:
        rows = list(rows)
        numbers = {row.id_number for row in rows} | {g.id_number for row in rows for g in row.guarantors}
        for chunk in chunks(numbers, BATCH):
            for party in Party.objects.filter(id_number__in=chunk):
                self.parties[party.id_number] = party
        self._existing_party_ids = set(self.parties)
        # New parties take their details from the first row naming them as borrower, else
        # as guarantor; existing ones gain the file's new phone numbers and a missing address.
        for row in rows:
            party = self.parties.get(row.id_number)
            if party is None:
                party = Party(
                    kind=row.borrower_type,
                    name=row.borrower_name,
                    id_number=row.id_number,
                    phones=";".join(row.phones),
                    address=row.address or "",
                )
                self.parties[row.id_number] = party
            else:
                self._merge_contacts(party, row)
        for row in rows:
            for guarantor in row.guarantors:
                if guarantor.id_number not in self.parties:
                    self.parties[guarantor.id_number] = Party(
                        kind=guarantor.kind, name=guarantor.name, id_number=guarantor.id_number
                    )

    def _merge_contacts(self, party: Party, row: HandoverRow) -> None:
        changes: dict[str, list[Any]] = {}
        phones = party.phone_list
        added = [phone for phone in row.phones if phone not in phones]
        if added:
            merged = ";".join([*phones, *added])
            if len(merged) <= Party._meta.get_field("phones").max_length:
                changes["phones"] = [party.phones, merged]
                party.phones = merged
        if row.address and not party.address:
            changes["address"] = [party.address, row.address]
            party.address = row.address
        if changes and party.pk is not None:
            recorded = self.party_changes.setdefault(party.id_number, {})
            for name, (old, new) in changes.items():
                recorded[name] = [recorded.get(name, [old])[0], new]

    def _load_cases(self, debtor_numbers: set[str]) -> None:
        """The open case of each (debtor, branch), oldest first, for new loans to join."""
        found: list[tuple[int, str, str]] = []
        for chunk in chunks(debtor_numbers, BATCH):
            found.extend(
                Case.objects.filter(debtor__id_number__in=chunk, status__in=OPEN_STATUSES)
                .order_by("id")
                .values_list("pk", "debtor__id_number", "branch__name")
            )
        self._load_cases_by_id(pk for pk, _number, _branch in found)
        for pk, number, branch_name in sorted(found):
            self.cases.setdefault((number, branch_name), self.case_by_pk[pk])

    def _load_case_parties_and_collateral(self, existing_loans: dict[str, Loan]) -> None:
        case_ids = set(self.case_by_pk)
        # (case, party, role) -> id: objects are built only when a row needs one.
        self.case_parties: dict[tuple[int, int, str], int] = {}
        for chunk in chunks(case_ids, BATCH):
            roles = [PartyRole.BORROWER, PartyRole.GUARANTOR]
            links = CaseParty.objects.filter(case_id__in=chunk, role__in=roles)
            for pk, case_id, party_id, role in links.values_list("pk", "case_id", "party_id", "role"):
                self.case_parties[(case_id, party_id, role)] = pk
        self.collateral: set[tuple[str, str]] = set()
        # (party role id, loan id) -> (id, guarantee type, needs review)
        self.loan_links: dict[tuple[int, int], tuple[int, str, bool]] = {}
        loan_ids = [loan.pk for loan in existing_loans.values()]
        for chunk in chunks(loan_ids, BATCH):
            self.collateral.update(
                Collateral.objects.filter(loan_id__in=chunk).values_list("loan__contract_no", "description")
            )
            for pk, case_party_id, loan_id, guarantee_type, review in LoanParty.objects.filter(
                loan_id__in=chunk
            ).values_list("pk", "case_party_id", "loan_id", "guarantee_type", "needs_review"):
                self.loan_links[(case_party_id, loan_id)] = (pk, guarantee_type, review)

    def _plan_row(self, row: HandoverRow, branch_name: str, assignee: Any, existing: Loan | None) -> None:
        debtor = self.parties[row.id_number]
        changed = debtor.pk is not None and row.id_number in self.party_changes
        if branch_name not in self.branches:
            self.branches[branch_name] = Branch(name=branch_name)
        branch = self.branches[branch_name]
        case = self._case_of(row, branch_name, branch, debtor, assignee, existing)
        changed |= self._plan_assignee(case, assignee)
        loan, loan_changed = self._plan_loan(row, case, branch, existing)
        changed |= loan_changed
        changed |= self._plan_link(case, debtor, PartyRole.BORROWER)[0]
        changed |= self._plan_guarantors(row, case, loan)
        changed |= self._plan_collateral(row, case, loan)
        if existing is None:
            self.outcome.created += 1
        elif changed:
            self.outcome.updated += 1
        else:
            self.outcome.unchanged += 1

    def _case_of(
        self,
        row: HandoverRow,
        branch_name: str,
        branch: Branch,
        debtor: Party,
        assignee: Any,
        existing: Loan | None,
    ) -> Case:
        """The row's case: a re-sent loan's own, whatever its status; else the debtor's open
        case at the branch, or a new one (opened on the earliest hand-over of its rows)."""
        if existing is not None:
            return existing.case
        case_key = (row.id_number, branch_name)
        case = self.cases.get(case_key)
        if case is None:
            case = Case(debtor=debtor, branch=branch, assignee=assignee, opened_on=row.handed_over_on)
            self.cases[case_key] = case
            self.outcome.cases_created += 1
        elif case.pk is None and row.handed_over_on < case.opened_on:
            case.opened_on = row.handed_over_on
        return case

    def _plan_assignee(self, case: Case, assignee: Any) -> bool:
        """Plan the row's assignee on its case; True when a case on record is reassigned."""
        if assignee is None or case.assignee_id == assignee.pk:
            return False
        if case.pk is None:
            case.assignee = case.assignee or assignee
            return False
        recorded = self.case_changes.setdefault(case.pk, {})
        old = recorded.get("assignee", [str(case.assignee) if case.assignee else None])[0]
        recorded["assignee"] = [old, str(assignee)]
        case.assignee = assignee
        return True

    def _plan_loan(
        self, row: HandoverRow, case: Case, branch: Branch, existing: Loan | None
    ) -> tuple[Loan, bool]:
        """The row's loan, new or on record with the file's values; True when one on record
        changes."""
        values = {
            "amount": row.loan_amount,
            "principal_outstanding": row.principal_outstanding,
            "interest_outstanding": row.interest_outstanding,
            "penalty_interest": row.penalty_interest,
            "disbursed_on": row.disbursed_on,
            "due_on": row.due_on,
            "last_payment_on": row.last_payment_on,
            "security_types": _security_text(row.security_types),
            "handed_over_on": row.handed_over_on,
        }
        if existing is None:
            loan = Loan(contract_no=row.contract_no, case=case, branch=branch, **values)
            self.loans[row.contract_no] = loan
            return loan, False
        differs = {name: value for name, value in values.items() if getattr(existing, name) != value}
        if not differs:
            return existing, False
        self.loan_before[row.contract_no] = snapshot(existing)
        for name, value in differs.items():
            setattr(existing, name, value)
        self.loans[row.contract_no] = existing
        return existing, True

    def _plan_guarantors(self, row: HandoverRow, case: Case, loan: Loan) -> bool:
        changed = False
        for guarantor in row.guarantors:
            party = self.parties[guarantor.id_number]
            guarantee_type = GuaranteeType(guarantor.guarantee_type)
            role_changed, case_party = self._plan_link(case, party, PartyRole.GUARANTOR)
            changed |= role_changed
            # The guarantee is on THIS row's loan only (a guarantor on two rows: two links).
            changed |= self._plan_loan_link(case_party, loan, guarantee_type)
            if party.pk is not None and guarantor.id_number in self.party_changes:
                changed = True
        return changed

    def _plan_collateral(self, row: HandoverRow, case: Case, loan: Loan) -> bool:
        changed = False
        for description in row.collateral:
            if (row.contract_no, description) not in self.collateral:
                self.collateral.add((row.contract_no, description))
                self.new_collateral.append(Collateral(case=case, loan=loan, description=description))
                changed = True
        return changed

    def _plan_link(self, case: Case, party: Party, role: str) -> tuple[bool, CaseParty]:
        """Plan the party's role in the case: (True when that is a change, the role)."""
        if case.pk is not None and party.pk is not None:
            pk = self.case_parties.get((case.pk, party.pk, role))
            if pk is not None:
                stored = self.stored_case_parties.get(pk)
                if stored is None:
                    stored = CaseParty(pk=pk, case=case, party=party, role=role)
                    self.stored_case_parties[pk] = stored
                return False, stored
        key = (id(case), party.id_number, role)
        if key in self.new_case_parties:
            return False, self.new_case_parties[key]
        link = CaseParty(case=case, party=party, role=role)
        self.new_case_parties[key] = link
        return True, link

    def _plan_loan_link(self, case_party: CaseParty, loan: Loan, guarantee_type: str) -> bool:
        """Plan the guarantor's guarantee of this loan; True when that is a change. A link the
        migration made for review is confirmed by a row naming the guarantor on its loan."""
        if case_party.pk is not None and loan.pk is not None:
            stored = self.loan_links.get((case_party.pk, loan.pk))
            if stored is not None:
                pk, stored_type, review = stored
                if stored_type == guarantee_type and not review:
                    return False
                if pk not in self.changed_loan_links:
                    link = LoanParty(
                        pk=pk,
                        case_party=case_party,
                        loan=loan,
                        guarantee_type=stored_type,
                        needs_review=review,
                    )
                    self.changed_loan_links[pk] = (link, snapshot(link))
                link = self.changed_loan_links[pk][0]
                link.guarantee_type, link.needs_review = guarantee_type, False
                self.loan_links[(case_party.pk, loan.pk)] = (pk, guarantee_type, False)
                return True
        key = (id(case_party), loan.contract_no)
        if key in self.new_loan_links:
            return False
        self.new_loan_links[key] = LoanParty(case_party=case_party, loan=loan, guarantee_type=guarantee_type)
        return True

    # --- writing ----------------------------------------------------------------------

    def write(self, *, source: str, progress: Progress) -> None:
        """Insert and update in batches; every object gets its audit entry (bulk too)."""
        audit = _AuditBatch(user=self.user, source=source)
        new_branches = [branch for branch in self.branches.values() if branch.pk is None]
        bulk_insert(new_branches)
        audit.created(new_branches, BRANCH_IMPORTED)

        new_parties = [party for party in self.parties.values() if party.pk is None]
        bulk_insert(new_parties)
        audit.created(new_parties, PARTY_IMPORTED)
        changed_parties = [self.parties[number] for number in self.party_changes]
        Party.objects.bulk_update(changed_parties, ["phones", "address"], batch_size=BATCH)
        for party in changed_parties:
            audit.changed(party, self.party_changes[party.id_number], PARTY_UPDATED)
        progress("writing", len(new_parties), None)

        new_cases = [case for case in self.cases.values() if case.pk is None]
        self._number_cases(new_cases)
        for case in new_cases:
            _link_ids(case, "debtor", "branch")
        bulk_insert(new_cases)
        audit.created(new_cases, CASE_IMPORTED)
        reassigned = [self.case_by_pk[pk] for pk in self.case_changes]
        Case.objects.bulk_update(reassigned, ["assignee"], batch_size=BATCH)
        for case in reassigned:
            audit.changed(case, self.case_changes[case.pk], CASE_REASSIGNED)

        new_loans = [loan for loan in self.loans.values() if loan.pk is None]
        changed_loans = [loan for loan in self.loans.values() if loan.pk is not None]
        for loan in new_loans:
            _link_ids(loan, "case", "branch")
        bulk_insert(new_loans)
        progress("writing", len(new_loans), None)
        audit.created(new_loans, LOAN_IMPORTED)
        Loan.objects.bulk_update(changed_loans, list(LOAN_FIELDS), batch_size=BATCH)
        for loan in changed_loans:
            audit.changed(loan, _diff(self.loan_before[loan.contract_no], snapshot(loan)), LOAN_UPDATED)

        links = list(self.new_case_parties.values())
        for link in links:
            _link_ids(link, "case", "party")
        bulk_insert(links)
        audit.created(links, CASE_PARTY_IMPORTED)
        loan_links = list(self.new_loan_links.values())
        for loan_link in loan_links:
            _link_ids(loan_link, "case_party", "loan")
        bulk_insert(loan_links)
        audit.created(loan_links, LOAN_PARTY_IMPORTED)
        changed_links = list(self.changed_loan_links.values())
        LoanParty.objects.bulk_update(
            [link for link, _before in changed_links], ["guarantee_type", "needs_review"], batch_size=BATCH
        )
        for link, before in changed_links:
            audit.changed(link, _diff(before, snapshot(link)), LOAN_PARTY_UPDATED)

        for item in self.new_collateral:
            _link_ids(item, "case", "loan")
        bulk_insert(self.new_collateral)
        audit.created(self.new_collateral, COLLATERAL_IMPORTED)
        self._keep_digests(new_loans, changed_loans)

        audit.flush()
        touched = {case.pk for case in new_cases} | {loan.case_id for loan in changed_loans}
        touched |= {case.pk for case in reassigned} | {link.case_id for link in links}
        touched |= {link.loan.case_id for link in loan_links}
        touched |= {link.loan.case_id for link, _before in changed_links}
        touched |= {item.case_id for item in self.new_collateral}
        case_facts_changed(case_ids=touched, user=self.user)

    def _keep_digests(self, new_loans: list[Loan], changed_loans: list[Loan]) -> None:
        """Keep, with each loan created, the digests a re-import compares (see
        `unchanged_rows`), the state's taken from the docket as written; a loan changed drops
        its digest: the cells it was created from no longer describe it. Loans checked and
        found unchanged keep theirs: nothing is written for them."""
        if connection.vendor != "postgresql":
            return  # the embedded database re-checks every row
        if changed_loans:
            LoanImportDigest.objects.filter(loan_id__in=[loan.pk for loan in changed_loans]).delete()
        if not new_loans:
            return
        loans, digests = Loan._meta.db_table, LoanImportDigest._meta.db_table
        chosen = (
            "SELECT l.id, l.case_id, d.row_digest"  # noqa: S608  tables from model metadata; values are parameters
            " FROM unnest(%s::bigint[], %s::text[]) AS d(loan_id, row_digest)"
            f" JOIN {loans} l ON l.id = d.loan_id"
        )
        states = _loan_states_sql(chosen, "chosen.id, chosen.row_digest")
        with connection.cursor() as cursor, _without_jit(cursor):
            cursor.execute(
                f"INSERT INTO {digests} (loan_id, digest)"  # noqa: S608  tables from model metadata; values are parameters
                f" SELECT id, row_digest || state FROM ({states}) AS states",
                [[loan.pk for loan in new_loans], [self.row_digests[loan.contract_no] for loan in new_loans]],
            )

    @staticmethod
    def _number_cases(cases: list[Case]) -> None:
        """Give new cases the next numbers of their year, in file order (RD{year}{6 digits})."""
        by_year: dict[int, list[Case]] = defaultdict(list)
        for case in cases:
            by_year[case.opened_on.year].append(case)
        for year, year_cases in sorted(by_year.items()):
            for case, number in zip(year_cases, case_numbers_next(year, len(year_cases)), strict=True):
                case.number = number


def _link_ids(instance: models.Model, *relations: str) -> None:
    """Copy the ids of related objects inserted just now into the foreign-key columns.

    Written straight into the instance's __dict__: assigning `case_id` through Django's
    descriptor would drop the cached `case` (and cost a query per row when the audit names
    it), and re-assigning `case` through its descriptor costs more than the insert itself
    on 300,000 objects.
    """
    for name in relations:
        instance.__dict__[f"{name}_id"] = getattr(instance, name).pk


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


class _AuditBatch:
    """Audit entries for a bulk write, inserted in batches: the same records (Wagtail log
    entries, one shared uuid per run) that `recovery.lib.audit` writes one at a time, built by
    it (`log_entry_row`) as plain rows because a 100,000-row import writes some 300,000 of
    them. An entry is built while the batch is being copied (see `recovery.lib.bulk`), so the
    objects must not change between being recorded and the next flush."""

    def __init__(self, *, user: Any, source: str) -> None:
        self.batch = LogBatch(
            user_id=user.pk if user is not None else None,
            source=source,
            timestamp=timezone.now(),
            uuid=uuid.uuid4(),
        )
        # (object, action, data); data None means "created": its values are taken at flush.
        self.pending: list[tuple[models.Model, str, dict[str, Any] | None]] = []
        self.content_types: dict[type, int] = {}

    def _add(self, instance: models.Model, action: str, data: dict[str, Any] | None) -> None:
        self.pending.append((instance, action, data))
        if len(self.pending) >= BATCH * 10:
            self.flush()

    def created(self, instances: Iterable[models.Model], action: str) -> None:
        for instance in instances:
            self._add(instance, action, None)

    def changed(self, instance: models.Model, changes: dict[str, list[Any]], action: str) -> None:
        if changes:
            self._add(instance, action, {"changes": changes})

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        # Content types are looked up now: no query may run while the entries are copied.
        for model in {type(instance) for instance, _action, _data in pending} - set(self.content_types):
            self.content_types[model] = ContentType.objects.get_for_model(model, for_concrete_model=False).pk
        entries = (
            log_entry_row(
                instance,
                action=action,
                batch=self.batch,
                content_type_id=self.content_types[type(instance)],
                data=data,
            )
            for instance, action, data in pending
        )
        bulk_insert_values(ModelLogEntry, entries, count=len(pending))
