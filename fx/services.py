"""Foreign exchange: rate notices, remittance quotes and confirmation, and the simulated
SWIFT / Eurogiro network.

Order of locks in every transaction that moves money here: the remittance row, then the
customer's row (both FOR NO KEY UPDATE, its suspension re-checked), then the customer's
annual usage row, then the deposit account (accounts.services.accounts_lock). A confirmation
is one transaction (postbank.orders.order_confirm): the remittance's row lock is its claim,
so a second confirmation waits and returns the first result.
A confirmation needs, as a transfer does, the customer's joint-certificate signature over the
canonical order (remittance_order_bytes), then the security medium and the account password.
A missing or invalid signature is refused before any secret is checked (the quote stays open
for a signed try); a wrong secret is counted and committed with the refusal. The signed
bytes, the signature and the signer's serial are kept on the remittance as evidence; the
database refuses a confirmed remittance without them.

Ledger design (every currency sums to zero on its own):
  confirm  KRW: deposit -total, fx_position +(won for the amount + intermediary charge),
                fee_income +(sending fee + cable charge)
           CCY: fx_position -amount, interbank_clearing +amount (owed to the correspondent)
           USD (OUR only): fx_position -18.00, interbank_clearing +18.00
  return   CCY: interbank_clearing -amount, fx_position +amount
           KRW: deposit +refund (TT receive of the current notice, refused when stale),
                fx_position -refund; the difference to the won debited stays in the FX
                position. The USD value leaves the year's annual usage.
"""

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

import pycountry
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from schwifty.registry import get_iban_spec

from accounts.models import Account
from accounts.selectors import account_get_for_customer
from accounts.services import Line, account_password_verify, accounts_lock, entry_post
from certcenter.services import order_signature_verify
from enrollment.models import Customer
from enrollment.security import security_answer_verify
from enrollment.services import customer_ensure_active, customer_mark_used, notification_send
from fx.charset import swift_text
from fx.models import (
    AnnualUsage,
    Currency,
    EurogiroPartner,
    Rate,
    RateNotice,
    Remittance,
    RemittanceEvent,
)
from fx.mt103 import MT103
from fx.pacs008 import Pacs008, pacs008_build, pacs008_validate
from postbank import policy
from postbank.audit import audit_record
from postbank.db import advisory_xact_lock
from postbank.errors import InvalidInput, NotFound, Refused
from postbank.idempotency import idempotency_key_clean, idempotent_replay
from postbank.kst import KST, kst_date
from postbank.orders import order_confirm
from postbank.outbox import task_publish
from transfers.services import SignatureRequired

RATE_FIELDS = ("base", "cash_buy", "cash_sell", "tt_send", "tt_receive")
_CURRENCY_CODE = re.compile(r"[A-Za-z]{3}", re.ASCII)
_LOCAL_ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/]{3,33}$")
# Amounts are plain ASCII digits, optionally grouped by thousands commas, with an optional
# decimal point: never an exponent, a sign, NaN or Infinity.
_AMOUNT_TEXT = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?", re.ASCII)
_AMOUNT_MAX_CHARS = 32
_AMOUNT_MAX_WHOLE_DIGITS = 15
_AMOUNT_MAX_MINOR = 10 ** 15
# Countries the bank does not remit to online (sanctions), and its own.
_BLOCKED_COUNTRIES = {"KR", "KP", "IR", "SY", "CU"}
ORDERING_ADDRESS = "REPUBLIC OF KOREA"


class RateOrderingInvalid(InvalidInput):
    code = "rate_ordering"
    title = _("Rates must be ordered: cash sell > TT send > base > TT receive > cash buy.")


class InvalidRateFile(InvalidInput):
    code = "invalid_rate_file"
    title = _("The rate file is not valid.")


class NoRates(Refused):
    code = "no_rates"
    title = _("No exchange rate notice has been published yet.")


class StaleRates(Refused):
    code = "stale_rates"
    title = _("The latest exchange rate notice is too old; remittances wait for a new one.")


class CurrencyNotOffered(InvalidInput):
    code = "currency_not_offered"
    title = _("This currency is not offered.")


class CountryNotOffered(InvalidInput):
    code = "country_not_offered"
    title = _("Remittances to this country are not offered.")


class InvalidForeignAmount(InvalidInput):
    code = "invalid_amount"
    title = _("Enter a positive amount.")


class TooManyDecimals(InvalidInput):
    code = "invalid_amount_decimals"
    title = _("The amount has more decimals than the currency allows.")


class InvalidIBAN(InvalidInput):
    code = "invalid_iban"
    title = _("The IBAN is not valid.")


class InvalidBIC(InvalidInput):
    code = "invalid_bic"
    title = _("The BIC (SWIFT code) is not valid.")


class InvalidBeneficiaryAccount(InvalidInput):
    code = "invalid_beneficiary_account"
    title = _("Enter the beneficiary's account number (4 to 34 letters and digits).")


class PayoutNotOffered(InvalidInput):
    code = "payout_not_offered"
    title = _("The partner does not offer this payout.")


class EurogiroCapExceeded(Refused):
    code = "eurogiro_cap_exceeded"
    title = _("A Eurogiro remittance may be at most USD 5,000.")


class AnnualLimitExceeded(Refused):
    code = "annual_limit_exceeded"
    title = _("The amount is above what is left of the USD 100,000 you may remit this year "
              "without supporting documents.")


class QuoteExpired(Refused):
    code = "quote_expired"
    title = _("The quote was not confirmed in time. Start again for a new quote.")


class NotReturnable(Refused):
    code = "not_returnable"
    title = _("Only a remittance that is received or sent can be returned.")


class RemittanceNotFound(NotFound):
    code = "remittance_not_found"
    title = _("No such remittance.")


