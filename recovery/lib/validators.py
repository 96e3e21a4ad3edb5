"""Checksums of Chinese identity numbers, as pure functions plus Django validators."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: weights and check characters of the 18-digit resident identity number.
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"

# GB 32100-2015: the unified social credit code's 31-character alphabet (no I, O, Z, S, V).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalize_id_number(value: str) -> str:
    """Strip spaces and upper-case, so `11010519491231002x` and `…002X` are the same number."""
    return "".join(value.split()).upper()


def resident_id_error(value: str) -> str | None:
    """Why `value` is not a valid 18-digit resident ID (GB 11643), or None when it is."""
    number = normalize_id_number(value)
    if len(number) != 18:
        return _("a resident ID has 18 characters, this one has %(n)d") % {"n": len(number)}
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return _("a resident ID is 17 digits followed by a digit or X")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _("the date of birth %(d)s inside the ID does not exist") % {"d": number[6:14]}
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _RESIDENT_WEIGHTS, strict=True))
    expected = _RESIDENT_CHECK[total % 11]
    if number[17] != expected:
        return _("the check character should be %(c)s (GB 11643)") % {"c": expected}
    return None


def credit_code_error(value: str) -> str | None:
    """Why `value` is not a valid unified social credit code (GB 32100), or None when it is."""
    code = normalize_id_number(value)
    if len(code) != 18:
        return _("a unified social credit code has 18 characters, this one has %(n)d") % {"n": len(code)}
    bad = [char for char in code if char not in _USCC_ALPHABET]
    if bad:
        return _("a unified social credit code cannot contain %(c)s") % {"c": "".join(sorted(set(bad)))}
    total = sum(
        _USCC_ALPHABET.index(char) * weight for char, weight in zip(code[:17], _USCC_WEIGHTS, strict=True)
    )
    expected = _USCC_ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        return _("the check character should be %(c)s (GB 32100)") % {"c": expected}
    return None


def looks_like_resident_id(value: str) -> bool:
    """Resident IDs are all digits but the last; credit codes carry letters early on."""
    number = normalize_id_number(value)
    return len(number) == 18 and number[:17].isdigit() and resident_id_error(number) is None


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


def resident_id_with_check(first17: str) -> str:
    """Complete 17 digits into a resident ID with its GB 11643 check character."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return first17 + _RESIDENT_CHECK[total % 11]


def credit_code_with_check(first17: str) -> str:
    """Complete 17 characters into a unified social credit code with its GB 32100 check character."""
    total = sum(
        _USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return first17 + _USCC_ALPHABET[(31 - total % 31) % 31]


# The one range of dates the product accepts anywhere (models, forms, import, API, engine):
# from the founding of the PRC to the end of the century. Outside it the deadline engine's
# arithmetic (years added to an expiry, holiday calendars) would overflow or mean nothing.
EARLIEST_SUPPORTED_DATE = date(1949, 10, 1)
LATEST_SUPPORTED_DATE = date(2099, 12, 31)


def supported_date_error(value: date) -> str | None:
    """Why `value` is outside the supported range, or None when it is inside."""
    if EARLIEST_SUPPORTED_DATE <= value <= LATEST_SUPPORTED_DATE:
        return None
    return _("dates must lie between %(first)s and %(last)s; %(d)s is outside") % {
        "first": EARLIEST_SUPPORTED_DATE.isoformat(),
        "last": LATEST_SUPPORTED_DATE.isoformat(),
        "d": value.isoformat(),
    }


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


def future_fact_error(value: date | None, today: date) -> str | None:
    """Why `value` cannot be the date of something that happened, or None when it can."""
    if value is None or value <= today:
        return None
    return _(
        "%(d)s is after today (%(today)s): record what has happened, not what is planned — "
        "a planned demand is not a delivered one."
    ) % {"d": value.isoformat(), "today": today.isoformat()}


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
