"""The admin under the Content-Security-Policy (script-src 'self' and a nonce): Wagtail starts
some widgets from an inline <script> right after the input, which the policy refuses:

* the date, time and date-time pickers: their templates in recovery/templates/wagtailadmin/
  widgets/ (found before Wagtail's: recovery comes first in INSTALLED_APPS) leave a marker;
* the choosers (snippets, pages, images, documents): `BaseChooser.render` writes the script
  itself, so it is replaced below by one that leaves a marker instead.

recovery/static/recovery/js/csp-widgets.js, loaded on every admin page, starts every marker.
The browser test tests/e2e/test_csp_browser.py fails if a Wagtail upgrade brings the inline
scripts back.

Imported by `recovery.admin.docket`, so that the hook registers with the others.
"""

import json
from typing import Any

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from wagtail.admin.widgets.chooser import BaseChooser

_wagtail_render = BaseChooser.render
_wagtail_render_js_init = BaseChooser.render_js_init


def _render_with_marker(
    self: BaseChooser, name: str, value: Any, attrs: dict | None = None, renderer: Any = None
) -> SafeString:
    if type(self).render_js_init is not _wagtail_render_js_init or not attrs or "id" not in attrs:
        # A chooser that writes its own script (or Wagtail's error for a missing id): as is.
        return _wagtail_render(self, name, value, attrs, renderer)
    id_ = attrs["id"]
    value_data = self.get_value_data(value)
    marker = format_html(
        '<span hidden data-recovery-constructor="{}" data-input-id="{}" data-config="{}"></span>',
        self.js_constructor,
        id_,
        json.dumps(self.get_js_init_options(id_, name, value_data)),
    )
    return mark_safe(self.render_html(name, value_data, attrs) + marker)  # noqa: S308 - both escaped


BaseChooser.render = _render_with_marker


def csp_widget_starter() -> str:
    return format_html('<script src="{}"></script>', static("recovery/js/csp-widgets.js"))