# ---------------------------------------------------------------------------------------
# Time


def kst_year(now: datetime | None = None) -> int:
    return kst_date(now).year


# ---------------------------------------------------------------------------------------
# Rates


@dataclass(frozen=True)
class RateRow:
    currency: str
    base: Decimal
    cash_buy: Decimal
    cash_sell: Decimal
    tt_send: Decimal
    tt_receive: Decimal


def _rate_decimal(value, *, currency: str, field: str) -> Decimal:
    if isinstance(value, float | bool):
        raise InvalidInput(_("Rates are decimals written as text, never floats."),
                           code="invalid_rate", currency=currency, field=field)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise InvalidInput(_("A rate is not a number."), code="invalid_rate",
                           currency=currency, field=field) from exc
    if not number.is_finite() or number <= 0 or number.as_tuple().exponent < -4 \
            or number >= Decimal("1e10"):
        raise InvalidInput(_("A rate must be positive, below 10 billion, with at most 4 "
                             "decimals."), code="invalid_rate", currency=currency, field=field)
    return number


def currency_code_clean(value, *, field: str = "currency") -> str:
    """An ISO 4217 code: three ASCII letters (any case, spaces around forgiven), checked
    before any query; anything else is CurrencyNotOffered."""
    text = (value if isinstance(value, str) else "").strip()
    if not _CURRENCY_CODE.fullmatch(text):
        raise CurrencyNotOffered(field=field)
    return text.upper()


def rate_row_clean(data: dict) -> RateRow:
    """One currency's rates from text, checked against the DOMAIN.md ordering."""
    code = currency_code_clean(data.get("currency"))
    if not Currency.objects.filter(code=code).exists():
        raise CurrencyNotOffered(currency=code, field="currency")
    values = {name: _rate_decimal(data.get(name), currency=code, field=name)
              for name in RATE_FIELDS}
    row = RateRow(currency=code, **values)
    if not (row.cash_sell > row.tt_send > row.base > row.tt_receive > row.cash_buy):
        raise RateOrderingInvalid(currency=code)
    return row


def rates_parse_csv(*, text: str) -> list[RateRow]:
    """Rows of `currency,base,cash_buy,cash_sell,tt_send,tt_receive` (header required)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    expected = {"currency", *RATE_FIELDS}
    if not reader.fieldnames or not expected <= {f.strip() for f in reader.fieldnames}:
        raise InvalidRateFile(_("The header must be: currency,base,cash_buy,cash_sell,"
                                "tt_send,tt_receive."))
    rows = []
    for number, record in enumerate(reader, start=2):
        cleaned = {(k or "").strip(): v for k, v in record.items()}
        if not any((v or "").strip() for v in cleaned.values() if isinstance(v, str)):
            continue
        try:
            rows.append(rate_row_clean(cleaned))
        except InvalidInput as exc:
            raise InvalidRateFile(
                _("Line %(line)s: %(reason)s") % {"line": number, "reason": exc.message},
                line=number, currency=exc.extra.get("currency", "")) from exc
    return rows


def rate_notice_publish(*, rows: list[RateRow], source: str, noticed_at: datetime | None = None,
                        actor=None) -> RateNotice:
    """Publishes a notice as the next round of its KST date. USD must be in it (every
    remittance is also valued in USD)."""
    if not rows:
        raise InvalidRateFile(_("The notice has no rates."))
    codes = [row.currency for row in rows]
    if len(set(codes)) != len(codes):
        raise InvalidRateFile(_("A currency appears twice."))
    if "USD" not in codes:
        raise InvalidRateFile(_("The notice must quote USD."))
    noticed_at = noticed_at or timezone.now()
    day = kst_date(noticed_at)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                last = RateNotice.objects.filter(notice_date=day).aggregate(r=Max("round"))["r"]
                notice = RateNotice.objects.create(noticed_at=noticed_at, notice_date=day,
                                                   round=(last or 0) + 1, source=source,
                                                   created_by=actor)
                Rate.objects.bulk_create([
                    Rate(notice=notice, currency_id=row.currency,
                         **{name: getattr(row, name) for name in RATE_FIELDS})
                    for row in rows])
                audit_record(event="fx_rate_notice_published", actor=actor,
                             subject=f"rate_notice:{notice.pk}", channel=source,
                             detail={"date": day.isoformat(), "round": notice.round,
                                     "currencies": codes})
                return notice
        except IntegrityError:
            if not RateNotice.objects.filter(notice_date=day).exists():
                raise
    raise Refused(_("Another notice is being published; try again."), code="notice_busy")


def rates_pull(*, source=None) -> RateNotice:
    """Publishes what the configured rate source reports (the beat task)."""
    source = source or import_string(settings.FX_RATE_SOURCE)()
    rows = [rate_row_clean(row) for row in source.fetch()]
    # Run twice with an unchanged sheet, even at once, the task publishes one notice: the
    # look at the latest notice and the publication hold one advisory lock.
    with transaction.atomic():
        advisory_xact_lock("fx.rates_pull")
        latest = notice_latest()
        if latest is not None and latest.source == RateNotice.Source.FEED \
                and latest.notice_date == kst_date():
            published = {RateRow(currency=r.currency_id,
                                 **{f: getattr(r, f) for f in RATE_FIELDS})
                         for r in latest.rates.all()}
            if published == set(rows):
                return latest
        return rate_notice_publish(rows=rows, source=RateNotice.Source.FEED)


def notice_latest(*, at: datetime | None = None) -> RateNotice | None:
    queryset = RateNotice.objects.all()
    if at is not None:
        queryset = queryset.filter(noticed_at__lte=at)
    return queryset.order_by("-noticed_at", "-round").first()


def notice_current(*, now: datetime | None = None) -> RateNotice:
    """The latest notice, refused when missing or older than policy.FX_RATE_MAX_AGE."""
    now = now or timezone.now()
    notice = notice_latest(at=now)
    if notice is None:
        raise NoRates()
    if now - notice.noticed_at > policy.FX_RATE_MAX_AGE:
        raise StaleRates(noticed_at=notice.noticed_at.isoformat())
    return notice


def rate_get(*, notice: RateNotice, currency: str) -> Rate:
    currency = currency_code_clean(currency)
    try:
        return Rate.objects.select_related("currency").get(notice=notice, currency_id=currency)
    except Rate.DoesNotExist as exc:
        raise CurrencyNotOffered(currency=currency, field="currency") from exc


# ---------------------------------------------------------------------------------------
# Arithmetic (Decimal only; won are rounded down, limits are valued half-up)


def parse_foreign_amount(value, *, currency: Currency, field: str = "amount") -> int:
    """Text (digits with an optional decimal point and thousands commas), a Decimal or an
    int of whole units → minor units. Refuses floats, exponents, signs, non-ASCII digits,
    amounts above 10^15 minor units and more decimals than the currency allows (ISO 4217
    minor units)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidForeignAmount(field=field)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidForeignAmount(field=field)
        value = format(value, "f")
    text = str(value).strip()
    if len(text) > _AMOUNT_MAX_CHARS or not _AMOUNT_TEXT.fullmatch(text):
        raise InvalidForeignAmount(_("Enter the amount in digits, with an optional decimal "
                                     "point."), field=field)
    whole, _point, fraction = text.replace(",", "").partition(".")
    if len(whole.lstrip("0")) > _AMOUNT_MAX_WHOLE_DIGITS:
        raise InvalidForeignAmount(_("The amount is too large."), field=field)
    # Trailing zeros are not decimals: "1500.00" yen is 1,500 yen.
    fraction = fraction.rstrip("0")
    if len(fraction) > currency.minor_units:
        raise TooManyDecimals(field=field, minor_units=currency.minor_units)
    minor = int(whole + fraction.ljust(currency.minor_units, "0"))
    if minor <= 0:
        raise InvalidForeignAmount(field=field)
    if minor > _AMOUNT_MAX_MINOR:
        raise InvalidForeignAmount(_("The amount is too large."), field=field)
    return minor


