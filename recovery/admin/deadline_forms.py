"""Forms of the deadline calculator pages. They only collect text: the dates, the rule and the
events are checked by the calculator itself (`compute_from_json`), whose problems are shown
next to the fields they concern."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from recovery.checks.problems import InputProblem
from recovery.deadlines import RULES
from recovery.deadlines.model import EventKind
from recovery.deadlines.rules import MAX_GUARANTEE_MONTHS
from recovery.models import LapseDecision

RULE_LABELS = {
    "limitation": _("Limitation period (3 years)"),
    "guarantee_period": _("Guarantee period (agreed months, default 6)"),
    "enforcement": _("Enforcement application period (2 years)"),
    "pre_suit_preservation": _("Suit after pre-suit preservation (30 days)"),
    "appeal_judgment": _("Appeal against a judgment (15 days)"),
    "appeal_ruling": _("Appeal against a ruling (10 days)"),
    "preservation_renewal": _("Preservation renewal (7 days before expiry)"),
    "preservation_expiry": _("Preservation expiry (the printed date itself)"),
    "answer_period": _("Defence period (15 days)"),
    "appeal_answer": _("Answer to an appeal (15 days)"),
    "retrial_application": _("Retrial application (6 months)"),
    "payment_order_objection": _("Objection to a payment order (15 days)"),
    "preservation_reconsideration": _("Reconsideration of a preservation ruling (5 days)"),
    "enforcement_review": _("Review of an enforcement objection ruling (10 days)"),
    "third_party_objection_suit": _("Suit after a third-party objection ruling (15 days)"),
    "distribution_objection": _("Objection to a distribution plan (15 days)"),
    "pre_enforcement_preservation": _("Enforcement after pre-enforcement preservation (5 days)"),
    "limitation_20_years": _("20-year maximum period"),
    "auction_notice_real_estate": _("Auction notice, real estate (30 days before)"),
    "auction_notice_movable": _("Auction notice, movables (15 days before)"),
    "write_off_fault_determination": _("Fault determination after a write-off (2 years)"),
    "reauction_notice_real_estate": _("Second auction notice, real estate (15 days before)"),
    "reauction_notice_movable": _("Second auction notice, movables (7 days before)"),
    "reauction_latest": _("Second auction after a failed one (within 30 days)"),
}

EVENT_LABELS = {
    EventKind.DEMAND_DELIVERED: _("Demand delivered to the debtor"),
    EventKind.ANNOUNCEMENT: _("Demand published in a newspaper"),
    EventKind.ACCOUNT_DEBIT: _("Debtor's account debited"),
    EventKind.PARTIAL_PAYMENT: _("Partial payment"),
    EventKind.DEBTOR_ACKNOWLEDGED: _("Debtor acknowledged the debt"),
    EventKind.SUIT_FILED: _("Suit filed"),
    EventKind.PROCEEDINGS_ENDED: _("Proceedings ended"),
    EventKind.OBSTACLE_STARTED: _("Obstacle began (suspension)"),
    EventKind.OBSTACLE_ENDED: _("Obstacle ended"),
}

STATUS_LABELS = {
    "running": _("Running"),
    "expired": _("Expired"),
    "pending_proceedings": _("Suspended by pending proceedings"),
    "suspended": _("Suspended (obstacle)"),
}

DATE_HELP = _("YYYY-MM-DD")


def rule_choices() -> list[tuple[str, Any]]:
    return [(name, RULE_LABELS.get(name, name)) for name in RULES]


def event_choices() -> list[tuple[str, Any]]:
    return [("", "---------")] + [(str(kind), EVENT_LABELS.get(kind, str(kind))) for kind in EventKind]


def _date_field(label: Any, *, required: bool = False, help_text: Any = DATE_HELP) -> forms.CharField:
    # Text, not DateField: the calculator checks the date and says what is wrong with it. At
    # most a few characters more than YYYY-MM-DD, so that no huge value is echoed back.
    return forms.CharField(
        label=label,
        required=required,
        max_length=20,
        help_text=help_text,
        widget=AdminDateInput(attrs={"placeholder": "YYYY-MM-DD", "autocomplete": "off"}),
    )


class EventRowsForm(forms.Form):
    """A form with `event_rows` optional rows of (event type, date); blank rows are ignored."""

    event_rows = 3

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(self.event_rows):
            self.fields[f"event_type_{row}"] = forms.ChoiceField(
                label=_("Event"), choices=event_choices(), required=False
            )
            self.fields[f"event_date_{row}"] = _date_field(_("Date"), help_text="")

    def event_fields(self) -> list[tuple[Any, Any]]:
        """The rows' bound fields, for the template."""
        return [(self[f"event_type_{row}"], self[f"event_date_{row}"]) for row in range(self.event_rows)]

    def events(self) -> tuple[list[dict[str, str]], list[int]]:
        """The filled rows as contract events, and the form row of each (for error messages)."""
        events, rows = [], []
        for row in range(self.event_rows):
            kind = self.cleaned_data.get(f"event_type_{row}") or ""
            day = (self.cleaned_data.get(f"event_date_{row}") or "").strip()
            if not kind and not day:
                continue
            event: dict[str, str] = {"date": day}
            if kind:
                event["type"] = kind
            events.append(event)
            rows.append(row)
        return events, rows

    def add_problems(
        self, problems: list[InputProblem], *, event_rows: list[int], event_offset: int = 0
    ) -> None:
        """Show each calculator problem on the field it names (events[i] → that form row)."""
        for problem in problems:
            name = self._field_for(problem.field, event_rows, event_offset)
            self.add_error(name, problem.message)

    def _field_for(self, field: str, event_rows: list[int], event_offset: int) -> str | None:
        if field in self.fields:
            return field
        if field.startswith("events["):
            index_text, _sep, rest = field[len("events[") :].partition("]")
            if index_text.isdigit() and 0 <= int(index_text) - event_offset < len(event_rows):
                row = event_rows[int(index_text) - event_offset]
                return f"event_date_{row}" if rest == ".date" else f"event_type_{row}"
        return None


