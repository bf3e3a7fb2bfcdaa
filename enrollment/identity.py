"""Identity numbers and phone numbers: validation, masking, age.

RRNs are highest-class personal data: callers keep them only encrypted (postbank.crypto),
find them through a keyed hash, show them masked and never log them.
"""

import re
from datetime import date

from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.kr import brn
from stdnum.kr import rrn as stdnum_rrn

from postbank import crypto
from postbank.errors import InvalidInput

RRN_PURPOSE = "rrn"
PHONE_PURPOSE = "phone"
# RRNs issued from October 2020 carry random digits instead of a check digit.
RRN_CHECK_DIGIT_UNTIL = date(2020, 10, 1)
_CENTURY = {
    "9": 1800,
    "0": 1800,
    "1": 1900,
    "2": 1900,
    "5": 1900,
    "6": 1900,
    "3": 2000,
    "4": 2000,
    "7": 2000,
    "8": 2000,
}
_RRN = re.compile(r"^[0-9]{6}-?[0-9]{7}$")
_PHONE = re.compile(r"^(01[016789]|02|0[3-6][1-5]|070)(\d{3,4})(\d{4})$")


class InvalidRrn(InvalidInput):
    code = "invalid_rrn"
    title = _("Enter a valid resident registration number (YYMMDD-NNNNNNN).")


class InvalidBusinessNumber(InvalidInput):
    code = "invalid_business_number"
    title = _("Enter a valid 10-digit business registration number.")


class InvalidPhone(InvalidInput):
    code = "invalid_phone"
    title = _("Enter a Korean phone number such as 010-1234-5678.")


def rrn_normalize(value: str, *, today: date) -> str:
    """13 digits of a valid RRN, or InvalidRrn (format, century digit, birth date not in the
    future, and the check digit where one exists)."""
    text = re.sub(r"\s", "", value or "")
    if not _RRN.match(text):
        raise InvalidRrn()
    digits = text.replace("-", "")
    born = rrn_birth_date(digits)
    if born is None or born > today:
        raise InvalidRrn()
    if born < RRN_CHECK_DIGIT_UNTIL and digits[-1] != stdnum_rrn.calc_check_digit(digits[:-1]):
        raise InvalidRrn()
    return digits


def rrn_birth_date(digits: str) -> date | None:
    century = _CENTURY.get(digits[6])
    if century is None:
        return None
    try:
        return date(century + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return None


def age_on(*, born: date, today: date) -> int:
    """Full years (Korean "man-nai"), as the law counts majority."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def rrn_mask(digits: str) -> str:
    return f"{digits[:6]}-{digits[6]}******"


def rrn_hash(digits: str) -> str:
    return crypto.keyed_hash(RRN_PURPOSE, digits)


def rrn_encrypt(digits: str) -> str:
    return crypto.encrypt(RRN_PURPOSE, digits)


_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def business_number_check_digit(first_nine: str) -> str:
    """The National Tax Service check digit (python-stdnum checks only the format)."""
    digits = [int(ch) for ch in first_nine]
    total = sum(d * w for d, w in zip(digits, _BRN_WEIGHTS, strict=True))
    total += digits[8] * 5 // 10
    return str((10 - total % 10) % 10)


def business_number_normalize(value: str) -> str:
    """10 digits of a business registration number with a valid check digit."""
    try:
        digits = brn.validate(value or "")
    except stdnum_errors.ValidationError:
        raise InvalidBusinessNumber() from None
    if digits[9] != business_number_check_digit(digits[:9]):
        raise InvalidBusinessNumber()
    return digits


def phone_normalize(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value or "")
    if not _PHONE.match(digits):
        raise InvalidPhone()
    return digits


def phone_mask(digits: str) -> str:
    match = _PHONE.match(digits)
    return f"{match[1]}-{'*' * len(match[2])}-{match[3]}"


def phone_encrypt(digits: str) -> str:
    return crypto.encrypt(PHONE_PURPOSE, digits)