def won_for(*, amount: int, currency: Currency, rate: Decimal) -> int:
    """Won for `amount` minor units at `rate` (won per currency.unit), rounded down."""
    won = Decimal(amount) * rate / (Decimal(currency.unit) * currency.scale)
    return int(won.to_integral_value(rounding=ROUND_DOWN))


def foreign_for_won(*, won: int, currency: Currency, rate: Decimal) -> int:
    """Minor units bought with `won` at `rate`, rounded down."""
    units = Decimal(won) * currency.unit * currency.scale / rate
    return int(units.to_integral_value(rounding=ROUND_DOWN))


def usd_cents_for(*, amount: int, currency: Currency, notice: RateNotice) -> int:
    """The USD value of an amount at the notice's base rates (cross via won)."""
    if currency.code == "USD":
        return amount
    rate = rate_get(notice=notice, currency=currency.code).base
    usd = rate_get(notice=notice, currency="USD").base
    value = (Decimal(amount) * rate * 100
             / (Decimal(currency.unit) * currency.scale * usd))
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def sending_fee_for(*, usd_cents: int) -> int:
    for up_to, fee in policy.SWIFT_SENDING_FEE_TIERS_USD:
        if up_to is None or usd_cents <= up_to * 100:
            return fee
    raise AssertionError("the last tier has no upper bound")


@dataclass(frozen=True)
class Quote:
    rate: Decimal
    usd_cents: int
    krw_amount: int
    sending_fee: int
    cable_charge: int
    intermediary_usd_cents: int
    intermediary_krw: int

    @property
    def total_krw(self) -> int:
        return self.krw_amount + self.sending_fee + self.cable_charge + self.intermediary_krw


def quote_compute(*, kind: str, currency: Currency, amount: int, charges: str,
                  notice: RateNotice) -> Quote:
    rate = rate_get(notice=notice, currency=currency.code).tt_send
    usd_cents = usd_cents_for(amount=amount, currency=currency, notice=notice)
    krw_amount = won_for(amount=amount, currency=currency, rate=rate)
    if krw_amount <= 0:
        raise InvalidForeignAmount(_("The amount is too small."), field="amount")
    if kind == Remittance.Kind.EUROGIRO:
        return Quote(rate=rate, usd_cents=usd_cents, krw_amount=krw_amount,
                     sending_fee=policy.EUROGIRO_FEE_WON, cable_charge=0,
                     intermediary_usd_cents=0, intermediary_krw=0)
    intermediary_cents = policy.SWIFT_OUR_INTERMEDIARY_USD_CENTS if charges == "OUR" else 0
    intermediary_krw = 0
    if intermediary_cents:
        usd = Currency.objects.get(code="USD")
        intermediary_krw = won_for(amount=intermediary_cents, currency=usd,
                                   rate=rate_get(notice=notice, currency="USD").tt_send)
    return Quote(rate=rate, usd_cents=usd_cents, krw_amount=krw_amount,
                 sending_fee=sending_fee_for(usd_cents=usd_cents),
                 cable_charge=policy.SWIFT_CABLE_CHARGE_WON,
                 intermediary_usd_cents=intermediary_cents, intermediary_krw=intermediary_krw)


RATE_KINDS = {
    "base": _("Base rate"),
    "cash_buy": _("Cash buy (you sell foreign cash)"),
    "cash_sell": _("Cash sell (you buy foreign cash)"),
    "tt_send": _("TT send"),
    "tt_receive": _("TT receive"),
}


