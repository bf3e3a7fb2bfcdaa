"""The certificate center's business rules: issue, reissue, renew, discard, suspend and
restore certificates; CRL and OCSP; signature checks and certificate login.

Secrets (RRN, account password, security code) are checked before any transaction opens:
enrollment counts wrong entries in a durable transaction of its own. The fee moves in one
balanced ledger entry in the same transaction as the new certificate row.
"""

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certcenter import ca as ca_ops
from certcenter import profile
from certcenter.errors import (
    CaNotReady,
    CertificateExists,
    CertificateHeld,
    CertificateNotUsable,
    ChallengeInvalid,
    CorporateForBusinessOnly,
    CorporateOnPhone,
    HoldExpired,
    InvalidCertificate,
    InvalidCsr,
    InvalidSignature,
    KeyAlreadyCertified,
    NoCertificate,
    RenewalWindow,
    SmartBankingRequired,
    UnknownIssuer,
    WeakKey,
    WrongState,
    WrongSubject,
)
from certcenter.models import (
    Certificate,
    CertificateAuthority,
    ForeignCertificate,
    LoginChallenge,
    RevocationList,
)
from enrollment.models import Customer
from postbank import policy, rawsql
from postbank.audit import audit_record
from postbank.errors import InvalidInput, Refused
from postbank.idempotency import (
    idempotency_key_claim,
    idempotency_key_clean,
    idempotent_replay,
)
from postbank.kst import kst_date, kst_day_start
from postbank.outbox import task_publish

if TYPE_CHECKING:
    from enrollment.security import SecurityChallenge

CRL_CACHE_KEY = "certcenter:crl:{ca}"
CHALLENGE_TTL = timedelta(minutes=2)
LOGIN_SIGNING_PREFIX = b"postbank-certificate-login:"
SIGN_CHECK_PREFIX = b"postbank-certificate-check:"
SIGN_CHECK_PURPOSE = "sign_check"
MAX_CSR_BYTES = 16_384
MAX_CERT_BYTES = 16_384


# ---------------------------------------------------------------- input parsing


def _decode_blob(value: str | bytes, *, pem_label: str, error) -> bytes:
    """DER from PEM text, base64 text or raw bytes; anything else is the caller's error."""
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("-----BEGIN"):
            lines = [ln for ln in text.splitlines() if ln and not ln.startswith("-----")]
            text = "".join(lines)
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise error() from None
    else:
        raise error()
    if not raw or len(raw) > MAX_CSR_BYTES:
        raise error()
    return raw


def csr_load(value: str | bytes) -> x509.CertificateSigningRequest:
    der = _decode_blob(value, pem_label="CERTIFICATE REQUEST", error=InvalidCsr)
    try:
        csr = x509.load_der_x509_csr(der)
        public_key = csr.public_key()
        signature_ok = csr.is_signature_valid
    except Exception as exc:
        # cryptography raises several types for hostile DER; every one is a bad CSR.
        raise InvalidCsr() from exc
    if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size != 2048:
        raise WeakKey()
    if not signature_ok:
        # The CSR's signature is the proof that the requester holds the private key.
        raise InvalidCsr(
            _("The request's signature does not match its key."), code="csr_signature_invalid"
        )
    return csr


def certificate_load(value: str | bytes) -> x509.Certificate:
    der = _decode_blob(value, pem_label="CERTIFICATE", error=InvalidCertificate)
    try:
        cert = x509.load_der_x509_certificate(der)
        cert.public_key()
    except Exception as exc:
        raise InvalidCertificate() from exc
    return cert


def _csr_subject_check(*, csr: x509.CertificateSigningRequest, customer: Customer) -> None:
    """The device may leave the subject empty or name the customer; the bank writes the
    real subject. Any other name is refused."""
    names = csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    others = [a for a in csr.subject if a.oid != x509.NameOID.COMMON_NAME]
    if others or len(names) > 1:
        raise WrongSubject()
    if names and names[0].value.split("()")[0] != customer.name:
        raise WrongSubject()


# ---------------------------------------------------------------- identity


@dataclass(frozen=True)
class IdentityProof:
    """What issuing or reissuing needs (DOMAIN.md): the user ID, the RRN or business
    number, an account with its password, and the security medium's answer."""

    user_id: str
    rrn_or_business_number: str
    account_number: str
    account_password: str
    security_challenge_id: str | None
    security_answer: str


class WrongUserId(Refused):
    code = "wrong_user_id"
    title = _("The user ID is not yours.")


def identity_verify(*, customer: Customer, proof: IdentityProof, channel: str):
    """Checks every part of the proof through the owners' contracts; returns the account.
    Each wrong secret is counted by enrollment (durable) before the refusal."""
    from accounts.selectors import account_get_for_customer
    from accounts.services import account_password_verify
    from enrollment.security import security_answer_verify
    from enrollment.services import customer_ensure_active, customer_identity_verify

    customer_ensure_active(customer=customer)
    if customer.user is None or proof.user_id.strip() != customer.user.username:
        raise WrongUserId()
    customer_identity_verify(customer=customer, rrn_or_business_number=proof.rrn_or_business_number)
    account = account_get_for_customer(customer=customer, number=proof.account_number)
    account_password_verify(
        customer=customer, account=account, password=proof.account_password, channel=channel
    )
    security_answer_verify(
        customer=customer, challenge_id=proof.security_challenge_id, answer=proof.security_answer
    )
    return account


