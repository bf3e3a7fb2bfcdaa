"""Money: whole won as integers, never floats."""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from postbank import policy
from postbank.errors import InvalidInput

_WON_TEXT = re.compile(r"^\s*[0-9][0-9,]*\s*$")


def parse_won(value, *, field: str = "amount") -> int:
    """A positive whole-won amount up to policy.MAX_AMOUNT_WON, or InvalidInput.

    Accepts an int or a text of digits with optional thousands separators; refuses
    zero, negatives, fractions, floats and anything else.
    """
    if isinstance(value, bool | float):
        raise InvalidInput(_("Amounts are whole won."), code="invalid_amount", field=field)
    if isinstance(value, int):
        amount = value
    elif isinstance(value, Decimal):
        try:
            if value != value.to_integral_value():
                raise InvalidInput(_("Amounts are whole won."), code="invalid_amount", field=field)
        except InvalidOperation as exc:
            raise InvalidInput(_("Enter an amount in won."), code="invalid_amount") from exc
        amount = int(value)
    elif isinstance(value, str) and _WON_TEXT.match(value):
        amount = int(value.replace(",", "").strip())
    else:
        raise InvalidInput(_("Enter an amount in whole won."), code="invalid_amount", field=field)
    if amount <= 0:
        raise InvalidInput(_("The amount must be more than 0 won."), code="invalid_amount",
                           field=field)
    if amount > policy.MAX_AMOUNT_WON:
        raise InvalidInput(_("The amount is too large."), code="invalid_amount", field=field)
    return amount


def format_won(amount: int) -> str:
    return f"{amount:,}"
