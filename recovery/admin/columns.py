"""Listing columns that render their cell in Python.

Wagtail renders every cell of a listing through a template ("wagtailadmin/tables/cell.html"):
a 50-row docket page renders hundreds of them, and they were most of the page's time. These
columns produce the same markup with `format_html`, value localised and escaped as the
template does it.
"""

from typing import Any

from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from wagtail.admin.ui.tables import Column

from recovery.lib.masking import MaskedColumn


class InlineCellMixin:
    """The cell of Wagtail's `Column` (`<td class="…">value</td>`), without its template."""

    classname: str | None

    def render_cell_html(self, instance: Any, parent_context: Any) -> SafeString:
        value = self.get_cell_context_data(instance, parent_context)["value"]  # type: ignore[attr-defined]
        # What `{{ value }}` does: nothing for None, local time, localised numbers and dates.
        shown = "" if value is None else localize(template_localtime(value))
        if self.classname:
            return format_html('<td class="{}">{}</td>', self.classname, shown)
        return format_html("<td>{}</td>", shown)


class InlineColumn(InlineCellMixin, Column):
    pass


class InlineMaskedColumn(InlineCellMixin, MaskedColumn):
    pass