# ---------------------------------------------------------------- issuing


def _serial_digits(customer: Customer) -> str:
    count = Certificate.objects.filter(customer=customer).count() + 1
    return f"{policy.BANK_CODE}{customer.pk:010d}{count:09d}"


def _customer_lock(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer.pk)


def _fee_post(*, account, amount: int, cert_type: str, actor, reference: str):
    from accounts.services import Line, accounts_lock, entry_post

    if not amount:
        return None
    locked = accounts_lock(ids=[account.pk])
    return entry_post(
        kind="certificate_fee",
        reference=reference,
        actor=actor,
        locked=locked,
        memo=f"certificate fee {cert_type}",
        lines=[
            Line(amount=-amount, account=locked[account.pk], memo="certificate fee"),
            Line(amount=amount, ledger="fee_income", memo=f"certificate fee {cert_type}"),
        ],
    )


def _certificate_create(
    *,
    customer: Customer,
    csr,
    cert_type: str,
    medium: str,
    not_before: datetime,
    not_after: datetime,
    fee: int,
    account,
    idempotency_key: str,
    replaces: Certificate | None,
) -> Certificate:
    ca = ca_ops.issuing_ca()
    public_key = csr.public_key()
    fingerprint = ca_ops.spki_sha256(public_key)
    if Certificate.objects.filter(spki_sha256=fingerprint).exists():
        raise KeyAlreadyCertified()
    subject = profile.subject_name(
        customer_name=customer.name, serial_digits=_serial_digits(customer)
    )
    cert = ca_ops.customer_certificate_sign(
        ca=ca,
        public_key=public_key,
        subject=subject,
        cert_type=cert_type,
        not_before=not_before,
        not_after=not_after,
    )
    serial = format(cert.serial_number, "x")
    fee_entry = _fee_post(
        account=account,
        amount=fee,
        cert_type=cert_type,
        actor=customer.user,
        reference=f"certificate:{serial}",
    )
    certificate = Certificate.objects.create(
        customer=customer,
        ca=ca,
        serial=serial,
        cert_type=cert_type,
        medium=medium,
        subject=subject.rfc4514_string(),
        spki_sha256=fingerprint,
        der=cert.public_bytes(serialization.Encoding.DER),
        not_before=not_before,
        not_after=not_after,
        fee=fee,
        fee_entry=fee_entry,
        idempotency_key=idempotency_key,
        replaces=replaces,
    )
    audit_record(
        event="certificate_issued",
        actor=customer.user,
        subject=f"certificate:{serial}",
        detail={
            "type": cert_type,
            "medium": medium,
            "fee": fee,
            "replaces": replaces.serial if replaces else None,
        },
    )
    return certificate


def _idempotent_repeat(
    *,
    customer: Customer,
    idempotency_key: str,
    csr,
    cert_type: str | None = None,
    medium: str | None = None,
    replaces_serial: str | None = None,
) -> Certificate | None:
    """The certificate an earlier request with this key issued, if it asked the same: the
    same key pair, and the same type and medium (issue) or old certificate (reissue, renew)."""
    previous = (Certificate.objects.select_related("replaces")
                .filter(customer=customer, idempotency_key=idempotency_key_clean(idempotency_key))
                .first())
    if previous is None:
        return None
    asked = (ca_ops.spki_sha256(csr.public_key()), cert_type or previous.cert_type,
             medium or previous.medium, replaces_serial)
    found = (previous.spki_sha256, previous.cert_type, previous.medium,
             previous.replaces.serial if replaces_serial and previous.replaces else None)
    return idempotent_replay(previous, same_request=asked == found)


def _live_for_update(*, customer: Customer, cert_type: str, now: datetime) -> Certificate | None:
    """The customer's live certificate of the type: valid or suspended and not yet expired.
    An expired one still marked valid or suspended is retired first (revoked as superseded;
    expired certificates are no longer listed on the CRL), so it blocks nothing: the
    one-live-per-type constraint would otherwise refuse the new row."""
    rows = list(
        Certificate.objects.select_for_update()
        .filter(
            customer=customer,
            cert_type=cert_type,
            status__in=[Certificate.Status.VALID, Certificate.Status.HELD],
        )
        .order_by("pk")
    )
    live = None
    for row in rows:
        if row.not_after <= now:
            _revoke_row(row, reason=Certificate.Reason.SUPERSEDED, now=now)
        else:
            live = row
    return live


def _revoke_row(certificate: Certificate, *, reason: str, now: datetime) -> None:
    certificate.status = Certificate.Status.REVOKED
    certificate.revoked_at = now
    certificate.revocation_reason = reason
    certificate.save(update_fields=["status", "revoked_at", "revocation_reason"])
    transaction.on_commit(lambda ca_id=certificate.ca_id: status_changed(ca_id=ca_id))


