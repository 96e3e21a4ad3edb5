"""The docket's Python-rendered cells produce Wagtail's cell markup, value for value."""

import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation
from django.utils.safestring import mark_safe
from wagtail.admin.ui.tables import Column

from recovery.admin.columns import InlineColumn, InlineMaskedColumn
from recovery.lib.masking import MaskedColumn
from recovery.selectors.access import mask_id_number


def _same_markup(html: str) -> str:
    # The template's indentation is no part of what the page shows.
    return re.sub(r"\s*(<|>)\s*", r"\1", str(html)).strip()


class _Named:
    def __str__(self) -> str:
        return "上海分行 <总行>"


VALUES = [
    "王大明",
    "<script>alert(1)</script> & 'quotes'",
    mark_safe("<b>safe</b>"),
    Decimal("1234567.80"),
    12345,
    date(2025, 12, 31),
    _Named(),
    None,
    "",
    "   ",
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
@pytest.mark.parametrize("classname", [None, "number"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_inline_cell_is_wagtails_cell(value, classname, language):
    row = SimpleNamespace(field=value)
    context = {"row": None, "table": None, "request": None}
    with translation.override(language):
        expected = Column("field", classname=classname).render_cell_html(row, context)
        got = InlineColumn("field", classname=classname).render_cell_html(row, context)
    assert _same_markup(got) == _same_markup(expected)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["lawyer", "head"])
def test_an_inline_masked_cell_is_the_masked_cell(staff, rf, role):
    request = rf.get("/")
    request.user = staff[role]
    row = SimpleNamespace(id_number="310115198001010011")
    context = {"row": None, "table": None, "request": request}
    expected = MaskedColumn("id_number", masker=mask_id_number).render_cell_html(row, context)
    got = InlineMaskedColumn("id_number", masker=mask_id_number).render_cell_html(row, context)
    assert _same_markup(got) == _same_markup(expected)
