"""Post Office account numbers: 14 digits shown XXXXXX-XX-XXXXX-X.

6-digit office, 2-digit subject code, 5-digit serial, 1 check digit. The real algorithm is
not public; Postbank's check digit is the Luhn digit of the first 13 (a choice: it catches
every single-digit error and most swaps of neighbours).
"""

import re

from django.utils.translation import gettext_lazy as _
from stdnum import luhn

from postbank.errors import InvalidInput

_FORMATTED = re.compile(r"^\d{6}-\d{2}-\d{5}-\d$")
_DIGITS = re.compile(r"^\d{14}$")


def account_number_check_digit(first13: str) -> str:
    return luhn.calc_check_digit(first13)


def account_number_make(*, office: str, subject: str, serial: int) -> str:
    first13 = f"{office}{subject}{serial:05d}"
    return first13 + account_number_check_digit(first13)


def account_number_clean(value: str) -> str:
    """The 14 digits of a valid number (dashes optional), or InvalidInput."""
    text = (value or "").strip()
    if not (_FORMATTED.match(text) or _DIGITS.match(text)):
        raise InvalidInput(_("An account number has 14 digits (XXXXXX-XX-XXXXX-X)."),
                           code="invalid_account_number", field="account_number")
    digits = text.replace("-", "")
    if not luhn.is_valid(digits):
        raise InvalidInput(_("The account number is not valid: check the digits."),
                           code="invalid_account_number", field="account_number")
    return digits


def account_number_format(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:8]}-{digits[8:13]}-{digits[13]}"