def certificate_issue(
    *,
    customer: Customer,
    csr: str | bytes,
    cert_type: str,
    proof: IdentityProof,
    idempotency_key: str,
    medium: str = "pc",
    channel: str = "web",
) -> Certificate:
    """A new certificate for the CSR's key, valid one year (KST boundaries), the type's fee
    debited from the proof's account. On a smartphone the existing certificate of the type
    is discarded (superseded); on a PC an existing live one must be reissued or renewed."""
    if cert_type not in Certificate.Type.values:
        raise InvalidInput(_("Unknown certificate type."), code="invalid_certificate_type")
    if medium not in Certificate.Medium.values:
        raise InvalidInput(_("Unknown storage medium."), code="invalid_medium")
    if medium == Certificate.Medium.PHONE and cert_type == Certificate.Type.GENERAL_CORPORATE:
        raise CorporateOnPhone()
    if medium == Certificate.Medium.PHONE and customer.smart_banking_since is None:
        raise SmartBankingRequired()
    if (
        cert_type == Certificate.Type.GENERAL_CORPORATE
        and customer.customer_type != Customer.Type.SOLE_PROPRIETOR
    ):
        # Enrollment's only business customer type; individuals and minors are refused.
        raise CorporateForBusinessOnly()
    request = csr_load(csr)
    _csr_subject_check(csr=request, customer=customer)
    idempotency_key = idempotency_key_clean(idempotency_key)
    # Held for the whole request: a duplicate waits, then replays, instead of spending the
    # one-time security challenge a second time.
    with idempotency_key_claim(scope=f"certificate_issue:{customer.pk}", key=idempotency_key):
        repeat = _idempotent_repeat(customer=customer, idempotency_key=idempotency_key,
                                    csr=request, cert_type=cert_type, medium=medium)
        if repeat is not None:
            return repeat
        account = identity_verify(customer=customer, proof=proof, channel=channel)
        now = timezone.now()
        not_before, not_after = profile.validity_new(now=now)
        with transaction.atomic():
            locked = _customer_lock(customer)
            existing = _live_for_update(customer=locked, cert_type=cert_type, now=now)
            if existing is not None:
                if medium != Certificate.Medium.PHONE:
                    raise CertificateExists()
                _revoke_row(existing, reason=Certificate.Reason.SUPERSEDED, now=now)
            return _certificate_create(
                customer=locked,
                csr=request,
                cert_type=cert_type,
                medium=medium,
                not_before=not_before,
                not_after=not_after,
                fee=policy.CERT_FEES_WON[cert_type],
                account=account,
                idempotency_key=idempotency_key,
                replaces=existing,
            )


def certificate_reissue(
    *,
    customer: Customer,
    serial: str,
    csr: str | bytes,
    proof: IdentityProof,
    idempotency_key: str,
    channel: str = "web",
) -> Certificate:
    """Free; keeps the old expiry; the old certificate is revoked as superseded. Callers
    first pass the fraud-prevention check (designated device or SMS code).

    A suspended (held) certificate is not reissued: the new one would be valid and so undo
    the hold. The customer restores it first (then reissues) or discards it and applies
    for a new one."""
    request = csr_load(csr)
    _csr_subject_check(csr=request, customer=customer)
    repeat = _idempotent_repeat(customer=customer, idempotency_key=idempotency_key, csr=request,
                                replaces_serial=serial)
    if repeat is not None:
        return repeat
    old = certificate_get(customer=customer, serial=serial)
    if old.status == Certificate.Status.HELD:
        raise CertificateHeld()
    account = identity_verify(customer=customer, proof=proof, channel=channel)
    now = timezone.now()
    with transaction.atomic():
        locked = _customer_lock(customer)
        old = Certificate.objects.select_for_update().get(pk=old.pk)
        if old.status == Certificate.Status.HELD:
            raise CertificateHeld()
        if old.status == Certificate.Status.REVOKED or old.not_after <= now:
            raise WrongState(
                _(
                    "Only a certificate that has not expired or been revoked can "
                    "be reissued; apply for a new one."
                )
            )
        _revoke_row(old, reason=Certificate.Reason.SUPERSEDED, now=now)
        return _certificate_create(
            customer=locked,
            csr=request,
            cert_type=old.cert_type,
            medium=old.medium,
            not_before=kst_day_start(kst_date(now)),
            not_after=old.not_after,
            fee=0,
            account=account,
            idempotency_key=idempotency_key,
            replaces=old,
        )


def renewal_window(certificate: Certificate) -> tuple[datetime, datetime]:
    """From 00:00:00 KST 30 days before the expiry day until the expiry instant."""
    expiry_day = kst_date(certificate.not_after)
    opens = kst_day_start(expiry_day - timedelta(days=policy.CERT_RENEWAL_WINDOW_DAYS))
    return opens, certificate.not_after


