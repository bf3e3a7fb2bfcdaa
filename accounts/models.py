"""Deposit accounts and the double-entry ledger.

Sign convention: a posting's `amount` is positive when it raises the account's credit
balance. A customer's deposit account balance is therefore the sum of its postings; an
asset such as vault cash shows a negative (debit) sum. Every journal entry's postings sum
to zero per currency; on PostgreSQL a deferred trigger refuses an unbalanced entry at commit
and other triggers refuse any UPDATE or DELETE of entries and postings.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.numbers import account_number_format
from postbank.crypto import keyed_hash, keyed_hash_matches


class Account(models.Model):
    class Subject(models.TextChoices):
        ORDINARY = "01", _("Ordinary deposit")
        SAVINGS = "02", _("Savings")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        FROZEN = "frozen", _("Frozen")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("account number"), max_length=14, unique=True)
    subject = models.CharField(_("subject"), max_length=2, choices=Subject.choices,
                               default=Subject.ORDINARY)
    owner = models.ForeignKey("enrollment.Customer", on_delete=models.PROTECT,
                              related_name="accounts", verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.ACTIVE)
    password_hash = models.CharField(_("account password"), max_length=128)
    balance = models.BigIntegerField(_("balance"), default=0)
    hold = models.BigIntegerField(_("hold"), default=0)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The counter form's one-time key: a double submit opens one account, not two.
    opening_key = models.CharField(max_length=64, unique=True, null=True, blank=True,
                                   editable=False)

    class Meta:
        verbose_name = _("deposit account")
        verbose_name_plural = _("deposit accounts")
        ordering = ["number"]
        permissions = [
            ("handle_cash", _("Can take cash deposits and pay out withdrawals")),
            ("freeze_account", _("Can freeze and unfreeze accounts")),
            ("close_account", _("Can close accounts")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0),
                                   name="account_balance_not_negative"),
            models.CheckConstraint(condition=Q(hold__gte=0), name="account_hold_not_negative"),
            models.CheckConstraint(condition=Q(balance__gte=F("hold")),
                                   name="account_available_not_negative"),
            models.CheckConstraint(condition=~Q(status="closed") | Q(balance=0),
                                   name="account_closed_at_zero"),
        ]

    def __str__(self) -> str:
        return self.formatted_number

    @property
    def formatted_number(self) -> str:
        return account_number_format(self.number)

    @property
    def available(self) -> int:
        return self.balance - self.hold

    # The 4-digit password is a keyed hash bound to the account number (postbank/crypto.py).
    def set_password(self, raw: str) -> None:
        self.password_hash = keyed_hash("account-password", f"{self.number}:{raw}")

    def password_matches(self, raw: str) -> bool:
        return keyed_hash_matches("account-password", f"{self.number}:{raw}",
                                  self.password_hash)


class LedgerAccount(models.Model):
    """The bank's own ledger accounts, one row per code and currency."""

    class Code(models.TextChoices):
        VAULT_CASH = "vault_cash", _("Vault cash")
        INTERBANK_CLEARING = "interbank_clearing", _("Interbank clearing")
        FX_POSITION = "fx_position", _("FX position")
        FEE_INCOME = "fee_income", _("Fee income")
        SUSPENSE = "suspense", _("Suspense")

    code = models.CharField(_("code"), max_length=32, choices=Code.choices)
    currency = models.CharField(_("currency"), max_length=3, default="KRW")

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [models.UniqueConstraint(fields=["code", "currency"],
                                               name="ledger_account_code_currency")]

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({self.currency})"


class JournalEntry(models.Model):
    """One movement of money: balanced postings written in one transaction."""

    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by", verbose_name=_("reverses"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("entered by"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class Posting(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="postings")
    ledger_account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="postings")
    currency = models.CharField(max_length=3, default="KRW")
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField(null=True, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=100, blank=True)
    memo = models.CharField(_("memo"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.CheckConstraint(
                condition=(Q(account__isnull=False, ledger_account__isnull=True)
                           | Q(account__isnull=True, ledger_account__isnull=False)),
                name="posting_exactly_one_account"),
            models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(account__isnull=True) | (Q(currency="KRW")
                                                     & Q(balance_after__isnull=False)),
                name="posting_deposit_in_krw_with_balance"),
        ]
        indexes = [
            # Transaction history: newest first, keyset on (created_at, id).
            models.Index(fields=["account", "-created_at", "-id"], name="posting_history",
                         condition=Q(account__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+,} {self.currency}"


class CashTransaction(models.Model):
    """A cash deposit or withdrawal at a post office counter, with the ID check the teller
    made; the money itself is the journal entry (vault cash against the account)."""

    class Direction(models.TextChoices):
        DEPOSIT = "deposit", _("Cash deposit")
        WITHDRAWAL = "withdrawal", _("Cash withdrawal")

    class IdDocument(models.TextChoices):
        RESIDENT_CARD = "resident_card", _("Resident registration card")
        DRIVER_LICENSE = "driver_license", _("Driver's license")
        PASSPORT = "passport", _("Passport")

    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="cash",
                                 verbose_name=_("journal entry"))
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="cash",
                                verbose_name=_("account"))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    amount = models.BigIntegerField(_("amount"))
    id_document = models.CharField(_("ID checked"), max_length=16, choices=IdDocument.choices)
    teller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("teller"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("counter cash transaction")
        verbose_name_plural = _("counter cash transactions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cash_amount_positive"),
            models.CheckConstraint(condition=~Q(id_document=""), name="cash_id_checked"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.amount:,}"


class ReconciliationReport(models.Model):
    """The result of one reconciliation run (`manage.py reconcile` or the nightly task)."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    accounts_checked = models.PositiveIntegerField(_("accounts checked"))
    entries_checked = models.PositiveIntegerField(_("entries checked"))
    trial_balance = models.BigIntegerField(_("trial balance"))
    differences = models.JSONField(_("differences"), default=list, blank=True)
    ok = models.BooleanField(_("balanced"))
    text = models.TextField(_("report"))
    trigger = models.CharField(_("run by"), max_length=32)

    class Meta:
        verbose_name = _("reconciliation report")
        verbose_name_plural = _("reconciliation reports")
        ordering = ["-started_at", "-id"]
        permissions = [("run_reconciliation", _("Can run reconciliation"))]

    def __str__(self) -> str:
        at = timezone.localtime(self.started_at).strftime("%Y-%m-%d %H:%M")
        if self.ok:
            return _("%(at)s balanced") % {"at": at}
        return _("%(at)s differences found") % {"at": at}
