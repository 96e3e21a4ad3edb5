import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from recovery.checks.identity import credit_code_error, resident_id_error
from recovery.models import Party, PartyKind


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English; the interface default is Chinese.
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the GB 11643 standard's own example
        "11010519491231002x",  # lower-case x is the same number
        "440524188001010014",
        "110101199003074477",
    ],
)
def test_it_accepts_valid_resident_ids(number):
    assert resident_id_error(number) is None


@pytest.mark.parametrize(
    "number, reason",
    [
        ("110105194912310021", "check character should be X"),
        ("11010519491231002", "18 characters"),
        ("11010519490231002X", "date of birth"),  # 31 Feb 1949? no: 1949-02-31 does not exist
        ("1101051949123100AX", "17 digits"),
        ("440524188001010015", "check character should be 4"),
    ],
)
def test_it_refuses_invalid_resident_ids(number, reason):
    assert reason in str(resident_id_error(number))


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the GB 32100 standard's own example
        "91350100m000100y43",  # lower case is normalised
    ],
)
def test_it_accepts_valid_credit_codes(code):
    assert credit_code_error(code) is None, credit_code_error(code)


@pytest.mark.parametrize(
    "code, reason",
    [
        ("91350100M000100Y42", "check character should be 3"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100I000100Y43", "cannot contain I"),
        ("91350100O000100Y43", "cannot contain O"),
    ],
)
def test_it_refuses_invalid_credit_codes(code, reason):
    assert reason in str(credit_code_error(code))


@pytest.mark.django_db
def test_a_party_is_checked_by_its_kind():
    Party(kind=PartyKind.COMPANY, name="某公司", id_number="91350100M000100Y43").full_clean()
    with pytest.raises(ValidationError) as error:
        Party(kind=PartyKind.PERSON, name="某公司", id_number="91350100M000100Y43").full_clean()
    assert "id_number" in error.value.message_dict