def certificate_renew(
    *,
    customer: Customer,
    serial: str,
    csr: str | bytes,
    account_number: str,
    account_password: str,
    idempotency_key: str,
    channel: str = "web",
) -> Certificate:
    """A new key and certificate running one year from the old expiry; the type's yearly fee
    is debited. Renewal needs the current certificate (it is the proof), so no RRN or
    security medium; the account password authorises the fee."""
    from accounts.selectors import account_get_for_customer
    from accounts.services import account_password_verify

    request = csr_load(csr)
    _csr_subject_check(csr=request, customer=customer)
    repeat = _idempotent_repeat(customer=customer, idempotency_key=idempotency_key, csr=request,
                                replaces_serial=serial)
    if repeat is not None:
        return repeat
    old = certificate_get(customer=customer, serial=serial)
    now = timezone.now()
    opens, closes = renewal_window(old)
    if old.status != Certificate.Status.VALID or not opens <= now <= closes:
        raise RenewalWindow(opens=opens.isoformat(), closes=closes.isoformat())
    fee = policy.CERT_FEES_WON[old.cert_type]
    account = account_get_for_customer(customer=customer, number=account_number)
    account_password_verify(
        customer=customer, account=account, password=account_password, channel=channel
    )
    with transaction.atomic():
        locked = _customer_lock(customer)
        old = Certificate.objects.select_for_update().get(pk=old.pk)
        if old.status != Certificate.Status.VALID:
            raise RenewalWindow()
        not_before, not_after = profile.validity_renewed(now=now, old_not_after=old.not_after)
        _revoke_row(old, reason=Certificate.Reason.SUPERSEDED, now=now)
        return _certificate_create(
            customer=locked,
            csr=request,
            cert_type=old.cert_type,
            medium=old.medium,
            not_before=not_before,
            not_after=not_after,
            fee=fee,
            account=account,
            idempotency_key=idempotency_key,
            replaces=old,
        )


# ---------------------------------------------------------------- reads


def serial_normalise(serial: object) -> str | None:
    """The serial as stored (lowercase hex, at most 40 digits: 20 octets, RFC 5280), or None
    for anything else (a NUL, non-hex or overlong text from a URL must not reach a query)."""
    if not isinstance(serial, str):
        return None
    text = serial.strip().lower()
    if not 0 < len(text) <= 40 or not all(ch in "0123456789abcdef" for ch in text):
        return None
    return text


def certificate_get(*, customer: Customer, serial: str) -> Certificate:
    normalised = serial_normalise(serial)
    if normalised is None:
        raise NoCertificate()
    certificate = Certificate.objects.filter(customer=customer, serial=normalised).first()
    if certificate is None:
        raise NoCertificate()
    return certificate


# ---------------------------------------------------------------- discard, hold, restore

DISCARD_REASONS = [
    Certificate.Reason.CESSATION,
    Certificate.Reason.KEY_COMPROMISE,
    Certificate.Reason.AFFILIATION_CHANGED,
    Certificate.Reason.UNSPECIFIED,
]


def certificate_revoke(*, customer: Customer, serial: str, reason: str, actor=None) -> Certificate:
    """Discard: revocation with a reason, published by CRL and OCSP."""
    if reason not in DISCARD_REASONS:
        raise InvalidInput(_("Choose a reason for discarding."), code="invalid_reason")
    certificate = certificate_get(customer=customer, serial=serial)
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if certificate.status == Certificate.Status.REVOKED:
            raise WrongState()
        _revoke_row(certificate, reason=reason, now=timezone.now())
        audit_record(
            event="certificate_revoked",
            actor=actor or customer.user,
            subject=f"certificate:{certificate.serial}",
            detail={"reason": reason},
        )
    return certificate


def certificate_hold(*, customer: Customer, serial: str, actor=None) -> Certificate:
    certificate = certificate_get(customer=customer, serial=serial)
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if certificate.status != Certificate.Status.VALID:
            raise WrongState()
        certificate.status = Certificate.Status.HELD
        certificate.held_at = timezone.now()
        certificate.save(update_fields=["status", "held_at"])
        audit_record(
            event="certificate_held",
            actor=actor or customer.user,
            subject=f"certificate:{certificate.serial}",
        )
        transaction.on_commit(lambda: status_changed(ca_id=certificate.ca_id))
    return certificate


def hold_deadline(certificate: Certificate) -> datetime:
    """The last instant a held certificate can be restored: 6 calendar months after the
    hold (a hold on 31 August ends on the last day of February)."""
    return certificate.held_at + relativedelta(months=policy.CERT_HOLD_MONTHS)


def certificate_restore(*, customer: Customer, serial: str, actor=None) -> Certificate:
    certificate = certificate_get(customer=customer, serial=serial)
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if certificate.status != Certificate.Status.HELD:
            raise WrongState()
        now = timezone.now()
        if now > hold_deadline(certificate):
            raise HoldExpired()
        if now > certificate.not_after:
            raise WrongState(_("The certificate has expired; apply for a new one."))
        certificate.status = Certificate.Status.VALID
        certificate.held_at = None
        certificate.save(update_fields=["status", "held_at"])
        audit_record(
            event="certificate_restored",
            actor=actor or customer.user,
            subject=f"certificate:{certificate.serial}",
        )
        transaction.on_commit(lambda: status_changed(ca_id=certificate.ca_id))
    return certificate


