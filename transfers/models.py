"""Real-time transfers, the simulated clearing house and the daily usage behind limits.

A transfer row is created by the recipient inquiry (status `prepared`, valid for
policy.TRANSFER_PREPARED_TTL) and moves money once, when the customer confirms it. The row
doubles as the idempotency record: (customer, idempotency_key) is unique and the request
fingerprint tells a replay from a different request under the same key.
"""

import base64
import hashlib
import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.numbers import account_number_format
from enrollment.models import Customer, MediumStatus, OtpDevice, SecurityCard
from postbank import policy, rawsql

# The channel of the seeded demo history, the only transfers that move money unsigned.
DEMO_CHANNEL = "demo"
BANK_CHOICES = [(policy.BANK_CODE, _("Post Office")), *sorted(policy.OTHER_BANKS.items())]


def bank_name(code: str) -> str:
    if code == policy.BANK_CODE:
        return str(_("Post Office"))
    return policy.OTHER_BANKS.get(code, code)


class ClearingHouseAccount(models.Model):
    """An account at another bank, as the simulated clearing house knows it.

    Operators edit the directory on the counter site and choose what the other bank answers
    when a transfer settles: accept, reject with a reason, or never answer (time out).
    """

    class Outcome(models.TextChoices):
        ACCEPT = "accept", _("Accept")
        REJECT = "reject", _("Reject")
        TIMEOUT = "timeout", _("Time out (no answer)")

    bank_code = models.CharField(
        _("bank"), max_length=3, choices=sorted(policy.OTHER_BANKS.items())
    )
    number = models.CharField(
        _("account number"), max_length=16, help_text=_("Digits only, 10 to 16.")
    )
    holder_name = models.CharField(_("holder name"), max_length=100)
    outcome = models.CharField(
        _("settlement outcome"), max_length=8, choices=Outcome.choices, default=Outcome.ACCEPT
    )
    reject_reason = models.CharField(
        _("rejection reason"),
        max_length=100,
        blank=True,
        help_text=_("Shown to the customer, e.g. account closed."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("clearing house account")
        verbose_name_plural = _("clearing house directory")
        ordering = ["bank_code", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_code", "number"], name="clearing_account_bank_number"
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{10,16}$"), name="clearing_account_number_digits"
            ),
            models.CheckConstraint(
                condition=~Q(bank_code=policy.BANK_CODE), name="clearing_account_other_bank"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="reject") | ~Q(reject_reason=""),
                name="clearing_account_reject_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{bank_name(self.bank_code)} {self.number} {self.holder_name}"


class TransferManager(models.Manager):
    """The two reads every transfer makes, each one hand-written statement (postbank.rawsql:
    a transfer is 12 statements in all, counted by bench/transfers_api.py)."""

    @cached_property
    def _facts_sql(self) -> str:
        return (
            f"SELECT {rawsql.columns(Account, 'src')}, {rawsql.columns(Account, 'dst')}, "  # noqa: S608
            f"{rawsql.columns(ClearingHouseAccount, 'ch')}, holder.name, "
            f"EXISTS (SELECT 1 FROM {rawsql.table(OtpDevice)} o "
            "WHERE o.customer_id = %(customer)s AND o.status = %(active)s), "
            f"EXISTS (SELECT 1 FROM {rawsql.table(SecurityCard)} s "
            "WHERE s.customer_id = %(customer)s AND s.status = %(active)s), "
            "COALESCE(u.used, 0), ex.id, ex.request_fingerprint "
            "FROM (VALUES (1)) AS one (x) "
            f"LEFT JOIN {rawsql.table(Account)} src "
            "ON src.owner_id = %(customer)s AND src.number = %(from)s "
            f"LEFT JOIN {rawsql.table(Account)} dst ON %(in_bank)s AND dst.number = %(to)s "
            f"LEFT JOIN {rawsql.table(Customer)} holder ON holder.id = dst.owner_id "
            f"LEFT JOIN {rawsql.table(ClearingHouseAccount)} ch "
            "ON NOT %(in_bank)s AND ch.bank_code = %(bank)s AND ch.number = %(to)s "
            f"LEFT JOIN {rawsql.table(DailyUsage)} u "
            "ON u.customer_id = %(customer)s AND u.day = %(day)s "
            f"LEFT JOIN {rawsql.table(self.model)} ex "
            "ON ex.customer_id = %(customer)s AND ex.idempotency_key = %(key)s"
        )

    def prepare_facts(self, *, customer_id: int, from_number: str, bank_code: str,
                      to_number: str, in_bank: bool, day, idempotency_key: str) -> tuple:
        """What a prepare's rules need, in one statement: (the customer's source account,
        the Post Office destination, the other bank's account in the clearing house, the
        destination holder's name, an active OTP?, an active security card?, the won used
        on `day`, the id and request fingerprint of the transfer made with the key). A
        missing row reads as None."""
        [row] = rawsql.select(self._facts_sql, {
            "customer": customer_id, "from": from_number, "to": to_number, "bank": bank_code,
            "in_bank": in_bank, "day": day, "key": idempotency_key,
            "active": MediumStatus.ACTIVE,
        }, Account, Account, ClearingHouseAccount)
        return row

    def _lock_sql(self, where: str) -> str:
        return (
            f"SELECT {rawsql.columns(self.model, 't')}, {rawsql.columns(Account, 'a')}, "  # noqa: S608
            f"{rawsql.columns(Customer, 'c')}, "
            f"EXISTS (SELECT 1 FROM {rawsql.table(OtpDevice)} o "
            "WHERE o.customer_id = c.id AND o.status = %(active)s), "
            f"EXISTS (SELECT 1 FROM {rawsql.table(SecurityCard)} s "
            "WHERE s.customer_id = c.id AND s.status = %(active)s), "
            f"COALESCE((SELECT u.used FROM {rawsql.table(DailyUsage)} u "
            "WHERE u.customer_id = c.id AND u.day = %(day)s), 0) "
            f"FROM {rawsql.table(self.model)} t "
            f"JOIN {rawsql.table(Customer)} c ON c.id = t.customer_id "
            f"JOIN {rawsql.table(Account)} a ON a.id = t.from_account_id "
            f"WHERE {where} FOR NO KEY UPDATE OF t, c"
        )

    @cached_property
    def _lock_by_pk_sql(self) -> str:
        return self._lock_sql("t.id = %(pk)s")

    @cached_property
    def _lock_by_public_id_sql(self) -> str:
        return self._lock_sql("t.public_id = %(public_id)s AND t.customer_id = %(customer)s")

    def lock_for_confirmation(self, *, day, pk: int | None = None, public_id=None,
                              customer_id: int | None = None) -> tuple | None:
        """The claim of a confirmation (postbank.orders): the transfer (by primary key, or
        by the customer's public id) then its customer, locked FOR NO KEY UPDATE in that
        order (the rows written next reference them), with what the checks need in the same
        round trip: (transfer, source account, customer, an active OTP?, an active security
        card?, the won used on `day`); None when there is no such transfer."""
        sql = self._lock_by_pk_sql if pk is not None else self._lock_by_public_id_sql
        found = rawsql.select(sql, {
            "active": MediumStatus.ACTIVE, "day": day, "pk": pk, "public_id": public_id,
            "customer": customer_id,
        }, self.model, Account, Customer)
        return found[0] if found else None


class Transfer(models.Model):
    class Kind(models.TextChoices):
        OWN = "own", _("Between my accounts")
        POSTOFFICE = "postoffice", _("Another Post Office account")
        INTERBANK = "interbank", _("Another bank")

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Awaiting confirmation")
        SETTLING = "settling", _("Being settled with the other bank")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Not confirmed in time")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "enrollment.Customer",
        on_delete=models.PROTECT,
        related_name="transfers",
        verbose_name=_("customer"),
    )
    from_account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="transfers_out",
        verbose_name=_("from account"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    to_bank_code = models.CharField(_("bank"), max_length=3, choices=BANK_CHOICES)
    to_account_number = models.CharField(_("to account number"), max_length=16)
    to_account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers_in",
        verbose_name=_("to account (Post Office)"),
    )
    clearing_account = models.ForeignKey(
        ClearingHouseAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
        verbose_name=_("clearing house account"),
    )
    recipient_name = models.CharField(_("recipient"), max_length=100)
    amount = models.BigIntegerField(_("amount"))
    fee = models.BigIntegerField(_("fee"), default=0)
    sender_memo = models.CharField(_("memo on my statement"), max_length=20, blank=True)
    recipient_memo = models.CharField(
        _("memo on the recipient's statement"), max_length=20, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PREPARED, db_index=True
    )
    failure_code = models.CharField(_("failure code"), max_length=40, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=8, default="web")
    idempotency_key = models.CharField(_("idempotency key"), max_length=64)
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    business_date = models.DateField(_("business date (KST)"), null=True, blank=True)
    entry = models.OneToOneField(
        "accounts.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer",
        verbose_name=_("journal entry"),
    )
    reversal_entry = models.OneToOneField(
        "accounts.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_transfer",
        verbose_name=_("reversal entry"),
    )
    # The evidence of the electronic signature: the exact order bytes the customer signed
    # with the joint certificate, the signature and the signing certificate's serial.
    signed_order = models.BinaryField(_("signed order"), null=True, blank=True)
    signature = models.BinaryField(_("signature"), null=True, blank=True)
    signer_certificate_serial = models.CharField(
        _("signer certificate serial"), max_length=64, blank=True
    )
    settlement_attempts = models.PositiveSmallIntegerField(_("settlement attempts"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    executed_at = models.DateTimeField(_("executed"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = TransferManager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"], name="transfer_idempotency_key_per_customer"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="transfer_fee_not_negative"),
            models.CheckConstraint(
                condition=~Q(to_account=F("from_account")), name="transfer_not_to_itself"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="interbank", to_account__isnull=True, clearing_account__isnull=False)
                    | (
                        ~Q(kind="interbank")
                        & Q(to_account__isnull=False, clearing_account__isnull=True)
                    )
                ),
                name="transfer_destination_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["prepared", "expired"])
                | Q(entry__isnull=False)
                | Q(status="failed"),
                name="transfer_moved_money_has_entry",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed")
                | Q(entry__isnull=False, reversal_entry__isnull=True),
                name="transfer_completed_not_reversed",
            ),
            # Money moves only on a signed order; the seeded demo history is the one exception.
            models.CheckConstraint(
                condition=Q(entry__isnull=True)
                | Q(signature__isnull=False, signed_order__isnull=False)
                & ~Q(signer_certificate_serial="")
                | Q(channel=DEMO_CHANNEL),
                name="transfer_moved_money_is_signed",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="transfer_search"),
            models.Index(
                fields=["status", "executed_at"],
                name="transfer_settling",
                condition=Q(status="settling"),
            ),
        ]

    # Set by transfer_prepare on the transfer it returns for a repeated idempotency key.
    replayed = False

    def __str__(self) -> str:
        return f"{self.public_id} {self.amount:,}"

    @property
    def bank_name(self) -> str:
        return bank_name(self.to_bank_code)

    @property
    def formatted_to_number(self) -> str:
        if self.to_bank_code == policy.BANK_CODE and len(self.to_account_number) == 14:
            return account_number_format(self.to_account_number)
        return self.to_account_number

    @property
    def total(self) -> int:
        return self.amount + self.fee

    @property
    def moved_money(self) -> bool:
        return self.entry_id is not None

    @property
    def signature_base64(self) -> str:
        return base64.b64encode(bytes(self.signature)).decode() if self.signature else ""

    @property
    def signed_order_text(self) -> str:
        return bytes(self.signed_order).decode() if self.signed_order else ""

    @property
    def signed_order_sha256(self) -> str:
        return hashlib.sha256(bytes(self.signed_order)).hexdigest() if self.signed_order else ""


class DailyUsageManager(models.Manager):
    def lock_day(self, *, customer_id: int, day) -> int:
        """The won the customer used on the KST `day`, its row created if missing and locked
        until the transaction ends (one statement)."""
        table = rawsql.table(self.model)
        [(used,)] = rawsql.rows(
            f"INSERT INTO {table} (customer_id, day, used) VALUES (%s, %s, 0) "  # noqa: S608
            f"ON CONFLICT (customer_id, day) DO UPDATE SET used = {table}.used RETURNING used",
            [customer_id, day],
        )
        return used

    def add_statement(self, *, customer_id: int, day, amount: int) -> tuple[str, list]:
        """The UPDATE adding `amount` to the day's row (locked by lock_day), to run with the
        transfer's other writes (rawsql.together)."""
        return (
            f"UPDATE {rawsql.table(self.model)} SET used = used + %s "  # noqa: S608
            "WHERE customer_id = %s AND day = %s",
            [amount, customer_id, day],
        )


class DailyUsage(models.Model):
    """What a customer has transferred on one KST day, across every channel.

    The row is locked (DailyUsageManager.lock_day) in the transaction that moves the money,
    so two concurrent transfers of one customer check the daily limit one after the other.
    """

    customer = models.ForeignKey(
        "enrollment.Customer", on_delete=models.PROTECT, related_name="transfer_usage"
    )
    day = models.DateField(_("day (KST)"))
    used = models.BigIntegerField(_("transferred"), default=0)

    objects = DailyUsageManager()

    class Meta:
        verbose_name = _("daily transfer usage")
        verbose_name_plural = _("daily transfer usage")
        constraints = [
            models.UniqueConstraint(fields=["customer", "day"], name="daily_usage_per_day"),
            models.CheckConstraint(condition=Q(used__gte=0), name="daily_usage_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.day} {self.used:,}"
