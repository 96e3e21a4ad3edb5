"""Helpers shared by the hand-over tests: identity numbers with correct check characters."""

_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id(first17: str) -> str:
    """Complete 17 digits (area, yyyymmdd birth, sequence) with the GB 11643 check char."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def credit_code(first17: str) -> str:
    """Complete 17 characters with the GB 32100 check character."""
    total = sum(
        _USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return first17 + _USCC_ALPHABET[(31 - total % 31) % 31]


def wrong_check(number: str) -> str:
    """The same number with a different, hence wrong, last character."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


# Public examples quoted in GB 11643 / GB 32100 explanations; verified in test_parsing.
PUBLIC_RESIDENT_ID = "11010519491231002X"
PUBLIC_CREDIT_CODE = "91350100M000100Y43"
PERSON_ID = resident_id("32010219800101123")
PERSON_ID_2 = resident_id("44030519900215456")
COMPANY_CODE = credit_code("91110000MA01ABCD1")
