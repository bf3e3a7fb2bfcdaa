import hashlib
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from postbank import policy, rawsql


class User(AbstractUser):
    """Everyone who logs in: customers (by user ID), tellers and operators (`is_staff`,
    groups `teller` and `operator`)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_customer(self) -> bool:
        return hasattr(self, "customer")


class Customer(models.Model):
    """A customer of internet banking; the login (`user`) exists once registered online."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="customer", verbose_name=_("login"))
    class Suspension(models.TextChoices):
        WRONG_ENTRIES = "wrong_entries", _("5 wrong entries")
        DORMANT = "dormant", _("12 months without use")

    name = models.CharField(_("real name"), max_length=100)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Consecutive wrong entries per secret (login_password, account_password, security_card,
    # otp, identity), across sessions and channels; the 5th of one secret suspends internet
    # banking. Only a correct entry of the same secret ends its run, so knowing one secret
    # never buys more guesses at another. `wrong_entries` is the longest current run.
    wrong_entry_runs = models.JSONField(_("wrong entries per secret"), default=dict, blank=True)
    wrong_entries = models.PositiveSmallIntegerField(_("consecutive wrong entries"), default=0)
    suspension = models.CharField(_("suspension"), max_length=16, choices=Suspension.choices,
                                  blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    # Signed up for Smart Banking (the phone app): only subscribers get a joint certificate
    # issued to a smartphone (DOMAIN.md, "Joint certificate").
    smart_banking_since = models.DateTimeField(_("Smart Banking since"), null=True, blank=True)

    class Type(models.TextChoices):
        INDIVIDUAL = "individual", _("individual")
        MINOR = "minor", _("minor")
        SOLE_PROPRIETOR = "sole_proprietor", _("sole proprietor")

    customer_type = models.CharField(_("customer type"), max_length=16, choices=Type.choices,
                                     default=Type.INDIVIDUAL)
    # The RRN: AES-GCM ciphertext, a keyed hash to find it, and the mask shown on screens.
    rrn_encrypted = models.TextField(_("RRN (encrypted)"), blank=True, editable=False)
    rrn_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    rrn_masked = models.CharField(_("RRN"), max_length=14, blank=True, editable=False)
    business_number = models.CharField(_("business registration number"), max_length=10,
                                       blank=True)
    phone_encrypted = models.TextField(_("phone (encrypted)"), blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=16, blank=True, editable=False)
    # A minor who applied alone: policy.LIMITS["minor"] whatever the grade, until a teller
    # raises it once the customer is an adult.
    minor_limited = models.BooleanField(_("minor limits"), default=False)
    own_limit_per_transfer = models.PositiveBigIntegerField(
        _("own limit per transfer (won)"), null=True, blank=True)
    own_limit_per_day = models.PositiveBigIntegerField(
        _("own limit per day (won)"), null=True, blank=True)
    # The dormancy clock: login and every transaction move it.
    last_used_at = models.DateTimeField(_("last used"), default=timezone.now)
    dormancy_notice_at = models.DateTimeField(_("dormancy notice sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["last_used_at"], name="customer_active_last_used",
                         condition=models.Q(suspension="")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(own_limit_per_transfer__gt=0)
                                   | models.Q(own_limit_per_transfer__isnull=True),
                                   name="customer_own_limit_transfer_positive"),
            models.CheckConstraint(condition=models.Q(own_limit_per_day__gt=0)
                                   | models.Q(own_limit_per_day__isnull=True),
                                   name="customer_own_limit_day_positive"),
            models.CheckConstraint(condition=~models.Q(suspension="")
                                   | models.Q(suspended_at__isnull=True),
                                   name="customer_suspended_at_only_when_suspended"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def grade(self) -> str | None:
        """"safe" with an active OTP, "general" with an active security card, else None.
        One hand-written statement (postbank.rawsql): every transfer reads its limits."""
        [(otp, card)] = rawsql.rows(
            f"SELECT EXISTS (SELECT 1 FROM {rawsql.table(OtpDevice)} WHERE customer_id = %s "  # noqa: S608
            f"AND status = %s), EXISTS (SELECT 1 FROM {rawsql.table(SecurityCard)} "
            "WHERE customer_id = %s AND status = %s)",
            [self.pk, MediumStatus.ACTIVE, self.pk, MediumStatus.ACTIVE])
        return "safe" if otp else "general" if card else None


class MediumStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    LOST = "lost", _("reported lost")
    REPLACED = "replaced", _("replaced")


class SecurityCard(models.Model):
    """35 numbered 4-digit codes. Only keyed hashes of each half (first two digits, last two
    digits) are stored: the bank only ever asks for halves, and a database dump without the
    key reveals nothing of the card."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="security_cards",
                                 verbose_name=_("customer"))
    serial = models.CharField(_("serial number"), max_length=12, unique=True)
    half_hashes = models.JSONField(editable=False)  # [[first-half hash, last-half hash] x 35]
    status = models.CharField(_("status"), max_length=16, choices=MediumStatus.choices,
                              default=MediumStatus.ACTIVE)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    class Meta:
        verbose_name = _("security card")
        verbose_name_plural = _("security cards")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=models.Q(status="active"),
                                    name="one_active_security_card"),
        ]

    def __str__(self) -> str:
        return self.serial


class OtpDevice(models.Model):
    """A TOTP generator (6 digits per 60 s); the secret is encrypted at rest."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="otp_devices",
                                 verbose_name=_("customer"))
    serial = models.CharField(_("serial number"), max_length=12, unique=True)
    secret_encrypted = models.TextField(editable=False)
    # The last accepted time step: a code is accepted once.
    last_step = models.BigIntegerField(default=0, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=MediumStatus.choices,
                              default=MediumStatus.ACTIVE)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    class Meta:
        verbose_name = _("OTP")
        verbose_name_plural = _("OTPs")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=models.Q(status="active"),
                                    name="one_active_otp"),
        ]

    def __str__(self) -> str:
        return self.serial


class CardChallengeManager(models.Manager):
    """Issuing and taking a card challenge, each one hand-written statement
    (postbank.rawsql): every transfer and remittance does both."""

    def issue(self, *, customer_id: int, challenge_id, pair: tuple[int, int],
              now) -> tuple[int, int] | None:
        """The card's open challenge, renewed in place with the new `challenge_id` (an
        earlier id is then refused as expired) and its two code numbers kept; or, when the
        last one was answered, a new challenge asking `pair`. Returns the two numbers asked,
        or None when the customer has an OTP in use or no card. The customer row is read FOR
        SHARE: a confirmation under way holds it FOR NO KEY UPDATE (postbank.orders), so the
        new challenge waits for it instead of closing the challenge being answered."""
        found = rawsql.rows(
            f"INSERT INTO {rawsql.table(self.model)} "  # noqa: S608
            "(id, card_id, first_index, second_index, created_at) "
            "SELECT %(id)s, s.id, %(first)s, %(second)s, %(now)s "
            f"FROM {rawsql.table(Customer)} c JOIN {rawsql.table(SecurityCard)} s "
            "ON s.customer_id = c.id AND s.status = %(active)s "
            f"WHERE c.id = %(customer)s AND NOT EXISTS (SELECT 1 FROM {rawsql.table(OtpDevice)} o "
            "WHERE o.customer_id = c.id AND o.status = %(active)s) "
            "FOR SHARE OF c "
            "ON CONFLICT (card_id) WHERE used_at IS NULL "
            "DO UPDATE SET id = EXCLUDED.id, created_at = EXCLUDED.created_at "
            "RETURNING first_index, second_index",
            {"id": challenge_id, "first": pair[0], "second": pair[1], "now": now,
             "customer": customer_id, "active": MediumStatus.ACTIVE},
        )
        return found[0] if found else None

    def take(self, *, customer_id: int, challenge_id, now) -> tuple | None:
        """Marks the challenge used, if it is the open, unexpired challenge of the customer's
        card in use (no OTP in use), and returns (first index, second index, card serial,
        card half hashes); else None. Single use: whoever marks it first gets to answer it."""
        found = rawsql.rows(
            f"UPDATE {rawsql.table(self.model)} ch SET used_at = %(now)s "  # noqa: S608
            f"FROM {rawsql.table(SecurityCard)} s "
            "WHERE ch.id = %(id)s AND ch.used_at IS NULL AND ch.created_at > %(since)s "
            "AND s.id = ch.card_id AND s.customer_id = %(customer)s AND s.status = %(active)s "
            f"AND NOT EXISTS (SELECT 1 FROM {rawsql.table(OtpDevice)} o "
            "WHERE o.customer_id = %(customer)s AND o.status = %(active)s) "
            "RETURNING ch.first_index, ch.second_index, s.serial, s.half_hashes",
            {"now": now, "id": challenge_id, "since": now - policy.SECURITY_CHALLENGE_TTL,
             "customer": customer_id, "active": MediumStatus.ACTIVE},
        )
        return found[0] if found else None


class CardChallenge(models.Model):
    """A security card challenge held on the server: answered once, for a short time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    card = models.ForeignKey(SecurityCard, on_delete=models.CASCADE, related_name="challenges")
    first_index = models.PositiveSmallIntegerField()
    second_index = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = CardChallengeManager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(first_index=models.F("second_index")),
                                   name="card_challenge_two_codes"),
            models.CheckConstraint(condition=models.Q(first_index__gte=1, first_index__lte=35,
                                                      second_index__gte=1,
                                                      second_index__lte=35),
                                   name="card_challenge_index_range"),
            # At most one open challenge per card: a new one renews it in place
            # (enrollment.security.security_challenge_issue, INSERT ... ON CONFLICT). Every
            # issue and every answer finds the card's open challenge through this index.
            models.UniqueConstraint(fields=["card"], condition=models.Q(used_at__isnull=True),
                                    name="card_challenge_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.card} {self.first_index}/{self.second_index}"


class Notification(models.Model):
    """The outbox of SMS and e-mail messages; a Celery task "delivers" them (simulated)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT,
                                 related_name="notifications", verbose_name=_("customer"))
    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices,
                               default=Channel.SMS)
    recipient = models.CharField(_("to"), max_length=32, blank=True)  # masked phone
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.recipient}"