def holds_expire(*, now: datetime | None = None) -> int:
    """Revokes every certificate suspended for longer than 6 months (beat task; running it
    twice revokes nothing twice). Returns how many were revoked."""
    now = now or timezone.now()
    # Every hold whose deadline can have passed (month ends make "6 months back" up to 3
    # days short), then the exact deadline of each.
    cutoff = now - relativedelta(months=policy.CERT_HOLD_MONTHS) + timedelta(days=3)
    count = 0
    with transaction.atomic():
        for certificate in (
            Certificate.objects.select_for_update(skip_locked=True)
            .filter(status=Certificate.Status.HELD, held_at__lt=cutoff)
            .order_by("pk")
        ):
            if hold_deadline(certificate) >= now:
                continue
            _revoke_row(certificate, reason=Certificate.Reason.CESSATION, now=now)
            audit_record(
                event="certificate_revoked",
                subject=f"certificate:{certificate.serial}",
                channel="system",
                detail={"reason": "hold_expired"},
            )
            count += 1
    return count


def certificates_revoke_for_loss(*, customer: Customer, channel: str = "web", actor=None) -> int:
    """A reported lost certificate: every live certificate of the customer is revoked for
    key compromise at once (CRL and OCSP follow on commit). Returns how many."""
    count = 0
    now = timezone.now()
    with transaction.atomic():
        for certificate in (
            Certificate.objects.select_for_update()
            .filter(
                customer=customer, status__in=[Certificate.Status.VALID, Certificate.Status.HELD]
            )
            .order_by("pk")
        ):
            _revoke_row(certificate, reason=Certificate.Reason.KEY_COMPROMISE, now=now)
            audit_record(
                event="certificate_revoked",
                actor=actor or customer.user,
                subject=f"certificate:{certificate.serial}",
                channel=channel,
                detail={"reason": Certificate.Reason.KEY_COMPROMISE, "by": "loss_report"},
            )
            count += 1
    return count


# ---------------------------------------------------------------- CRL


def status_changed(*, ca_id: int) -> None:
    """After a commit that changed a certificate's status: the cached CRL is stale; a new
    one is published by the task (and lazily by the next CRL request)."""
    from certcenter.tasks import crl_refresh

    cache.delete(CRL_CACHE_KEY.format(ca=ca_id))
    task_publish(crl_refresh, ca_id)


def _reason_flag(reason: str) -> x509.ReasonFlags:
    return x509.ReasonFlags[reason]


