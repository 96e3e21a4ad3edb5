"""Money on pages: ¥1,234,567.80, as lawyers and managers read amounts."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def yuan(amount: Any) -> str:
    """¥ with thousands separators and fen; blank for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    return f"¥{value:,.2f}"
