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
from functools import partial
from itertools import islice, starmap
from operator import attrgetter, itemgetter
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
    fields = [field for field in model._meta.concrete_fields if field is not model._meta.pk]
    # `pre_save` only where it computes something (auto_now dates); it also sets the value on
    # the instance, where one getter then reads every column in a single call.
    stamped = [field for field in fields if _is_timestamp(field)]
    values_of = _getter(attrgetter, [field.attname for field in fields])

    def rows() -> Iterator[tuple[Any, ...]]:
        for obj in objects:
            for field in stamped:
                field.pre_save(obj, add=True)
            yield values_of(obj)

    ids = _copy_all(model, fields, rows() if stamped else map(values_of, objects), len(objects))
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
    fields = [field for field in model._meta.concrete_fields if field is not model._meta.pk]
    values_of = _getter(itemgetter, [field.attname for field in fields])
    # Only auto_now(_add) timestamps may be left out (they get "now", one per call); any
    # other missing value is a programming error, raised as a KeyError.
    now = timezone.now()
    stamps = {field.attname: now for field in fields if _is_timestamp(field)}
    if stamps:
        stamp_names = stamps.keys()
        values = (values_of(row if stamp_names <= row.keys() else stamps | row) for row in rows)
    else:
        values = map(values_of, rows)
    return _copy_all(model, fields, values, count)


def _getter(make: Callable[..., Callable[[Any], Any]], names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """`make(*names)` (attrgetter, itemgetter) always giving a tuple: of one name it gives the
    value itself."""
    if len(names) == 1:
        get = make(names[0])
        return lambda source: (get(source),)
    return make(*names)


def _copy_all(
    model: type[models.Model], fields: list[models.Field], values: Iterable[tuple[Any, ...]], count: int
) -> list[int]:
    line = _line_builder(fields)
    ids: list[int] = []
    remaining = iter(values)
    for start in range(0, count, _BATCH):
        ids.extend(_copy(model, fields, line, remaining, min(_BATCH, count - start)))
    return ids


def _copy(
    model: type[models.Model],
    fields: list[models.Field],
    line: Callable[[int, tuple[Any, ...]], str],
    values: Iterator[tuple[Any, ...]],
    count: int,
) -> list[int]:
    meta = model._meta
    pk = meta.pk
    with connection.cursor() as cursor:
        # The sequence is named once: resolving it in every row costs ten times the nextval.
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, pk.column])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
        ids = [row[0] for row in cursor.fetchall()]
        # strict: an iterator yielding fewer rows than announced is an error
        lines = starmap(line, zip(ids, islice(values, count), strict=True))
        table = connection.ops.quote_name(meta.db_table)
        names = ", ".join(connection.ops.quote_name(field.column) for field in [pk, *fields])
        sql = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')"
        stream = _CsvStream(lines)
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
        # Lines taken per read, adjusted to the length of the lines seen so that a read gives
        # about `size` characters: joined in one call, not measured line by line.
        self._per_read = 1

    def read(self, size: int = -1) -> str:
        try:
            if size < 0:
                return "".join(self._lines)
            parts = list(islice(self._lines, self._per_read))
        except BaseException as failure:
            self.failure = failure
            raise
        text = "".join(parts)
        if text:
            self._per_read = max(1, size * len(parts) // len(text))
        return text


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


def _line_builder(fields: list[models.Field]) -> Callable[[int, tuple[Any, ...]], str]:
    """A function of (new id, the row's values in `fields` order) giving its CSV line.

    The import writes about a million values; a converter called per value (a Python frame
    each) cost more than the COPY itself. So the line is one f-string compiled once per field
    list, each value converted by an expression inline: the common types directly, anything
    else through a helper (the field's own database preparation). The source is made of the
    fixed expressions below and generated names only, never of data or of names given from
    outside.
    """
    helpers: dict[str, Any] = {"NULL": NULL, "_text": _csv_text, "_needs_quotes": _NEEDS_QUOTES.search}
    names = [f"v{index}" for index in range(len(fields))]
    replacements = [
        _replacement(field, name, f"_f{index}", helpers)
        for index, (field, name) in enumerate(zip(fields, names, strict=True))
    ]
    unpack = ", ".join(names) + ("," if len(names) == 1 else "")
    body = ",".join(replacements)
    source = f'def line(new_id, values):\n    {unpack} = values\n    return f"{{new_id}},{body}\\n"\n'
    namespace: dict[str, Any] = {}
    exec(compile(source, "<recovery.lib.bulk line>", "exec"), helpers, namespace)  # noqa: S102  fixed expressions, see above
    line: Callable[[int, tuple[Any, ...]], str] = namespace["line"]
    return line


def _replacement(field: models.Field, name: str, helper: str, helpers: dict[str, Any]) -> str:
    """The f-string replacement field writing one value of `field` (variable `name`) as a CSV
    field; a helper it needs goes into `helpers` under the name `helper`."""
    plain = None  # a cheaper form for a value known not to be None
    if isinstance(field, models.JSONField):
        encode = (field.encoder or DjangoJSONEncoder)(ensure_ascii=False).encode
        helpers[helper] = lambda value: (
            NULL if value is None else '"' + encode(value).replace('"', '""') + '"'
        )
        return f"{{{helper}({name})}}"  # None included
    if isinstance(field, models.BooleanField):
        # A dict lookup: anything but a bool (or 0/1) is refused with a KeyError, not stored.
        helpers[helper] = {True: "t", False: "f"}
        expression = f"{helper}[{name}]"
    elif isinstance(field, models.CharField | models.TextField):
        # Text needing no quotes as it is; anything else (None too) through _csv_text.
        expression = f"{name} if type({name}) is str and not _needs_quotes({name}) else _text({name})"
    elif isinstance(field, models.IntegerField | models.ForeignKey | models.UUIDField):
        expression, plain = f"str({name})", f"{name}!s"
    elif isinstance(field, models.DateTimeField):  # ISO 8601, with its offset
        helpers[helper] = datetime.isoformat
        expression = f"{helper}({name})"
    elif isinstance(field, models.DateField):
        helpers[helper] = date.isoformat
        expression = f"{helper}({name})"
    elif isinstance(field, models.DecimalField):
        expression, plain = f"format({name}, 'f')", f"{name}:f"
    else:
        helpers[helper] = partial(_prepared_text, field)
        expression = f"{helper}({name})"
    if field.null:
        return f"{{NULL if {name} is None else {expression}}}"
    # A None here is refused by the database or by the conversion, never stored as text.
    return f"{{{plain or expression}}}"


def _prepared_text(field: models.Field, value: Any) -> str:
    return _csv_text(field.get_db_prep_save(value, connection))


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