def crl_publish(*, ca: CertificateAuthority, now: datetime | None = None) -> RevocationList:
    """Signs and stores the next CRL of `ca`. The number is reserved by locking the CA row
    and incrementing its counter in the transaction that stores the CRL."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
        locked.crl_number += 1
        locked.save(update_fields=["crl_number"])
        issuer = ca_ops.ca_certificate(locked)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.subject)
            .last_update(now)
            .next_update(now + ca_ops.CRL_VALIDITY)
            .add_extension(x509.CRLNumber(locked.crl_number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),
                critical=False,
            )
        )
        rows = (
            Certificate.objects.filter(ca=locked, not_after__gt=now)
            .exclude(status=Certificate.Status.VALID)
            .values_list("serial", "status", "revoked_at", "held_at", "revocation_reason")
        )
        for serial, status, revoked_at, held_at, reason in rows:
            entry = x509.RevokedCertificateBuilder().serial_number(int(serial, 16))
            if status == Certificate.Status.HELD:
                entry = entry.revocation_date(held_at).add_extension(
                    x509.CRLReason(x509.ReasonFlags.certificate_hold), critical=False
                )
            else:
                entry = entry.revocation_date(revoked_at)
                if reason != Certificate.Reason.UNSPECIFIED:
                    entry = entry.add_extension(
                        x509.CRLReason(_reason_flag(reason)), critical=False
                    )
            builder = builder.add_revoked_certificate(entry.build())
        crl = builder.sign(ca_ops.ca_key(locked), hashes.SHA256())
        record = RevocationList.objects.create(
            ca=locked,
            number=locked.crl_number,
            this_update=now,
            next_update=now + ca_ops.CRL_VALIDITY,
            der=crl.public_bytes(serialization.Encoding.DER),
        )
    der = bytes(record.der)
    transaction.on_commit(
        lambda: cache.set(
            CRL_CACHE_KEY.format(ca=ca.pk), der, timeout=int(ca_ops.CRL_VALIDITY.total_seconds())
        )
    )
    return record


def crl_current_der() -> bytes:
    """The cached CRL, or a freshly published one when the cache was invalidated."""
    ca = ca_ops.issuing_ca()
    der = cache.get(CRL_CACHE_KEY.format(ca=ca.pk))
    if der is None:
        der = bytes(crl_publish(ca=ca).der)
        cache.set(
            CRL_CACHE_KEY.format(ca=ca.pk), der, timeout=int(ca_ops.CRL_VALIDITY.total_seconds())
        )
    return der


# ---------------------------------------------------------------- OCSP


def _ocsp_error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def ocsp_respond(*, request_der: bytes, now: datetime | None = None) -> bytes:
    """An RFC 6960 response for one certificate of the issuing CA, signed by the CA."""
    now = now or timezone.now()
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        serial, algorithm = request.serial_number, request.hash_algorithm
        name_hash, key_hash = request.issuer_name_hash, request.issuer_key_hash
    except Exception:
        return _ocsp_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    try:
        ca = ca_ops.issuing_ca()
    except CaNotReady:
        return _ocsp_error(ocsp.OCSPResponseStatus.TRY_LATER)
    issuer = ca_ops.ca_certificate(ca)
    if not isinstance(algorithm, hashes.SHA1 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512):
        return _ocsp_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    expected_name = hashlib.new(algorithm.name, issuer.subject.public_bytes()).digest()
    key_bits = issuer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    expected_key = hashlib.new(algorithm.name, key_bits).digest()
    if name_hash != expected_name or key_hash != expected_key:
        return _ocsp_error(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    row = Certificate.objects.filter(ca=ca, serial=format(serial, "x")).first()
    revocation_time = revocation_reason = None
    if row is None:
        status = ocsp.OCSPCertStatus.UNKNOWN
    elif row.status == Certificate.Status.VALID:
        status = ocsp.OCSPCertStatus.GOOD
    else:
        status = ocsp.OCSPCertStatus.REVOKED
        if row.status == Certificate.Status.HELD:
            revocation_time, revocation_reason = row.held_at, x509.ReasonFlags.certificate_hold
        else:
            revocation_time = row.revoked_at
            if row.revocation_reason != Certificate.Reason.UNSPECIFIED:
                revocation_reason = _reason_flag(row.revocation_reason)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=name_hash,
            issuer_key_hash=key_hash,
            serial_number=serial,
            algorithm=algorithm,
            cert_status=status,
            this_update=now,
            next_update=now + ca_ops.OCSP_VALIDITY,
            revocation_time=revocation_time,
            revocation_reason=revocation_reason,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer)
    )
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            builder = builder.add_extension(extension.value, critical=False)
    response = builder.sign(ca_ops.ca_key(ca), hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


# ---------------------------------------------------------------- signatures and login


def certificate_usable(certificate: Certificate, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if (
        certificate.status != Certificate.Status.VALID
        or not certificate.not_before <= now <= certificate.not_after
        or not certificate.ca.active
    ):
        raise CertificateNotUsable(status=certificate.status)


def _rsa_verify(
    *, certificate: Certificate | ForeignCertificate, data: bytes, signature: bytes
) -> bool:
    public_key = x509.load_der_x509_certificate(bytes(certificate.der)).public_key()
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except CryptoInvalidSignature:
        return False
    return True


# The customer's certificates, newest first, with their CA: every signed order reads them
# (hand-written, postbank.rawsql).
_SIGNER_CANDIDATES_SQL = (
    f"SELECT {rawsql.columns(Certificate, 'c')}, {rawsql.columns(CertificateAuthority, 'a')} "  # noqa: S608
    f"FROM {rawsql.table(Certificate)} c JOIN {rawsql.table(CertificateAuthority)} a "
    "ON a.id = c.ca_id WHERE c.customer_id = %s ORDER BY c.issued_at DESC"
)


def signature_verify(
    *, customer: Customer, data: bytes, signature: bytes
) -> Certificate | ForeignCertificate:
    """An RSA-PKCS#1 v1.5 SHA-256 signature over `data` made with one of the customer's
    valid certificates of this bank, or else with another institution's certificate the
    customer registered here (still in its validity period); returns that certificate. A
    signature by an expired, suspended or revoked certificate, or by any other key, raises
    InvalidSignature."""
    if not isinstance(signature, bytes | bytearray) or not 0 < len(signature) <= 1024:
        raise InvalidSignature()
    now = timezone.now()
    for certificate, authority in rawsql.select(
        _SIGNER_CANDIDATES_SQL, [customer.pk], Certificate, CertificateAuthority
    ):
        Certificate.ca.field.set_cached_value(certificate, authority)
        if _rsa_verify(certificate=certificate, data=data, signature=bytes(signature)):
            try:
                certificate_usable(certificate, now=now)
            except CertificateNotUsable:
                raise InvalidSignature(
                    _("The signing certificate is expired, suspended or revoked."),
                    status=certificate.status,
                ) from None
            return certificate
    # Only when no certificate of this bank signed: the usual order costs no extra query.
    for registered in ForeignCertificate.objects.filter(customer=customer, not_after__gte=now):
        if _rsa_verify(certificate=registered, data=data, signature=bytes(signature)):
            return registered
    raise InvalidSignature()


def order_signature_verify(*, customer: Customer, order: bytes, signature: bytes) -> str:
    """The serial of the customer's usable joint certificate that signed exactly `order` (a
    transfer or remittance order). Refuses invalid_signature on the field `signature`; a
    revoked, suspended or expired signer's status comes as `certificate_status` (in a
    problem document `status` is the HTTP status)."""
    try:
        return signature_verify(customer=customer, data=order, signature=signature).serial
    except InvalidSignature as exc:
        detail = {"certificate_status": exc.extra["status"]} if "status" in exc.extra else {}
        raise InvalidSignature(exc.message, field="signature", **detail) from None


def login_challenge_issue(
    *,
    purpose: str = "login",
    customer: Customer | None = None,
    certificate: Certificate | None = None,
    ttl: timedelta = CHALLENGE_TTL,
) -> LoginChallenge:
    now = timezone.now()
    return LoginChallenge.objects.create(
        nonce=secrets.token_hex(32),
        purpose=purpose,
        customer=customer,
        certificate=certificate,
        created_at=now,
        expires_at=now + ttl,
    )


def login_signed_bytes(nonce: str) -> bytes:
    return LOGIN_SIGNING_PREFIX + nonce.encode("ascii")


def challenge_consume(*, nonce: str, purpose: str, customer: Customer | None = None) -> None:
    """Marks a fresh nonce used (single use, even when what follows fails); an unknown,
    expired, used or other customer's nonce raises ChallengeInvalid."""
    now = timezone.now()
    consumed = LoginChallenge.objects.filter(
        nonce=str(nonce)[:64],
        purpose=purpose,
        customer=customer,
        used_at__isnull=True,
        expires_at__gte=now,
    ).update(used_at=now)
    if consumed != 1:
        raise ChallengeInvalid()


