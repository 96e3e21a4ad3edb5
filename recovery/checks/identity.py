"""Chinese identity numbers: the resident ID (GB 11643-1999) and the unified social credit code
(GB 32100-2015), their checksums and why a number fails them."""

from datetime import date

from recovery.checks.i18n import _

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