@dataclass(frozen=True)
class Conversion:
    currency: Currency
    rate_kind: str
    rate: Decimal
    direction: str  # "to_krw" or "from_krw"
    foreign_amount: int
    won: int

    @property
    def foreign_display(self) -> str:
        return self.currency.format_minor(self.foreign_amount)


def convert(*, notice: RateNotice, currency: str, amount: str, direction: str,
            rate_kind: str) -> Conversion:
    """The converter of the rate inquiry page: foreign → won or won → foreign, rounded
    down, at the chosen rate of the notice."""
    if rate_kind not in RATE_KINDS:
        raise InvalidInput(_("Choose a rate."), code="invalid_rate_kind", field="rate_kind")
    rate_row = rate_get(notice=notice, currency=currency)
    rate = getattr(rate_row, rate_kind)
    if direction == "to_krw":
        minor = parse_foreign_amount(amount, currency=rate_row.currency)
        won = won_for(amount=minor, currency=rate_row.currency, rate=rate)
    elif direction == "from_krw":
        from postbank.money import parse_won

        won = parse_won(amount)
        minor = foreign_for_won(won=won, currency=rate_row.currency, rate=rate)
    else:
        raise InvalidInput(_("Choose a direction."), code="invalid_direction",
                           field="direction")
    return Conversion(currency=rate_row.currency, rate_kind=rate_kind, rate=rate,
                      direction=direction, foreign_amount=minor, won=won)


# ---------------------------------------------------------------------------------------
# Beneficiary checks


def swift_countries() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries
                   if c.alpha_2 not in _BLOCKED_COUNTRIES), key=lambda item: item[1])


def _country(value: str) -> str:
    code = (value or "").strip().upper()
    if code in _BLOCKED_COUNTRIES or pycountry.countries.get(alpha_2=code) is None:
        raise CountryNotOffered(field="country")
    return code


def country_uses_iban(country: str) -> bool:
    try:
        get_iban_spec(country)
    except SchwiftyException:
        return False
    return True


def iban_countries() -> list[str]:
    """The countries offered whose accounts are IBANs."""
    return [code for code, _name in swift_countries() if country_uses_iban(code)]


def bic_clean(value: str, *, country: str | None = None) -> str:
    try:
        bic = BIC(re.sub(r"\s", "", value or "").upper())
    except SchwiftyException as exc:
        raise InvalidBIC(_("The BIC is not valid: %(reason)s") % {"reason": exc},
                         field="bic", reason=str(exc)) from exc
    if country and bic.country_code != country:
        raise InvalidBIC(_("The BIC belongs to a bank in another country."), field="bic",
                         reason="country_mismatch")
    return bic.compact


def beneficiary_account_clean(value: str, *, country: str) -> tuple[str, bool]:
    """(account, is_iban): an IBAN where the country uses one, else a local number."""
    text = re.sub(r"\s", "", value or "").upper()
    if country_uses_iban(country):
        try:
            iban = IBAN(text)
        except SchwiftyException as exc:
            raise InvalidIBAN(_("The IBAN is not valid: %(reason)s") % {"reason": exc},
                              field="account", reason=str(exc)) from exc
        if iban.country_code != country:
            raise InvalidIBAN(_("The IBAN belongs to another country."), field="account",
                              reason="country_mismatch")
        return iban.compact, True
    if not _LOCAL_ACCOUNT.match(text):
        raise InvalidBeneficiaryAccount(field="account")
    return text, False


# ---------------------------------------------------------------------------------------
# Remittances