def sign_check_bytes(nonce: str) -> bytes:
    return SIGN_CHECK_PREFIX + nonce.encode("ascii")


def certificate_sign_check(*, customer: Customer, nonce: str, signature: bytes) -> Certificate:
    """The certificate check page: the browser signed a fresh sample exactly as it signs a
    transfer order; returns the certificate the bank would accept the signature from."""
    challenge_consume(nonce=nonce, purpose=SIGN_CHECK_PURPOSE, customer=customer)
    return signature_verify(customer=customer, data=sign_check_bytes(nonce), signature=signature)


def certificate_login(
    *, nonce: str, certificate: str | bytes, signature: bytes, purpose: str = "login"
) -> Certificate | ForeignCertificate:
    """The customer signed the server's fresh nonce with the certificate's key (see
    certificate_proof_verify): a certificate of this bank, or another institution's that
    the customer registered here. A suspended customer is refused (CustomerSuspended, with
    the reason); otherwise recorded as a certificate login, which moves the dormancy clock
    like any login."""
    from enrollment.services import customer_ensure_active, customer_mark_used

    row = certificate_proof_verify(
        nonce=nonce, certificate=certificate, signature=signature, purpose=purpose,
        registered_foreign=True,
    )
    customer_ensure_active(customer=row.customer)
    customer_mark_used(customer=row.customer)
    kind = "foreign" if isinstance(row, ForeignCertificate) else "certificate"
    audit_record(
        event="certificate_login",
        actor=row.customer.user,
        subject=f"{kind}:{row.serial}",
        detail={"purpose": purpose},
    )
    return row


def certificate_proof_verify(
    *,
    nonce: str,
    certificate: str | bytes,
    signature: bytes,
    purpose: str,
    registered_foreign: bool = False,
) -> Certificate | ForeignCertificate:
    """The customer signed the server's fresh nonce of `purpose` with the certificate's key:
    the certificate is this bank's, valid (not held, revoked or expired) and the signature
    is its key's. Returns the certificate row (its customer is the signer); whether that
    customer may act is the caller's check. The nonce is consumed first (single use, even
    when the signature then fails). With `registered_foreign`, another institution's
    certificate registered here (exactly that certificate, within its validity) is accepted
    too and its ForeignCertificate row returned."""
    now = timezone.now()
    challenge_consume(nonce=nonce, purpose=purpose)
    cert = certificate_load(certificate)
    der = cert.public_bytes(serialization.Encoding.DER)
    serial = format(cert.serial_number, "x")
    row = Certificate.objects.select_related("ca", "customer__user").filter(serial=serial).first()
    if row is None or bytes(row.der) != der:
        if not registered_foreign:
            raise UnknownIssuer()
        row = _foreign_registered(serial=serial, der=der, now=now)
    else:
        certificate_usable(row, now=now)
    if not _rsa_verify(certificate=row, data=login_signed_bytes(nonce), signature=signature):
        raise InvalidSignature()
    return row


