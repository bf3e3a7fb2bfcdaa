"""A small MT103 (single customer credit transfer) writer for the Eurogiro network.

Every field is checked before anything is written: the SWIFT X character set, the line
count and length of the field's format (e.g. 4*35x), the BICs, and the amount (digits with
a decimal comma, at most 15 characters, no more decimals than the currency has). Text is
CRLF separated as on the network.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from schwifty import BIC
from schwifty.exceptions import SchwiftyException

from fx.charset import SWIFT_X
from postbank.errors import InvalidInput

CRLF = "\r\n"
_REFERENCE = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,16}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CHARGES = {"OUR", "SHA", "BEN"}


class MT103FieldError(InvalidInput):
    code = "mt103_invalid_field"
    title = _("A field of the MT103 message is not valid.")


def _error(tag: str, reason: str) -> MT103FieldError:
    return MT103FieldError(_("Field :%(tag)s: %(reason)s") % {"tag": tag, "reason": reason},
                           field=tag)


def mt_amount(amount_minor: int, minor_units: int) -> str:
    """123456 minor units of a 2-decimal currency → "1234,56"; 1000 yen → "1000,"."""
    if amount_minor <= 0:
        raise _error("32A", "amount must be positive")
    value = Decimal(amount_minor).scaleb(-minor_units)
    whole, _dot, fraction = f"{value:.{minor_units}f}".partition(".")
    fraction = fraction.rstrip("0")
    text = f"{whole},{fraction}"
    if len(text) > 15:
        raise _error("32A", "amount longer than 15 characters")
    return text


def check_amount(text: str, minor_units: int, tag: str = "32A") -> None:
    match = re.fullmatch(r"([0-9]+),([0-9]*)", text)
    if not match or len(text) > 15:
        raise _error(tag, "amount must be digits with a decimal comma, at most 15 characters")
    if len(match.group(2)) > minor_units:
        raise _error(tag, "too many decimals for the currency")


def check_bic(value: str, tag: str) -> str:
    try:
        return BIC(value).compact
    except SchwiftyException as exc:
        raise _error(tag, str(exc)) from exc


def check_lines(tag: str, lines: list[str], *, max_lines: int, width: int) -> list[str]:
    if not lines or len(lines) > max_lines:
        raise _error(tag, f"1 to {max_lines} lines")
    for line in lines:
        if not line or len(line) > width:
            raise _error(tag, f"lines of 1 to {width} characters")
        if not SWIFT_X.match(line) or "\r" in line or "\n" in line:
            raise _error(tag, "characters outside the SWIFT X set")
        if line[0] in ":-":
            raise _error(tag, "a line may not begin with ':' or '-'")
    return lines


def wrap(text: str, width: int = 35) -> list[str]:
    """Splits text into lines of `width`, at spaces where possible."""
    words, lines, current = text.split(), [], ""
    for word in words:
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


@dataclass(frozen=True)
class MT103:
    sender_bic: str
    receiver_bic: str
    reference: str
    value_date: date
    currency: str
    amount_minor: int
    minor_units: int
    ordering_account: str
    ordering_name: str
    ordering_address: str
    beneficiary_account: str  # empty: cash payout at the address
    beneficiary_name: str
    beneficiary_address: str
    remittance_info: str
    charges: str = "SHA"
    cash_payout: bool = False

    def render(self) -> str:
        sender = check_bic(self.sender_bic, "1")
        receiver = check_bic(self.receiver_bic, "2")
        reference = self.reference
        if (not _REFERENCE.match(reference) or reference.startswith("/")
                or reference.endswith("/") or "//" in reference):
            raise _error("20", "1 to 16 characters, no leading, trailing or double '/'")
        if not _CURRENCY.match(self.currency):
            raise _error("32A", "currency must be 3 capital letters")
        amount = mt_amount(self.amount_minor, self.minor_units)
        check_amount(amount, self.minor_units)
        if self.charges not in _CHARGES:
            raise _error("71A", "OUR, SHA or BEN")
        ordering = check_lines(
            "50K", [f"/{self.ordering_account}", *wrap(self.ordering_name),
                    *wrap(self.ordering_address)], max_lines=4, width=35)
        if len(self.beneficiary_account) > 34:
            raise _error("59", "account of at most 34 characters")
        beneficiary = check_lines(
            "59", [*wrap(self.beneficiary_name), *wrap(self.beneficiary_address)],
            max_lines=4, width=35)
        if self.beneficiary_account:
            beneficiary = [*check_lines("59", [f"/{self.beneficiary_account}"], max_lines=1,
                                        width=35), *beneficiary]
        info = check_lines("70", wrap(self.remittance_info), max_lines=4, width=35)
        fields = [
            ("20", [reference]),
            ("23B", ["CRED"]),
            ("32A", [f"{self.value_date:%y%m%d}{self.currency}{amount}"]),
            ("33B", [f"{self.currency}{amount}"]),
            ("50K", ordering),
            ("52A", [sender]),
            ("57A", [receiver]),
            ("59", beneficiary),
            ("70", info),
            ("71A", [self.charges]),
        ]
        if self.cash_payout:
            fields.append(("72", check_lines("72", ["/PAYOUT/CASH TO ADDRESS"], max_lines=6,
                                             width=35)))
        header = (f"{{1:F01{sender[:8]}A{sender[8:] or 'XXX'}0000000000}}"
                  f"{{2:I103{receiver[:8]}X{receiver[8:] or 'XXX'}N}}{{4:")
        body = CRLF.join(f":{tag}:" + CRLF.join(lines) for tag, lines in fields)
        return f"{header}{CRLF}{body}{CRLF}-}}"
