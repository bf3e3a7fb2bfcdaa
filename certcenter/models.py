"""The certificate center: the bank's CA, the certificates it issues, its CRLs, and the
short-lived rows of the PC/smartphone copy relay, certificate login challenges and
pre-consented devices.

Private keys of customers never appear here: the CA only ever sees CSRs and public keys,
and the copy relay stores the password-encrypted PKCS#8 blob the device produced.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CertificateAuthority(models.Model):
    """The offline root and the issuing CA. The key is PKCS#8 PEM encrypted with
    settings.CA_KEY_PASSPHRASE (never stored in clear)."""

    class Role(models.TextChoices):
        ROOT = "root", _("Root CA")
        ISSUING = "issuing", _("Issuing CA")

    role = models.CharField(_("role"), max_length=8, choices=Role.choices)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("issuer"),
    )
    certificate_pem = models.TextField(_("certificate (PEM)"))
    encrypted_key_pem = models.TextField(_("private key (encrypted PKCS#8 PEM)"))
    active = models.BooleanField(_("active"), default=True)
    crl_number = models.PositiveBigIntegerField(_("last CRL number"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate authority")
        verbose_name_plural = _("certificate authorities")
        constraints = [
            models.UniqueConstraint(
                fields=["role"], condition=Q(active=True), name="certcenter_one_active_ca_per_role"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Certificate(models.Model):
    class Type(models.TextChoices):
        BANK_PERSONAL = "bank_personal", _("Bank/insurance limited-use (individual)")
        GENERAL_PERSONAL = "general_personal", _("General-purpose (individual)")
        GENERAL_CORPORATE = "general_corporate", _("General-purpose (corporate)")
        ETAX = "etax", _("e-Tax")
        CREDIT_CARD = "credit_card", _("Credit card")

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        HELD = "held", _("Suspended")
        REVOKED = "revoked", _("Revoked")

    class Reason(models.TextChoices):
        # The names of cryptography's x509.ReasonFlags, written into the CRL and OCSP.
        UNSPECIFIED = "unspecified", _("Unspecified")
        KEY_COMPROMISE = "key_compromise", _("Key compromise (lost)")
        AFFILIATION_CHANGED = "affiliation_changed", _("Affiliation changed")
        SUPERSEDED = "superseded", _("Superseded (reissued or renewed)")
        CESSATION = "cessation_of_operation", _("No longer used")

    class Medium(models.TextChoices):
        PC = "pc", _("PC (browser or files)")
        PHONE = "phone", _("Smartphone")

    customer = models.ForeignKey(
        "enrollment.Customer",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("customer"),
    )
    ca = models.ForeignKey(
        CertificateAuthority,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("issuer"),
    )
    serial = models.CharField(_("serial number (hex)"), max_length=40, unique=True)
    cert_type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    medium = models.CharField(
        _("issued to"), max_length=8, choices=Medium.choices, default=Medium.PC
    )
    subject = models.CharField(pgettext_lazy("certificate", "subject"), max_length=300)
    spki_sha256 = models.CharField(_("public key SHA-256"), max_length=64, unique=True)
    der = models.BinaryField(_("certificate (DER)"))
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.VALID
    )
    held_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("revocation reason"), max_length=24, choices=Reason.choices, blank=True
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    fee = models.PositiveIntegerField(_("fee (won)"), default=0)
    fee_entry = models.ForeignKey(
        "accounts.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fee entry"),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=64)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "cert_type"],
                condition=Q(status__in=["valid", "held"]),
                name="certcenter_one_live_certificate_per_type",
            ),
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"], name="certcenter_certificate_idempotency"
            ),
            models.CheckConstraint(
                condition=Q(not_after__gt=models.F("not_before")),
                name="certcenter_certificate_validity_order",
            ),
            models.CheckConstraint(
                condition=(Q(status="revoked", revoked_at__isnull=False) & ~Q(revocation_reason=""))
                | (~Q(status="revoked") & Q(revoked_at__isnull=True, revocation_reason="")),
                name="certcenter_certificate_revocation_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(held_at__isnull=False),
                name="certcenter_certificate_hold_has_time",
            ),
        ]
        indexes = [models.Index(fields=["ca", "status"])]

    def __str__(self) -> str:
        return f"{self.subject} #{self.serial}"

    @property
    def serial_int(self) -> int:
        return int(self.serial, 16)


class RevocationList(models.Model):
    """Every CRL the issuing CA published; `number` comes from the CA row's counter,
    incremented by the same UPDATE that reserves it (no two CRLs share a number)."""

    ca = models.ForeignKey(CertificateAuthority, on_delete=models.PROTECT, related_name="crls")
    number = models.PositiveBigIntegerField()
    this_update = models.DateTimeField()
    next_update = models.DateTimeField()
    der = models.BinaryField()

    class Meta:
        verbose_name = _("certificate revocation list")
        verbose_name_plural = _("certificate revocation lists")
        constraints = [
            models.UniqueConstraint(fields=["ca", "number"], name="certcenter_crl_number_unique")
        ]

    def __str__(self) -> str:
        return f"CRL {self.number}"


class LoginChallenge(models.Model):
    """A single-use nonce for certificate login or for lifting a dormancy suspension."""

    nonce = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16)
    customer = models.ForeignKey(
        "enrollment.Customer", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The dormancy lift's second step: the certificate that signed the first step's nonce.
    certificate = models.ForeignKey(
        "certcenter.Certificate", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("certificate login challenge")
        verbose_name_plural = _("certificate login challenges")

    def __str__(self) -> str:
        return self.nonce[:8]


class CopySession(models.Model):
    """The PC/smartphone relay. The 12-digit number is stored only as a keyed hash; the
    payload is the password-encrypted PKCS#8 key and the certificate, nothing else."""

    class Direction(models.TextChoices):
        IMPORT = "import", _("PC to smartphone")
        EXPORT = "export", _("Smartphone to PC")

    customer = models.ForeignKey("enrollment.Customer", on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    code_hash = models.CharField(max_length=64, unique=True)
    encrypted_key = models.BinaryField(null=True, blank=True)
    certificate_der = models.BinaryField(null=True, blank=True)
    wrong_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    consumed_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("certificate copy session")
        verbose_name_plural = _("certificate copy sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(wrong_attempts__lte=5), name="certcenter_copy_wrong_attempts_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.created_at:%H:%M}"


class DesignatedDevice(models.Model):
    """A pre-consented PC or phone (fraud prevention): at most 5 per customer."""

    customer = models.ForeignKey(
        "enrollment.Customer", on_delete=models.PROTECT, related_name="designated_devices"
    )
    device_hash = models.CharField(max_length=64)
    label = models.CharField(_("device name"), max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("designated device")
        verbose_name_plural = _("designated devices")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "device_hash"], name="certcenter_device_unique"
            )
        ]

    def __str__(self) -> str:
        return self.label


