"""Forms of the assets admin: the scoped model forms, renewing and ending a measure, and the
waterfall's sale price and costs (a GET form that writes nothing)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from assets.models import MeasureStatus
from recovery.admin.base import CaseScopedForm
from recovery.lib.files import PrivateFileInput

# What ranks a measure (and which asset it is on) is fixed once recorded: a mistake there is
# corrected by ending the measure and recording it again, so the positions stay consistent.
# Position and status are not form fields at all (the services keep them).
MEASURE_FIELDS_FIXED_ON_EDIT = ("asset", "registered_at")
MONEY_FIELD = {"max_digits": 16, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class AssetScopedForm(CaseScopedForm):
    """CaseScopedForm (which scopes assets and hand-over collateral like every case record: to
    the user's cases, and to this record's case when known), listing assets with their case."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and queryset.model._meta.label == "assets.Asset":
                field.queryset = queryset.select_related("case")


class MeasureForm(AssetScopedForm):
    """A measure is recorded with its asset and registration time (which decide its position);
    editing changes only the fields that do not rank it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in MEASURE_FIELDS_FIXED_ON_EDIT:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Fixed once recorded.")


class AssetFileForm(AssetScopedForm):
    """An uploaded file is kept as uploaded: editing changes its kind and caption only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "file" in self.fields:
            # The stored file is shown by its download view and original name (no media URL).
            self.fields["file"].widget = PrivateFileInput(
                url_name="assets_file_download", name_field="original_name"
            )
        if self.instance.pk:
            for name in ("asset", "file"):
                if name in self.fields:
                    self.fields[name].disabled = True


class MeasureRenewForm(forms.Form):
    renewed_on = forms.DateField(label=_("Renewed on"), widget=AdminDateInput())
    new_expires_on = forms.DateField(
        label=_("New expiry date"),
        widget=AdminDateInput(),
        help_text=_("As printed on the court's renewal ruling or the registry record."),
    )
    ruling_number = forms.CharField(label=_("Ruling number"), max_length=80, required=False)

    def __init__(self, *args: Any, measure: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.measure = measure

    def clean(self) -> dict:
        data = super().clean()
        new_expiry = data.get("new_expires_on")
        if new_expiry and new_expiry <= self.measure.expires_on:
            self.add_error("new_expires_on", _("The new expiry must be after the current one."))
        return data


class MeasureEndForm(forms.Form):
    status = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            (MeasureStatus.LIFTED, _("Lifted (解除)")),
            (MeasureStatus.LAPSED, _("Lapsed: expired without renewal (失效)")),
        ],
        widget=forms.RadioSelect,
    )
    ended_on = forms.DateField(label=_("Lifted / lapsed on"), widget=AdminDateInput())
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class WaterfallForm(forms.Form):
    """What the asset may sell for and what the sale costs; read from the query string."""

    proceeds = forms.DecimalField(label=_("Sale price (yuan)"), **MONEY_FIELD)
    costs = forms.DecimalField(
        label=_("Enforcement and sale costs (yuan)"), required=False, initial=Decimal("0.00"), **MONEY_FIELD
    )

    def cleaned_costs(self) -> Decimal:
        return self.cleaned_data.get("costs") or Decimal("0.00")
