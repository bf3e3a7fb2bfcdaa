"""Exchange rates, remittances abroad (SWIFT and Eurogiro) and the annual usage behind the
USD 100,000 limit.

Rates are Decimals (never floats). Money amounts are integers: won for KRW, the currency's
minor units (ISO 4217) for foreign amounts.
"""

import base64
import hashlib
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from postbank import policy
from postbank.crypto import decrypt, encrypt

RATE_DIGITS = {"max_digits": 14, "decimal_places": 4}


class Currency(models.Model):
    """An ISO 4217 currency the bank quotes; `unit` is how many units a rate is quoted for
    (100 for JPY: "won per 100 yen")."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    minor_units = models.PositiveSmallIntegerField(_("minor units (ISO 4217)"))
    unit = models.PositiveSmallIntegerField(_("quoted per"), default=1)
    active = models.BooleanField(_("offered"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{3}$"),
                                   name="fx_currency_code_iso"),
            models.CheckConstraint(condition=Q(minor_units__lte=3),
                                   name="fx_currency_minor_units"),
            models.CheckConstraint(condition=Q(unit__in=[1, 100]), name="fx_currency_unit"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        from fx.reference import CURRENCY_LABELS

        return str(CURRENCY_LABELS.get(self.code, self.name))

    @property
    def scale(self) -> int:
        return 10 ** self.minor_units

    def format_minor(self, amount: int) -> str:
        """`amount` minor units as text with thousands separators: 123456 → "1,234.56"."""
        value = Decimal(amount).scaleb(-self.minor_units)
        return f"{value:,.{self.minor_units}f}"


class RateNotice(models.Model):
    """One published rate table: the n-th notice (round) of a KST business date."""

    class Source(models.TextChoices):
        COUNTER = "counter", _("Entered on the counter site")
        CSV = "csv", _("CSV file")
        FEED = "feed", _("Rate source")

    noticed_at = models.DateTimeField(_("notice time"))
    notice_date = models.DateField(_("notice date (KST)"))
    round = models.PositiveSmallIntegerField(_("round"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices,
                              default=Source.COUNTER)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("entered by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rate notice")
        verbose_name_plural = _("rate notices")
        ordering = ["-noticed_at", "-round"]
        get_latest_by = ["noticed_at", "round"]
        constraints = [
            models.UniqueConstraint(fields=["notice_date", "round"], name="fx_notice_round"),
            models.CheckConstraint(condition=Q(round__gte=1), name="fx_notice_round_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_date} #{self.round}"


class Rate(models.Model):
    """Won per `currency.unit` units. DOMAIN.md: cash sell > TT send > base > TT receive >
    cash buy (the database refuses any other order)."""

    notice = models.ForeignKey(RateNotice, on_delete=models.PROTECT, related_name="rates")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="rates")
    base = models.DecimalField(_("base rate"), **RATE_DIGITS)
    cash_buy = models.DecimalField(_("cash buy"), **RATE_DIGITS)
    cash_sell = models.DecimalField(_("cash sell"), **RATE_DIGITS)
    tt_send = models.DecimalField(_("TT send"), **RATE_DIGITS)
    tt_receive = models.DecimalField(_("TT receive"), **RATE_DIGITS)

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        ordering = ["currency__sort_order", "currency_id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "currency"], name="fx_rate_per_notice"),
            models.CheckConstraint(condition=Q(cash_buy__gt=0), name="fx_rate_positive"),
            models.CheckConstraint(
                condition=Q(cash_sell__gt=F("tt_send"), tt_send__gt=F("base"),
                            base__gt=F("tt_receive"), tt_receive__gt=F("cash_buy")),
                name="fx_rate_ordering"),
        ]

    def __str__(self) -> str:
        return f"{self.currency_id} {self.base}"


class EurogiroPartner(models.Model):
    """A postal institution reached through Eurogiro (operators keep the table)."""

    country = models.CharField(_("country (ISO 3166)"), max_length=2, unique=True)
    name = models.CharField(_("institution"), max_length=100)
    bic = models.CharField(_("BIC"), max_length=11)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("payout currency"))
    account_payout = models.BooleanField(_("pays into postal accounts"), default=True)
    cash_payout = models.BooleanField(_("pays cash to the address"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("Eurogiro partner")
        verbose_name_plural = _("Eurogiro partners")
        ordering = ["country"]
        constraints = [
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"),
                                   name="fx_partner_country"),
            models.CheckConstraint(condition=Q(bic__regex=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$"),
                                   name="fx_partner_bic"),
            models.CheckConstraint(condition=Q(account_payout=True) | Q(cash_payout=True),
                                   name="fx_partner_pays_somehow"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.name}"


class Remittance(models.Model):
    """A remittance abroad. The row is created by the quote (status `quoted`, valid for
    policy.FX_QUOTE_TTL) and moves money once, when the customer confirms it; it doubles
    as the idempotency record ((customer, idempotency_key) is unique)."""

    class Kind(models.TextChoices):
        SWIFT = "swift", _("SWIFT")
        EUROGIRO = "eurogiro", _("Eurogiro")

    class Charges(models.TextChoices):
        OUR = "OUR", _("OUR (I pay every charge)")
        SHA = "SHA", _("SHA (shared)")
        BEN = "BEN", _("BEN (the beneficiary pays)")

    class Payout(models.TextChoices):
        ACCOUNT = "account", _("Into an account")
        CASH = "cash", _("Cash to the address")

    class Status(models.TextChoices):
        QUOTED = "quoted", _("Awaiting confirmation")
        RECEIVED = "received", _("Received")
        SENT = "sent", _("Sent")
        CREDITED = "credited", _("Credited")
        RETURNED = "returned", _("Returned")
        EXPIRED = "expired", _("Not confirmed in time")
        FAILED = "failed", _("Refused")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    customer = models.ForeignKey("enrollment.Customer", on_delete=models.PROTECT,
                                 related_name="remittances", verbose_name=_("customer"))
    from_account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT,
                                     related_name="remittances",
                                     verbose_name=_("from account"))
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("currency"))
    amount = models.BigIntegerField(_("amount (minor units)"))
    sender_name = models.CharField(_("sender name (Latin letters)"), max_length=70)
    beneficiary_name = models.CharField(_("beneficiary"), max_length=70)
    beneficiary_address_enc = models.TextField(_("beneficiary address (encrypted)"))
    beneficiary_country = models.CharField(_("country"), max_length=2)
    beneficiary_account_enc = models.TextField(_("beneficiary account (encrypted)"),
                                               blank=True)
    beneficiary_account_masked = models.CharField(_("beneficiary account"), max_length=40,
                                                  blank=True)
    account_is_iban = models.BooleanField(_("IBAN"), default=False)
    bic = models.CharField(_("bank BIC"), max_length=11)
    purpose = models.CharField(_("purpose"), max_length=35)
    charges = models.CharField(_("charges"), max_length=3, choices=Charges.choices,
                               default=Charges.SHA)
    partner = models.ForeignKey(EurogiroPartner, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="remittances",
                                verbose_name=_("Eurogiro partner"))
    payout = models.CharField(_("payout"), max_length=8, choices=Payout.choices,
                              default=Payout.ACCOUNT)
    # The quote
    rate_notice = models.ForeignKey(RateNotice, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("rate notice"))
    rate = models.DecimalField(_("TT send rate"), **RATE_DIGITS)
    usd_cents = models.BigIntegerField(_("USD value (cents)"))
    krw_amount = models.BigIntegerField(_("won for the amount"))
    sending_fee = models.BigIntegerField(_("sending fee"), default=0)
    cable_charge = models.BigIntegerField(_("cable charge"), default=0)
    intermediary_usd_cents = models.BigIntegerField(_("intermediary charge (USD cents)"),
                                                    default=0)
    intermediary_krw = models.BigIntegerField(_("intermediary charge (won)"), default=0)
    total_krw = models.BigIntegerField(_("total debit (won)"))
    # Lifecycle
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.QUOTED, db_index=True)
    failure_code = models.CharField(_("failure code"), max_length=40, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=8, default="web")
    idempotency_key = models.CharField(_("idempotency key"), max_length=64)
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    entry = models.OneToOneField("accounts.JournalEntry", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="remittance",
                                 verbose_name=_("journal entry"))
    message_reference = models.CharField(_("message reference"), max_length=35, blank=True)
    message_enc = models.TextField(_("outbound message (encrypted)"), blank=True)
    return_reason = models.CharField(_("return reason"), max_length=100, blank=True)
    return_rate = models.DecimalField(_("TT receive rate of the return"), null=True,
                                      blank=True, **RATE_DIGITS)
    refund_krw = models.BigIntegerField(_("refund (won)"), null=True, blank=True)
    return_entry = models.OneToOneField("accounts.JournalEntry", on_delete=models.PROTECT,
                                        null=True, blank=True,
                                        related_name="returned_remittance",
                                        verbose_name=_("return entry"))
    # The evidence of the electronic signature, as for transfers: the exact order bytes
    # (fx.services.remittance_order_bytes) the customer signed with the joint certificate,
    # the signature and the signing certificate's serial.
    signed_order = models.BinaryField(_("signed remittance order"), null=True, blank=True)
    signature = models.BinaryField(_("signature"), null=True, blank=True)
    signer_certificate_serial = models.CharField(_("signing certificate"), max_length=64,
                                                 blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("remittance")
        verbose_name_plural = _("remittances")
        ordering = ["-created_at", "-id"]
        permissions = [("return_remittance", _("Can make a test return of a remittance"))]
        constraints = [
            models.UniqueConstraint(fields=["customer", "idempotency_key"],
                                    name="fx_remittance_idempotency_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="fx_remittance_amount"),
            models.CheckConstraint(
                condition=Q(krw_amount__gt=0, sending_fee__gte=0, cable_charge__gte=0,
                            intermediary_krw__gte=0, intermediary_usd_cents__gte=0,
                            usd_cents__gt=0),
                name="fx_remittance_quote_positive"),
            models.CheckConstraint(
                condition=Q(total_krw=F("krw_amount") + F("sending_fee") + F("cable_charge")
                            + F("intermediary_krw")),
                name="fx_remittance_total"),
            models.CheckConstraint(
                condition=Q(kind="swift", partner__isnull=True)
                | Q(kind="eurogiro", partner__isnull=False),
                name="fx_remittance_partner_kind"),
            models.CheckConstraint(
                condition=Q(charges="OUR") | Q(intermediary_usd_cents=0, intermediary_krw=0),
                name="fx_remittance_intermediary_only_our"),
            models.CheckConstraint(
                condition=~Q(kind="eurogiro")
                | Q(usd_cents__lte=policy.EUROGIRO_MAX_USD_CENTS),
                name="fx_remittance_eurogiro_cap"),
            models.CheckConstraint(
                condition=Q(status__in=["quoted", "expired", "failed"])
                | Q(entry__isnull=False, confirmed_at__isnull=False),
                name="fx_remittance_confirmed_has_entry"),
            models.CheckConstraint(
                condition=(Q(status="returned") & Q(return_entry__isnull=False,
                                                    refund_krw__gt=0,
                                                    return_rate__isnull=False))
                | (~Q(status="returned") & Q(return_entry__isnull=True)),
                name="fx_remittance_returned_has_refund"),
            # Money moves only on a signed order. Unlike transfers there is no demo-channel
            # exception: the demo seeds no remittances, every one is confirmed by a person.
            models.CheckConstraint(
                condition=Q(entry__isnull=True)
                | Q(signature__isnull=False, signed_order__isnull=False)
                & ~Q(signer_certificate_serial=""),
                name="fx_remittance_confirmed_is_signed"),
        ]
        indexes = [
            models.Index(fields=["customer", "kind", "-created_at", "-id"],
                         name="fx_remittance_search"),
            models.Index(fields=["status", "sent_at"], name="fx_remittance_in_network",
                         condition=Q(status__in=["received", "sent"])),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.currency_id} {self.amount_display}"

    # Personal data of the beneficiary is stored encrypted.
    @property
    def beneficiary_address(self) -> str:
        return decrypt("fx.beneficiary", self.beneficiary_address_enc) \
            if self.beneficiary_address_enc else ""

    @beneficiary_address.setter
    def beneficiary_address(self, value: str) -> None:
        self.beneficiary_address_enc = encrypt("fx.beneficiary", value)

    @property
    def beneficiary_account(self) -> str:
        return decrypt("fx.beneficiary", self.beneficiary_account_enc) \
            if self.beneficiary_account_enc else ""

    @beneficiary_account.setter
    def beneficiary_account(self, value: str) -> None:
        self.beneficiary_account_enc = encrypt("fx.beneficiary", value) if value else ""
        self.beneficiary_account_masked = mask_account(value)

    @property
    def message(self) -> str:
        return decrypt("fx.message", self.message_enc) if self.message_enc else ""

    @message.setter
    def message(self, value: str) -> None:
        self.message_enc = encrypt("fx.message", value)

    @property
    def amount_display(self) -> str:
        return self.currency.format_minor(self.amount)

    @property
    def intermediary_usd(self) -> str:
        return f"{Decimal(self.intermediary_usd_cents).scaleb(-2):,.2f}"

    @property
    def moved_money(self) -> bool:
        return self.entry_id is not None

    # The evidence as fx/_evidence.html and the API show it.
    @property
    def signature_base64(self) -> str:
        return base64.b64encode(bytes(self.signature)).decode() if self.signature else ""

    @property
    def signed_order_text(self) -> str:
        return bytes(self.signed_order).decode() if self.signed_order else ""

    @property
    def signed_order_sha256(self) -> str:
        return hashlib.sha256(bytes(self.signed_order)).hexdigest() if self.signed_order else ""

    @property
    def message_filename(self) -> str:
        extension = "xml" if self.kind == self.Kind.SWIFT else "txt"
        return f"{self.kind}-{self.public_id}.{extension}"


def mask_account(value: str) -> str:
    """Keeps the first 4 and last 3 characters: "DE89370400440532013000" → "DE89****000"."""
    if not value:
        return ""
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:4] + "*" * min(len(value) - 7, 12) + value[-3:]


class RemittanceEvent(models.Model):
    """The status history of a remittance (append-only)."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(_("status"), max_length=8, choices=Remittance.Status.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("remittance event")
        verbose_name_plural = _("remittance events")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["remittance", "status"],
                                               name="fx_event_once_per_status")]

    def __str__(self) -> str:
        return f"{self.remittance_id} {self.status}"


class AnnualUsage(models.Model):
    """What a resident has remitted abroad in one KST calendar year, in USD cents.

    Locked (SELECT ... FOR UPDATE) in the transaction that confirms a remittance, so two
    concurrent remittances check the annual limit one after the other.
    """

    customer = models.ForeignKey("enrollment.Customer", on_delete=models.PROTECT,
                                 related_name="fx_usage")
    year = models.PositiveSmallIntegerField(_("year (KST)"))
    used_usd_cents = models.BigIntegerField(_("remitted (USD cents)"), default=0)

    class Meta:
        verbose_name = _("annual remittance usage")
        verbose_name_plural = _("annual remittance usage")
        constraints = [
            models.UniqueConstraint(fields=["customer", "year"], name="fx_usage_per_year"),
            models.CheckConstraint(
                condition=Q(used_usd_cents__gte=0,
                            used_usd_cents__lte=policy.SWIFT_ANNUAL_LIMIT_USD_CENTS),
                name="fx_usage_within_limit"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.year} {self.used_usd_cents}"