class SmsCodeManager(models.Manager):
    def try_count(self, *, customer_id: int, purpose: str, now) -> tuple[int, int, str] | None:
        """Counts one try of the customer's unexpired code of `purpose` and returns (id,
        this try's number, code hash), or None: one UPDATE ... RETURNING, so concurrent tries
        each get a number of their own (the row lock orders them)."""
        from postbank import rawsql

        found = rawsql.rows(
            f"UPDATE {rawsql.table(self.model)} SET tries = tries + 1 "  # noqa: S608
            "WHERE customer_id = %s AND purpose = %s AND expires_at > %s "
            "RETURNING id, tries, code_hash",
            [customer_id, purpose, now],
        )
        return found[0] if found else None


class SmsCode(models.Model):
    """The one-time code of a fraud-prevention check, sent by SMS: only its keyed hash, for
    policy.SMS_CODE_TTL, single use, destroyed after policy.SMS_CODE_MAX_TRIES tries (kept
    in PostgreSQL, so a confirmation needs no Redis)."""

    customer = models.ForeignKey(
        "enrollment.Customer", on_delete=models.CASCADE, related_name="sms_codes"
    )
    purpose = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=64)
    tries = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()

    objects = SmsCodeManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "purpose"], name="certcenter_sms_code_one")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.purpose}"


class ForeignCertificate(models.Model):
    """Another institution's certificate registered to the customer after path validation,
    a Korean policy check and proof of possession of its key."""

    customer = models.ForeignKey(
        "enrollment.Customer", on_delete=models.PROTECT, related_name="foreign_certificates"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=300)
    serial = models.CharField(max_length=40)
    policy_oid = models.CharField(max_length=64)
    spki_sha256 = models.CharField(max_length=64)
    der = models.BinaryField()
    not_after = models.DateTimeField()
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("other institution's certificate")
        verbose_name_plural = _("other institutions' certificates")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "serial"], name="certcenter_foreign_unique")
        ]

    def __str__(self) -> str:
        return self.subject


class TrustedRoot(models.Model):
    """A root CA of another institution whose certificates customers may register; kept by
    operators on the counter site."""

    name = models.CharField(_("institution"), max_length=100)
    certificate_pem = models.TextField(_("root certificate (PEM)"))
    active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("trusted root of another institution")
        verbose_name_plural = _("trusted roots of other institutions")

    def __str__(self) -> str:
        return self.name