class ApiToken(models.Model):
    """A Smart Banking app token; only its SHA-256 is stored. Idle tokens expire like
    sessions (policy.API_TOKEN_IDLE)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField()

    class Meta:
        verbose_name = _("app token")
        verbose_name_plural = _("app tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)


class Document(models.TextChoices):
    """Papers a teller checks at the counter (DOMAIN.md, "Enrollment at the counter")."""

    APPLICATION_FORM = "application_form", _("electronic financial transaction application")
    PASSBOOK_SEAL = "passbook_seal", _("passbook and its seal")
    BUSINESS_REGISTRATION = "business_registration", _(
        "copy of the business registration certificate")
    REPRESENTATIVE_ID = "representative_id", _("ID of the representative")
    MINOR_REAL_NAME = "minor_real_name", _("proof of the minor's real name")
    FAMILY_RELATIONSHIP = "family_relationship", _(
        "family relationship certificate (for an infant or child, instead of the real-name "
        "proof)")
    MINOR_BASIC_CERTIFICATE = "minor_basic_certificate", _(
        "minor's basic certificate (detailed)")
    REPRESENTATION_PROOF = "representation_proof", _(
        "proof of the representation (parents: family relationship certificate or resident "
        "registration copy; guardian: e.g. a court judgment)")
    MINOR_CONSENT = "minor_consent", _("minor e-financial subscription consent")
    PARENTS_ID_COPIES = "parents_id_copies", _("ID copies of both parents")
    MINOR_PRESENT = "minor_present", _("the minor is present (a signature is used)")


class Application(models.Model):
    """An electronic financial transaction application taken at the counter. The customer
    registers online within policy.REGISTRATION_WINDOW_DAYS (KST, counting the application
    day), until `registration_deadline` (exclusive)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting online registration")
        REGISTERED = "registered", _("registered")
        EXPIRED = "expired", _("expired")

    class IdDocument(models.TextChoices):
        RESIDENT_CARD = "resident_card", _("resident registration card")
        DRIVER_LICENSE = "driver_license", _("driver's license")
        PASSPORT = "passport", _("passport")

    class Authentication(models.TextChoices):
        SEAL = "seal", _("seal")
        SIGNATURE = "signature", _("signature")

    class Representation(models.TextChoices):
        NONE = "", _("the customer in person")
        ONE_PARENT = "one_parent", _("one parent")
        BOTH_PARENTS = "both_parents", _("both parents")
        SOLE_REPRESENTATIVE = "sole_representative", _("the single legal representative")
        GUARDIAN = "guardian", _("a guardian")

    class Medium(models.TextChoices):
        SECURITY_CARD = "security_card", _("security card")
        OTP = "otp", _("OTP")

    reference = models.CharField(pgettext_lazy("application", "reference"), max_length=14,
                                 unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="applications",
                                 verbose_name=_("customer"))
    customer_type = models.CharField(_("customer type"), max_length=16,
                                     choices=Customer.Type.choices)
    id_document_type = models.CharField(_("ID document"), max_length=16,
                                        choices=IdDocument.choices)
    id_document_encrypted = models.TextField(editable=False)
    id_document_masked = models.CharField(_("ID document number"), max_length=32)
    designated_accounts = models.ManyToManyField("accounts.Account", related_name="+",
                                                 verbose_name=_("designated withdrawal accounts"))
    authentication = models.CharField(_("seal or signature"), max_length=16,
                                      choices=Authentication.choices)
    representation = models.CharField(_("applied by"), max_length=24, blank=True,
                                      choices=Representation.choices)
    representative_name = models.CharField(_("legal representative"), max_length=100,
                                           blank=True)
    documents = models.JSONField(_("documents checked"), default=list)
    medium = models.CharField(_("security medium"), max_length=16, choices=Medium.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING, db_index=True)
    teller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("teller"))
    applied_at = models.DateTimeField(_("applied"), default=timezone.now)
    registration_deadline = models.DateTimeField(_("register before"))
    closed_at = models.DateTimeField(_("registered or expired"), null=True, blank=True)

    class Meta:
        verbose_name = _("counter application")
        verbose_name_plural = _("counter applications")
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=models.Q(status="pending"),
                                    name="one_pending_application"),
        ]

    def __str__(self) -> str:
        return self.reference


class IdCheck(models.Model):
    """A teller's ID check before lifting a suspension, raising a minor's limits, taking a
    loss report or issuing a replacement medium."""

    class Purpose(models.TextChoices):
        SUSPENSION_LIFT = "suspension_lift", _("suspension lifted")
        ADULT_LIMITS = "adult_limits", _("minor limits raised")
        LOSS_REPORT = "loss_report", _("loss report")
        MEDIUM_REPLACEMENT = "medium_replacement", _("replacement medium")
        DEVICE_REMOVAL = "device_removal", _("designated device removed")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="id_checks",
                                 verbose_name=_("customer"))
    purpose = models.CharField(_("purpose"), max_length=24, choices=Purpose.choices)
    id_document_type = models.CharField(_("ID document"), max_length=16,
                                        choices=Application.IdDocument.choices, blank=True)
    id_document_masked = models.CharField(_("ID document number"), max_length=32, blank=True)
    channel = models.CharField(_("channel"), max_length=16, default="counter")
    teller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("teller"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("ID check")
        verbose_name_plural = _("ID checks")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer} {self.purpose}"
