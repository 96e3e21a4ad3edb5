"""Inserting many rows fast: PostgreSQL `COPY` where available, `bulk_create` elsewhere.

The import and the deadline recompute write hundreds of thousands of rows in one transaction.
`bulk_create` spends most of its time preparing each value in Python and building a huge
INSERT; `COPY` streams the same rows as CSV at close to the database's own speed. Primary keys
are taken from the table's sequence first, so callers get their objects back with ids set, just
as from `bulk_create`.

The CSV is produced lazily, block by block, while PostgreSQL is already storing the blocks sent
before: the server works on the other core instead of waiting for the whole text. Row values
may themselves be produced lazily (`rows` as an iterator), so that building them overlaps with
the server's work too. Nothing produced during a COPY may query the database: the connection
is busy with the COPY, and such a query raises `QueryDuringCopy` instead of hanging.
"""

import gc
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from itertools import islice
from operator import itemgetter
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

T = TypeVar("T")

NULL = "\\N"
_BATCH = 20_000  # rows per COPY statement (ids are allocated per statement)
_BLOCK = 1 << 16  # characters handed to the connection per read


class QueryDuringCopy(RuntimeError):
    """A row producer touched the database while its rows were being copied."""


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (the last one shorter), read lazily: a round of queries per
    list keeps every `IN (...)` and every statement bounded."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def bulk_insert(objects: Sequence[models.Model]) -> None:
    """Insert unsaved model instances of one model and set their primary keys.

    Like `bulk_create`: no save() and no signals; `auto_now`/`auto_now_add` and defaults apply.
    """
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=1000)
        return
    fields = list(model._meta.concrete_fields)
    readers = [(field.attname, _reader(field)) for field in fields]
    rows = ({attname: read(obj) for attname, read in readers} for obj in objects)
    ids = bulk_insert_values(model, rows, count=len(objects))
    for obj, new_id in zip(objects, ids, strict=True):
        setattr(obj, model._meta.pk.attname, new_id)
        obj._state.adding = False
        obj._state.db = connection.alias


def bulk_insert_values(
    model: type[models.Model],
    rows: Iterable[dict[str, Any]],
    *,
    count: int | None = None,
) -> list[int]:
    """Insert rows given as {attname: value} (every concrete field but the primary key, which
    is allocated here) without building model instances; returns the new primary keys.

    `rows` may be an iterator, consumed while the rows are copied; `count` (required then) is
    how many it yields.
    """
    if count is None:
        count = len(rows)  # type: ignore[arg-type]  # a Sequence, when no count is given
    if not count:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in islice(rows, count)]
        if len(objects) != count:
            raise ValueError(f"{count} rows announced, {len(objects)} given")
        model.objects.bulk_create(objects, batch_size=1000)
        return [obj.pk for obj in objects]
    ids: list[int] = []
    remaining = iter(rows)
    for start in range(0, count, _BATCH):
        ids.extend(_copy(model, remaining, min(_BATCH, count - start)))
    return ids


def _copy(model: type[models.Model], rows: Iterator[dict[str, Any]], count: int) -> list[int]:
    meta = model._meta
    pk = meta.pk
    fields = [field for field in meta.concrete_fields if field is not pk]
    with connection.cursor() as cursor:
        # The sequence is named once: resolving it in every row costs ten times the nextval.
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, pk.column])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
        ids = [row[0] for row in cursor.fetchall()]
        # Only auto_now(_add) timestamps may be left out (they get "now"); any other missing
        # value is a programming error, raised as a KeyError.
        now = timezone.now()
        stamps = {field.attname: now for field in fields if _is_timestamp(field)}
        attnames = [field.attname for field in fields]
        # itemgetter of one name gives the value itself, of several a tuple
        values_of = itemgetter(*attnames) if len(attnames) > 1 else lambda row: (row[attnames[0]],)
        converters = [_converter(field) for field in fields]

        def lines() -> Iterator[str]:
            # strict: an iterator yielding fewer rows than announced is an error
            for new_id, row in zip(ids, islice(rows, count), strict=True):
                if stamps and not stamps.keys() <= row.keys():
                    row = stamps | row
                texts = [convert(value) for convert, value in zip(converters, values_of(row), strict=True)]
                yield f"{new_id},{','.join(texts)}\n"

        table = connection.ops.quote_name(meta.db_table)
        names = ", ".join(connection.ops.quote_name(field.column) for field in [pk, *fields])
        sql = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')"
        stream = _CsvStream(lines())
        try:
            # The raw cursor is used for COPY: its errors become Django's as for any query.
            with connection.execute_wrapper(_refuse_query), connection.wrap_database_errors:
                cursor.cursor.copy_expert(sql, stream, size=_BLOCK)
        except Exception:
            # psycopg2 reports a failing read() as "COPY from stdin failed"; the cause (a
            # programming error, Ctrl-C) is what the caller must see.
            if stream.failure is not None:
                raise stream.failure from None
            raise
    return ids


def _refuse_query(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    raise QueryDuringCopy(f"a query was issued while rows were being copied: {sql[:200]}")


class _CsvStream:
    """A read-only text file over CSV lines made on demand, for `copy_expert`."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.failure: BaseException | None = None

    def read(self, size: int = -1) -> str:
        parts: list[str] = []
        length = 0
        try:
            for line in self._lines:
                parts.append(line)
                length += len(line)
                if 0 <= size <= length:
                    break
        except BaseException as failure:
            self.failure = failure
            raise
        return "".join(parts)


# Text that must be quoted in CSV: separators, quotes, line breaks, and the NULL marker itself
# (PostgreSQL reads an unquoted \N as NULL, a quoted one as the two characters).
_NEEDS_QUOTES = re.compile(r'[",\r\n]|\A\\N\Z')


def _csv_text(value: Any) -> str:
    if value is None:  # NULL even where the column refuses it: the database says so
        return NULL
    text = value if type(value) is str else str(value)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _is_timestamp(field: models.Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _converter(field: models.Field) -> Callable[[Any], str]:
    """How one field's Python value is written as a CSV field for COPY (the common types
    directly, anything else through the field's own database preparation)."""
    convert = _value_converter(field)
    if not field.null:
        # A None here is refused by the database or by the conversion, never stored as text.
        return convert
    return lambda value: NULL if value is None else convert(value)


def _value_converter(field: models.Field) -> Callable[[Any], str]:
    """The conversion of a value that is not None."""
    if isinstance(field, models.JSONField):
        encode = (field.encoder or DjangoJSONEncoder)(ensure_ascii=False).encode
        return lambda value: NULL if value is None else '"' + encode(value).replace('"', '""') + '"'
    if isinstance(field, models.BooleanField):
        return {True: "t", False: "f"}.__getitem__
    if isinstance(field, models.CharField | models.TextField):
        return _csv_text
    if isinstance(field, models.IntegerField | models.ForeignKey | models.UUIDField):
        return str
    if isinstance(field, models.DateTimeField):  # ISO 8601, with its offset
        return datetime.isoformat
    if isinstance(field, models.DateField):
        return date.isoformat
    if isinstance(field, models.DecimalField):
        return lambda value: format(value, "f")
    return lambda value: _csv_text(field.get_db_prep_save(value, connection))


def _reader(field: models.Field) -> Any:
    """The value to store: `pre_save` only where it computes something (auto_now dates)."""
    if _is_timestamp(field):
        return lambda obj: field.pre_save(obj, add=True)
    attname = field.attname
    return lambda obj: getattr(obj, attname)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around a bulk job. Such a job keeps millions of
    objects alive, each of which every full collection walks (~20% of the job's time);
    nothing it builds is cyclic garbage worth collecting before it ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