def _foreign_registered(*, serial: str, der: bytes, now: datetime) -> ForeignCertificate:
    """Another institution's certificate exactly as a customer registered it here. Its path
    to a trusted root, its policy and its key were checked at registration (certcenter.
    foreign); its own CA's revocations cannot be seen from here, only its expiry."""
    for row in ForeignCertificate.objects.select_related("customer__user").filter(serial=serial):
        if bytes(row.der) == der:
            if row.not_after < now:
                raise CertificateNotUsable(status="expired")
            return row
    raise UnknownIssuer()


# ---------------------------------------------------------------- dormancy lift


DORMANCY_LIFT_PURPOSE = "dormancy_lift"  # the nonce the certificate signs (step 1)
DORMANCY_MEDIUM_PURPOSE = "dormancy_medium"  # the ticket for the security medium (step 2)


@dataclass(frozen=True)
class DormancyLiftStart:
    """After the certificate step: the single-use ticket for the medium step, and the
    security medium's challenge to show (enrollment.security.SecurityChallenge)."""

    ticket: str
    expires_at: datetime
    certificate: Certificate
    challenge: "SecurityChallenge"


def _ensure_dormant(customer: Customer) -> None:
    from enrollment.services import NotDormant

    if not customer.suspension:
        raise NotDormant(_("Internet banking is not suspended; log in as usual."))
    if customer.suspension != Customer.Suspension.DORMANT:
        raise NotDormant(suspension=customer.suspension)


def dormancy_lift_challenge_issue() -> LoginChallenge:
    """The fresh nonce a dormant customer signs with the certificate (no login: a dormant
    customer cannot log in)."""
    return login_challenge_issue(purpose=DORMANCY_LIFT_PURPOSE)


def dormancy_lift_start(
    *, nonce: str, certificate: str | bytes, signature: bytes, channel: str = "web"
) -> DormancyLiftStart:
    """Step 1 of lifting a dormancy suspension online (DOMAIN.md "Service suspension"): the
    certificate check of a login (certificate_proof_verify) without the "customer active"
    check, which only a dormancy suspension skips. Returns the ticket for step 2 and the
    medium's challenge, issued for the dormancy-lift purpose."""
    from enrollment.security import DORMANCY_LIFT, security_challenge_issue

    row = certificate_proof_verify(
        nonce=nonce, certificate=certificate, signature=signature, purpose=DORMANCY_LIFT_PURPOSE
    )
    customer = Customer.objects.select_related("user").get(pk=row.customer_id)
    _ensure_dormant(customer)
    challenge = security_challenge_issue(customer=customer, purpose=DORMANCY_LIFT)
    ticket = login_challenge_issue(
        purpose=DORMANCY_MEDIUM_PURPOSE,
        customer=customer,
        certificate=row,
        ttl=policy.SECURITY_CHALLENGE_TTL,
    )
    audit_record(
        event="dormancy_lift_certificate",
        actor=customer.user,
        subject=f"customer:{customer.pk}",
        channel=channel,
        detail={"certificate": row.serial},
    )
    return DormancyLiftStart(
        ticket=ticket.nonce, expires_at=ticket.expires_at, certificate=row, challenge=challenge
    )


def dormancy_lift_with_certificate(
    *, ticket: str, challenge_id: str | None, answer: str, channel: str = "web"
) -> Customer:
    """Step 2: the security medium's answer for the ticket of step 1, then
    enrollment.services.dormancy_lift_online (audited as suspension_lifted, with the
    certificate) and an SMS to the customer. The ticket is single use: after any refusal
    the customer starts again with the certificate. A wrong answer counts toward the 5
    wrong entries (committed by enrollment before the refusal); nothing else changes.
    Runs outside the caller's transaction."""
    from enrollment.security import DORMANCY_LIFT, security_answer_verify
    from enrollment.services import dormancy_lift_online, notification_send

    now = timezone.now()
    held = (
        LoginChallenge.objects.select_related("customer__user", "certificate__ca")
        .filter(
            nonce=str(ticket)[:64],
            purpose=DORMANCY_MEDIUM_PURPOSE,
            customer__isnull=False,
            certificate__isnull=False,
        )
        .first()
    )
    try:
        if held is None:
            raise ChallengeInvalid()
        challenge_consume(nonce=held.nonce, purpose=DORMANCY_MEDIUM_PURPOSE, customer=held.customer)
    except ChallengeInvalid:
        raise ChallengeInvalid(
            _("This step has expired or was already used. Start again with your joint certificate.")
        ) from None
    customer, certificate = held.customer, held.certificate
    # The certificate may have been held, revoked or reported lost since step 1.
    certificate_usable(certificate, now=now)
    _ensure_dormant(customer)
    security_answer_verify(
        customer=customer,
        challenge_id=challenge_id,
        answer=answer,
        channel=channel,
        purpose=DORMANCY_LIFT,
    )
    with transaction.atomic():
        dormancy_lift_online(
            customer=customer, actor_channel=channel, detail={"certificate": certificate.serial}
        )
        notification_send(
            customer=customer,
            kind="suspension_lifted",
            text=_(
                "Postbank: internet banking was resumed online with your joint "
                "certificate. If this was not you, report it to a post office at once."
            ),
        )
    return customer