def request_fingerprint(**fields) -> str:
    canonical = json.dumps({k: str(v) for k, v in sorted(fields.items())}, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def annual_used(*, customer: Customer, now: datetime | None = None) -> int:
    row = AnnualUsage.objects.filter(customer=customer, year=kst_year(now)).first()
    return row.used_usd_cents if row else 0


def _message_reference(remittance: Remittance) -> str:
    prefix = "PB" if remittance.kind == Remittance.Kind.SWIFT else "EG"
    return f"{prefix}{remittance.public_id.hex[:14].upper()}"


def remittance_message_build(*, remittance: Remittance, now: datetime | None = None) -> str:
    """The outbound message, checked (XSD for pacs.008, field rules for MT103)."""
    now = now or timezone.now()
    currency = remittance.currency
    reference = remittance.message_reference or _message_reference(remittance)
    if remittance.kind == Remittance.Kind.SWIFT:
        text = pacs008_build(Pacs008(
            message_id=reference, created_at=now.astimezone(KST), settlement_date=kst_date(now),
            end_to_end_id=reference, uetr=str(remittance.public_id), currency=currency.code,
            amount=Decimal(remittance.amount).scaleb(-currency.minor_units),
            charges=remittance.charges, debtor_name=remittance.sender_name,
            debtor_country="KR", debtor_account=remittance.from_account.number,
            debtor_agent_bic=settings.FX_BANK_BIC, creditor_agent_bic=remittance.bic,
            creditor_name=remittance.beneficiary_name,
            creditor_address=remittance.beneficiary_address,
            creditor_country=remittance.beneficiary_country,
            creditor_account=remittance.beneficiary_account,
            creditor_account_is_iban=remittance.account_is_iban, purpose=remittance.purpose,
            intermediary_charge=(Decimal(remittance.intermediary_usd_cents).scaleb(-2)
                                 if remittance.intermediary_usd_cents else None)))
        pacs008_validate(text)
        return text
    return MT103(
        sender_bic=settings.FX_BANK_BIC, receiver_bic=remittance.bic, reference=reference[:16],
        value_date=kst_date(now), currency=currency.code, amount_minor=remittance.amount,
        minor_units=currency.minor_units, ordering_account=remittance.from_account.number,
        ordering_name=remittance.sender_name, ordering_address=ORDERING_ADDRESS,
        beneficiary_account=remittance.beneficiary_account,
        beneficiary_name=remittance.beneficiary_name,
        beneficiary_address=remittance.beneficiary_address,
        remittance_info=remittance.purpose, charges="SHA",
        cash_payout=remittance.payout == Remittance.Payout.CASH).render()


def remittance_quote(*, customer: Customer, kind: str, from_number: str, currency: str,
                     amount, sender_name: str, beneficiary_name: str,
                     beneficiary_address: str, country: str, account: str = "",
                     bic: str = "", purpose: str, charges: str = "SHA",
                     payout: str = Remittance.Payout.ACCOUNT, idempotency_key: str,
                     channel: str = "web", now: datetime | None = None) -> Remittance:
    """Checks every input and prices the remittance (status `quoted`); moves no money.

    A repeat with the same idempotency key and the same request returns the first quote.
    """
    now = now or timezone.now()
    customer_ensure_active(customer=customer)
    if kind not in Remittance.Kind.values:
        raise InvalidInput(_("Unknown remittance kind."), code="invalid_kind", field="kind")
    idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint(
        kind=kind, from_number=re.sub(r"\D", "", from_number or ""), currency=currency,
        amount=amount, sender_name=sender_name, beneficiary_name=beneficiary_name,
        beneficiary_address=beneficiary_address, country=country, account=account, bic=bic,
        purpose=purpose, charges=charges, payout=payout)
    existing = Remittance.objects.filter(customer=customer,
                                         idempotency_key=idempotency_key).first()
    if existing is not None:
        return idempotent_replay(existing, same_request=existing.request_fingerprint == fingerprint)

    source = account_get_for_customer(customer=customer, number=from_number)
    if source.status != Account.Status.ACTIVE:
        from accounts.services import AccountNotActive

        raise AccountNotActive(field="from_account")
    try:
        money = Currency.objects.get(code=currency_code_clean(currency), active=True)
    except Currency.DoesNotExist as exc:
        raise CurrencyNotOffered(field="currency") from exc
    minor = parse_foreign_amount(amount, currency=money)
    country_code = _country(country)
    partner = None
    if kind == Remittance.Kind.SWIFT:
        if charges not in Remittance.Charges.values:
            raise InvalidInput(_("Choose OUR, SHA or BEN."), code="invalid_charges",
                               field="charges")
        payout = Remittance.Payout.ACCOUNT
        name_max, address_max = 70, 140
        bic_code = bic_clean(bic, country=country_code)
        account_text, is_iban = beneficiary_account_clean(account, country=country_code)
    else:
        partner = EurogiroPartner.objects.filter(country=country_code, active=True).first()
        if partner is None:
            raise CountryNotOffered(_("No Eurogiro partner in this country."),
                                    field="country")
        if money.code not in (partner.currency_id, "USD"):
            raise CurrencyNotOffered(_("This partner pays out in %(ccy)s or USD.")
                                     % {"ccy": partner.currency_id}, field="currency")
        charges = Remittance.Charges.SHA
        name_max, address_max = 35, 105
        bic_code = partner.bic
        if payout == Remittance.Payout.ACCOUNT and partner.account_payout:
            account_text, is_iban = beneficiary_account_clean(account, country=country_code)
        elif payout == Remittance.Payout.CASH and partner.cash_payout:
            account_text, is_iban = "", False
        else:
            raise PayoutNotOffered(field="payout")
    names = {
        "sender_name": swift_text(sender_name, field="sender_name", max_length=name_max),
        "beneficiary_name": swift_text(beneficiary_name, field="beneficiary_name",
                                       max_length=name_max),
        "beneficiary_address": swift_text(beneficiary_address, field="beneficiary_address",
                                          max_length=address_max),
        "purpose": swift_text(purpose, field="purpose", max_length=35),
    }
    notice = notice_current(now=now)
    quote = quote_compute(kind=kind, currency=money, amount=minor, charges=charges,
                          notice=notice)
    if kind == Remittance.Kind.EUROGIRO and quote.usd_cents > policy.EUROGIRO_MAX_USD_CENTS:
        raise EurogiroCapExceeded(usd_cents=quote.usd_cents)
    left = policy.SWIFT_ANNUAL_LIMIT_USD_CENTS - annual_used(customer=customer, now=now)
    if quote.usd_cents > left:
        raise AnnualLimitExceeded(usd_cents=quote.usd_cents, left_usd_cents=max(left, 0))

    remittance = Remittance(
        kind=kind, customer=customer, from_account=source, currency=money, amount=minor,
        beneficiary_country=country_code, account_is_iban=is_iban, bic=bic_code,
        charges=charges, partner=partner, payout=payout, rate_notice=notice, rate=quote.rate,
        usd_cents=quote.usd_cents, krw_amount=quote.krw_amount, sending_fee=quote.sending_fee,
        cable_charge=quote.cable_charge, intermediary_usd_cents=quote.intermediary_usd_cents,
        intermediary_krw=quote.intermediary_krw, total_krw=quote.total_krw, channel=channel,
        idempotency_key=idempotency_key, request_fingerprint=fingerprint, **names)
    remittance.beneficiary_account = account_text
    # The message must be buildable (schema, field rules) before the customer confirms.
    remittance_message_build(remittance=remittance, now=now)
    try:
        with transaction.atomic():
            remittance.save(force_insert=True)
    except IntegrityError:
        existing = Remittance.objects.filter(customer=customer,
                                             idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return idempotent_replay(existing, same_request=existing.request_fingerprint == fingerprint)
    return remittance


def remittance_is_expired(*, remittance: Remittance, now: datetime | None = None) -> bool:
    return (remittance.status == Remittance.Status.QUOTED
            and (now or timezone.now()) - remittance.created_at > policy.FX_QUOTE_TTL)


def remittance_order_bytes(*, remittance: Remittance) -> bytes:
    """The canonical remittance order the customer signs with the joint certificate."""
    order = {
        "remittance": str(remittance.public_id),
        "kind": remittance.kind,
        "from_account": remittance.from_account.number,
        "currency": remittance.currency_id,
        "amount": remittance.amount_display,
        "beneficiary": remittance.beneficiary_name,
        "beneficiary_account": remittance.beneficiary_account,
        "country": remittance.beneficiary_country,
        "bic": remittance.bic,
        "charges": remittance.charges,
        "payout": remittance.payout,
        "rate": str(remittance.rate),
        "total_krw": remittance.total_krw,
        "quoted_at": remittance.created_at.astimezone(KST).isoformat(timespec="seconds"),
    }
    return json.dumps(order, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _signature_verify(*, customer: Customer, order: bytes, signature: bytes | None) -> str:
    """The serial of the customer's valid joint certificate that signed exactly `order`.

    Missing: signature_required. Otherwise the transfers' check is the one used here (it
    calls certcenter.services.signature_verify and answers invalid_signature, with the
    certificate's status as `certificate_status`, for another key or customer, altered bytes,
    or a revoked, suspended or expired certificate)."""
    if not signature:
        raise SignatureRequired(_("Sign the remittance order with your joint certificate."),
                                field="signature")
    return order_signature_verify(customer=customer, order=order, signature=bytes(signature))


def _mark_refused(remittance: Remittance, *, status: str, code: str, reason: str) -> None:
    Remittance.objects.filter(pk=remittance.pk, status=Remittance.Status.QUOTED).update(
        status=status, failure_code=code, failure_reason=reason[:200],
        finished_at=timezone.now())
    remittance.refresh_from_db()


def _event(remittance: Remittance, status: str, at: datetime, note: str = "") -> None:
    RemittanceEvent.objects.get_or_create(remittance=remittance, status=status,
                                          defaults={"at": at, "note": note[:200]})


def remittance_confirm(*, customer: Customer, remittance: Remittance, account_password: str,
                       challenge_id: str | None, security_answer: str,
                       signature: bytes | None = None, channel: str = "web",
                       ip: str | None = None, now: datetime | None = None) -> Remittance:
    """Confirms a quote and moves the money once: the won debit, the fees and the FX
    position in one balanced entry, with the annual limit checked under the row lock.

    The confirmation needs the electronic signature of the canonical order
    (remittance_order_bytes) with the customer's joint certificate, the security medium and
    the account password, in that order. A missing or invalid signature is refused before
    any secret is checked and leaves the remittance quoted (the customer may sign again).
    A remittance that is no longer `quoted` is returned as it is (double click, reload,
    API retry): one transaction, the remittance's row lock is the claim (postbank.orders).
    """
    if remittance.customer_id != customer.pk:
        raise RemittanceNotFound()

    def confirm(locked: Remittance) -> Remittance:
        return _confirm(locked, account_password=account_password, challenge_id=challenge_id,
                        security_answer=security_answer, signature=signature,
                        channel=channel, ip=ip, now=now)

    return order_confirm(lock=lambda: _remittance_lock(remittance_id=remittance.pk),
                         is_open=lambda locked: locked.status == Remittance.Status.QUOTED,
                         confirm=confirm)


def _remittance_lock(*, remittance_id: int) -> Remittance:
    """The remittance, then its customer (as it is now), FOR NO KEY UPDATE in that order."""
    return (Remittance.objects.select_for_update(of=("self", "customer"), no_key=True)
            .select_related("currency", "customer", "from_account").get(pk=remittance_id))


def _confirm(remittance: Remittance, *, account_password: str, challenge_id: str | None,
             security_answer: str, signature: bytes | None, channel: str, ip: str | None,
             now: datetime | None) -> Remittance:
    """The confirmation's checks, then the money (under the claim of remittance_confirm)."""
    customer = remittance.customer
    if remittance_is_expired(remittance=remittance, now=now):
        _mark_refused(remittance, status=Remittance.Status.EXPIRED, code=QuoteExpired.code,
                      reason=str(QuoteExpired.title))
        raise QuoteExpired()
    customer_ensure_active(customer=customer)
    order = remittance_order_bytes(remittance=remittance)
    signer = _signature_verify(customer=customer, order=order, signature=signature)
    # The medium first: a right answer ends the run of wrong entries, so checking the
    # password second means it can never erase a run of wrong security codes.
    security_answer_verify(customer=customer, challenge_id=challenge_id,
                           answer=security_answer, channel=channel)
    account_password_verify(customer=customer, account=remittance.from_account,
                            password=account_password, channel=channel, ip=ip)
    try:
        confirmed = _remittance_move(remittance, signed_order=order,
                                     signature=bytes(signature), signer=signer, now=now)
    except Refused as exc:
        # Nothing was moved; the refusal is recorded and committed with the remittance.
        _mark_refused(remittance, status=Remittance.Status.FAILED, code=exc.code,
                      reason=str(exc.message))
        raise
    # enrollment's contract: every transaction moves the dormancy clock.
    customer_mark_used(customer=customer)
    _notify(confirmed, kind="fx_remittance", text=gettext(
        "[Postbank] Remittance abroad %(ccy)s %(amount)s to %(name)s: %(total)s won "
        "debited.") % {"ccy": confirmed.currency_id, "amount": confirmed.amount_display,
                       "name": confirmed.beneficiary_name,
                       "total": f"{confirmed.total_krw:,}"})
    audit_record(event="fx_remittance_confirmed", actor=customer.user,
                 subject=f"remittance:{confirmed.public_id}", channel=channel, ip=ip,
                 detail={"kind": confirmed.kind, "currency": confirmed.currency_id,
                         "amount": confirmed.amount, "total_krw": confirmed.total_krw,
                         "signer_certificate": confirmed.signer_certificate_serial})
    return confirmed


def _notify(remittance: Remittance, *, kind: str, text: str) -> None:
    # enrollment.services.notification_send is enrollment's contract (SMS outbox).
    notification_send(customer=remittance.customer, kind=kind, text=text)


def _annual_usage_locked(*, customer: Customer, year: int) -> AnnualUsage:
    AnnualUsage.objects.bulk_create([AnnualUsage(customer=customer, year=year)],
                                    ignore_conflicts=True)
    return AnnualUsage.objects.select_for_update().get(customer=customer, year=year)


def confirm_lines(remittance: Remittance, source: Account) -> list[Line]:
    ccy = remittance.currency_id
    beneficiary = remittance.beneficiary_name
    lines = [
        Line(amount=-remittance.total_krw, account=source, counterparty=beneficiary,
             memo=gettext("Remittance abroad %(ccy)s %(amount)s")
             % {"ccy": ccy, "amount": remittance.amount_display}),
        Line(amount=remittance.krw_amount + remittance.intermediary_krw, ledger="fx_position",
             memo=str(remittance.public_id)),
        Line(amount=-remittance.amount, ledger="fx_position", currency=ccy,
             memo=str(remittance.public_id)),
        Line(amount=remittance.amount, ledger="interbank_clearing", currency=ccy,
             counterparty=remittance.bic, memo=str(remittance.public_id)),
    ]
    fees = remittance.sending_fee + remittance.cable_charge
    if fees:
        lines.append(Line(amount=fees, ledger="fee_income",
                          memo=gettext("Remittance fee and cable charge")))
    if remittance.intermediary_usd_cents:
        lines += [
            Line(amount=-remittance.intermediary_usd_cents, ledger="fx_position",
                 currency="USD", memo=gettext("Intermediary charge (OUR)")),
            Line(amount=remittance.intermediary_usd_cents, ledger="interbank_clearing",
                 currency="USD", memo=gettext("Intermediary charge (OUR)")),
        ]
    return lines


def remittance_post(*, remittance: Remittance, signed_order: bytes, signature: bytes,
                    signer: str, now: datetime | None = None) -> Remittance:
    """Moves the money of a quoted remittance whose signature and secrets were checked:
    the remittance and its customer locked (not suspended: customer_suspended, the quote is
    left as it is), then _remittance_move. A refusal there marks the remittance failed with
    its reason and is raised. A remittance no longer quoted is returned as it is."""
    with transaction.atomic():
        locked = _remittance_lock(remittance_id=remittance.pk)
        if locked.status != Remittance.Status.QUOTED:
            return locked
        customer_ensure_active(customer=locked.customer)
        try:
            return _remittance_move(locked, signed_order=signed_order, signature=signature,
                                    signer=signer, now=now)
        except Refused as exc:
            failed = exc
    _mark_refused(remittance, status=Remittance.Status.FAILED, code=failed.code,
                  reason=str(failed.message))
    raise failed


def _remittance_move(remittance: Remittance, *, signed_order: bytes, signature: bytes,
                     signer: str, now: datetime | None) -> Remittance:
    """The money transaction's part after the claim: the annual usage row, then the source
    account, locked; the annual limit and the funds checked; then one balanced entry."""
    now = now or timezone.now()
    usage = _annual_usage_locked(customer=remittance.customer, year=kst_year(now))
    left = policy.SWIFT_ANNUAL_LIMIT_USD_CENTS - usage.used_usd_cents
    if remittance.usd_cents > left:
        raise AnnualLimitExceeded(usd_cents=remittance.usd_cents,
                                  left_usd_cents=max(left, 0))
    locked = accounts_lock(ids=[remittance.from_account_id])
    source = locked[remittance.from_account_id]
    if source.owner_id != remittance.customer_id:
        raise RemittanceNotFound()
    entry = entry_post(kind=f"fx_{remittance.kind}", lines=confirm_lines(remittance, source),
                       memo=remittance.purpose, reference=str(remittance.public_id),
                       locked=locked)
    AnnualUsage.objects.filter(pk=usage.pk).update(
        used_usd_cents=F("used_usd_cents") + remittance.usd_cents)
    remittance.entry = entry
    remittance.status = Remittance.Status.RECEIVED
    remittance.confirmed_at = now
    remittance.signed_order = signed_order
    remittance.signature = signature
    remittance.signer_certificate_serial = signer
    remittance.message_reference = _message_reference(remittance)
    remittance.save(update_fields=["entry", "status", "confirmed_at", "signed_order",
                                   "signature", "signer_certificate_serial",
                                   "message_reference"])
    _event(remittance, Remittance.Status.RECEIVED, now)
    transaction.on_commit(lambda: _queue("remittance_send_task", remittance.pk))
    return remittance


def _queue(task_name: str, remittance_id: int, countdown: int | None = None) -> None:
    from fx import tasks

    task_publish(getattr(tasks, task_name), remittance_id, countdown=countdown)


# ---------------------------------------------------------------------------------------
# The simulated network


def remittance_send(*, remittance_id: int, now: datetime | None = None) -> Remittance:
    """received → sent: builds and checks the outbound message and hands it to the network.
    Running it twice is harmless."""
    now = now or timezone.now()
    with transaction.atomic():
        remittance = (Remittance.objects.select_for_update(of=("self",))
                      .select_related("currency", "from_account").get(pk=remittance_id))
        if remittance.status != Remittance.Status.RECEIVED:
            return remittance
        try:
            message = remittance_message_build(remittance=remittance, now=now)
        except InvalidInput as exc:
            remittance.failure_code = exc.code
            remittance.failure_reason = str(exc.extra.get("reason") or exc.message)[:200]
            remittance.save(update_fields=["failure_code", "failure_reason"])
            return remittance
        remittance.message = message
        remittance.status = Remittance.Status.SENT
        remittance.sent_at = now
        remittance.save(update_fields=["message_enc", "status", "sent_at"])
        _event(remittance, Remittance.Status.SENT, now)
        delay = int(policy.FX_NETWORK_CREDIT_AFTER.total_seconds())
        transaction.on_commit(lambda: _queue("remittance_credit_task", remittance.pk, delay))
    return remittance


def remittance_credit(*, remittance_id: int, now: datetime | None = None) -> Remittance:
    """sent → credited once the network's delay has passed; harmless when run again."""
    now = now or timezone.now()
    with transaction.atomic():
        remittance = Remittance.objects.select_for_update().get(pk=remittance_id)
        if remittance.status != Remittance.Status.SENT \
                or now - remittance.sent_at < policy.FX_NETWORK_CREDIT_AFTER:
            return remittance
        remittance.status = Remittance.Status.CREDITED
        remittance.finished_at = now
        remittance.save(update_fields=["status", "finished_at"])
        _event(remittance, Remittance.Status.CREDITED, now)
    return remittance


def remittance_return(*, remittance_id: int, reason: str, actor=None,
                      now: datetime | None = None) -> Remittance:
    """The beneficiary's bank returns the remittance: the amount comes back and the customer
    is refunded in won at the TT receive rate of the return date (fees are not refunded)."""
    now = now or timezone.now()
    reason = (reason or "").strip()[:100] or gettext("Returned by the beneficiary's bank")
    with transaction.atomic():
        remittance = (Remittance.objects.select_for_update(of=("self",))
                      .select_related("currency", "customer").get(pk=remittance_id))
        if remittance.status not in (Remittance.Status.RECEIVED, Remittance.Status.SENT):
            raise NotReturnable(status=remittance.status)
        rate = rate_get(notice=notice_current(now=now),
                        currency=remittance.currency_id).tt_receive
        # The money came back: the remittance no longer uses the year's allowance.
        usage = _annual_usage_locked(customer=remittance.customer,
                                     year=kst_year(remittance.confirmed_at))
        AnnualUsage.objects.filter(pk=usage.pk).update(
            used_usd_cents=Greatest(F("used_usd_cents") - remittance.usd_cents, 0))
        refund = won_for(amount=remittance.amount, currency=remittance.currency, rate=rate)
        locked = accounts_lock(ids=[remittance.from_account_id])
        account = locked[remittance.from_account_id]
        ccy = remittance.currency_id
        memo = gettext("Remittance returned: %(reason)s") % {"reason": reason}
        if account.status == Account.Status.CLOSED:
            customer_line = Line(amount=refund, ledger="suspense", memo=memo[:100])
        else:
            customer_line = Line(amount=refund, account=account,
                                 counterparty=remittance.beneficiary_name, memo=memo[:100])
        lines = [
            customer_line,
            Line(amount=-refund, ledger="fx_position", memo=str(remittance.public_id)),
            Line(amount=-remittance.amount, ledger="interbank_clearing", currency=ccy,
                 counterparty=remittance.bic, memo=str(remittance.public_id)),
            Line(amount=remittance.amount, ledger="fx_position", currency=ccy,
                 memo=str(remittance.public_id)),
        ]
        entry = entry_post(kind="fx_return", lines=lines, memo=memo[:200],
                           reference=str(remittance.public_id), actor=actor, locked=locked,
                           allow_frozen=True)
        remittance.status = Remittance.Status.RETURNED
        remittance.return_reason = reason
        remittance.return_rate = rate
        remittance.refund_krw = refund
        remittance.return_entry = entry
        remittance.finished_at = now
        remittance.save(update_fields=["status", "return_reason", "return_rate", "refund_krw",
                                       "return_entry", "finished_at"])
        _event(remittance, Remittance.Status.RETURNED, now, reason)
        _notify(remittance, kind="fx_return", text=gettext(
            "[Postbank] Your remittance abroad %(ccy)s %(amount)s was returned: %(refund)s "
            "won refunded.") % {"ccy": remittance.currency_id,
                                "amount": remittance.amount_display,
                                "refund": f"{refund:,}"})
        audit_record(event="fx_remittance_returned", actor=actor,
                     subject=f"remittance:{remittance.public_id}",
                     channel="counter" if actor is not None else "system",
                     detail={"refund_krw": refund, "rate": str(rate),
                             "debited_krw": remittance.krw_amount})
    return remittance


def network_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Moves along what the network left behind (lost tasks), and expires old quotes."""
    now = now or timezone.now()
    counts = {"sent": 0, "credited": 0, "expired": 0}
    for pk in Remittance.objects.filter(status=Remittance.Status.RECEIVED).values_list(
            "pk", flat=True):
        if remittance_send(remittance_id=pk, now=now).status == Remittance.Status.SENT:
            counts["sent"] += 1
    due = Remittance.objects.filter(status=Remittance.Status.SENT,
                                    sent_at__lte=now - policy.FX_NETWORK_CREDIT_AFTER)
    for pk in due.values_list("pk", flat=True):
        if remittance_credit(remittance_id=pk, now=now).status == Remittance.Status.CREDITED:
            counts["credited"] += 1
    counts["expired"] = Remittance.objects.filter(
        status=Remittance.Status.QUOTED, created_at__lt=now - policy.FX_QUOTE_TTL).update(
        status=Remittance.Status.EXPIRED, failure_code=QuoteExpired.code,
        failure_reason=str(QuoteExpired.title)[:200], finished_at=now)
    return counts
