"""Django's side of the checks in recovery.checks: model-field validators (identity numbers, supported
and non-future dates, upload size)."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from recovery.checks.dates import future_fact_error, supported_date_error
from recovery.checks.identity import credit_code_error, resident_id_error


def validate_resident_id(value: str) -> None:
    error = resident_id_error(value)
    if error:
        raise ValidationError(error, code="invalid_resident_id")


def validate_credit_code(value: str) -> None:
    error = credit_code_error(value)
    if error:
        raise ValidationError(error, code="invalid_credit_code")


def validate_upload_size(file) -> None:
    limit = settings.MAX_UPLOAD_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": file.size / 1024 / 1024, "limit": limit // 1024 // 1024},
            code="file_too_large",
        )


def validate_supported_date(value: date | None) -> None:
    """Django validator for every DateField: refuses dates outside the supported range."""
    if value is None:
        return
    error = supported_date_error(value)
    if error:
        raise ValidationError(error, code="unsupported_date")


# ---- Plausible facts ---------------------------------------------------------------------------
# A fact dated after today has not happened: a demand planned for next year is not a delivered
# one, and counting it would move a limitation period years ahead (时效规定 8 counts delivery).


def validate_not_future(value: date | None) -> None:
    """Django validator for the date of a past fact (today in Asia/Shanghai)."""
    from django.utils import timezone

    error = future_fact_error(value, timezone.localdate())
    if error:
        raise ValidationError(error, code="future_fact")


def future_fact_errors(instance: object, field_names: tuple[str, ...]) -> dict[str, str]:
    """The field errors of `instance`'s fact dates that lie after today (for a model's clean)."""
    from django.utils import timezone

    today = timezone.localdate()
    errors: dict[str, str] = {}
    for name in field_names:
        error = future_fact_error(getattr(instance, name, None), today)
        if error:
            errors[name] = error
    return errors