class CalculatorForm(EventRowsForm):
    event_rows = 6

    rule = forms.ChoiceField(label=_("Rule"), choices=rule_choices)
    trigger = _date_field(
        _("Runs from"),
        help_text=_(
            "The day the period runs from (not counted): the due date, the day of service, the day "
            "the measure was taken; for a preservation renewal, the expiry date. YYYY-MM-DD."
        ),
    )
    # A bounded number (1 to 50 years): a billion months overflowed the calendar.
    months = forms.IntegerField(
        label=_("Months"),
        required=False,
        min_value=1,
        max_value=MAX_GUARANTEE_MONTHS,
        help_text=_("Guarantee period only: the agreed period in months (default 6)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
    )
    as_of = _date_field(_("Status as of"), help_text=_("Default: today. YYYY-MM-DD."))

    field_order = ["rule", "trigger", "months", "as_of"]

    def to_item(self) -> tuple[dict[str, Any], list[int]]:
        """The contract's input object, and the form row of each event."""
        data = self.cleaned_data
        item: dict[str, Any] = {"rule": data["rule"]}
        trigger = (data.get("trigger") or "").strip()
        if trigger:
            item["trigger"] = trigger
        if data.get("months") is not None:
            item["months"] = data["months"]
        as_of = (data.get("as_of") or "").strip()
        if as_of:
            item["as_of"] = as_of
        events, rows = self.events()
        if events:
            item["events"] = events
        return item, rows


class WhatIfForm(EventRowsForm):
    event_rows = 3

    as_of = _date_field(_("Status as of"), help_text=_("Default: today. YYYY-MM-DD."))

    field_order = ["as_of"]

    def as_of_value(self) -> str | None:
        return (self.cleaned_data.get("as_of") or "").strip() or None


class LapseDecisionForm(forms.Form):
    """The lawyer's decision on a lapsed deadline; the service checks it again (and the scope)."""

    decision = forms.ChoiceField(label=_("Decision"), choices=LapseDecision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why: e.g. no demand on the guarantor can be proven; the debtor disputes the debt."),
    )
