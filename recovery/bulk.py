"""Inserting many rows fast: PostgreSQL `COPY` where available, `bulk_create` elsewhere.

The import and the deadline recompute write hundreds of thousands of rows in one transaction.
`bulk_create` spends most of its time preparing each value in Python and building a huge
INSERT; `COPY` streams the same rows as CSV at close to the database's own speed. Primary keys
are taken from the table's sequence first, so callers get their objects back with ids set, just
as from `bulk_create`.
"""

import csv
import gc
import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

NULL = "\\N"
_BATCH = 20_000


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
    rows = [{attname: read(obj) for attname, read in readers} for obj in objects]
    ids = bulk_insert_values(model, rows)
    for obj, new_id in zip(objects, ids, strict=True):
        setattr(obj, model._meta.pk.attname, new_id)
        obj._state.adding = False
        obj._state.db = connection.alias


def bulk_insert_values(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows given as {attname: value} (every concrete field but the primary key, which
    is allocated here) without building model instances; returns the new primary keys."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        model.objects.bulk_create(objects, batch_size=1000)
        return [obj.pk for obj in objects]
    ids: list[int] = []
    for start in range(0, len(rows), _BATCH):
        ids.extend(_copy(model, rows[start : start + _BATCH]))
    return ids


def _copy(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    meta = model._meta
    pk = meta.pk
    fields = [field for field in meta.concrete_fields if field is not pk]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        now = timezone.now()
        columns = [(field.attname, _converter(field), _is_timestamp(field)) for field in fields]
        for new_id, row in zip(ids, rows, strict=True):
            values = [str(new_id)]
            for attname, convert, stamped in columns:
                # Only auto_now(_add) timestamps may be left out (they get "now"); any other
                # missing value is a programming error, raised as a KeyError.
                value = row.get(attname, now) if stamped else row[attname]
                values.append(convert(value))
            writer.writerow(values)
        buffer.seek(0)
        table = connection.ops.quote_name(meta.db_table)
        names = ", ".join(connection.ops.quote_name(field.column) for field in [pk, *fields])
        sql = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')"
        cursor.cursor.copy_expert(sql, buffer)
    return ids


def _is_timestamp(field: models.Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _converter(field: models.Field) -> Any:
    """How one field's Python value is written as CSV text for COPY (the common types directly,
    anything else through the field's own database preparation)."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder or DjangoJSONEncoder

        def json_text(value: Any) -> str:
            return NULL if value is None else json.dumps(value, cls=encoder, ensure_ascii=False)

        return json_text
    if isinstance(field, models.BooleanField):
        return lambda value: NULL if value is None else ("t" if value else "f")
    if isinstance(field, models.CharField | models.TextField | models.IntegerField | models.ForeignKey):
        return lambda value: NULL if value is None else str(value)
    if isinstance(field, models.DateField):  # DateTimeField too: ISO 8601, with its offset
        return lambda value: NULL if value is None else value.isoformat()
    if isinstance(field, models.UUIDField):
        return lambda value: NULL if value is None else str(value)
    if isinstance(field, models.DecimalField):
        return lambda value: NULL if value is None else format(value, "f")

    def prepared(value: Any) -> str:
        return NULL if value is None else str(field.get_db_prep_save(value, connection))

    return prepared


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
