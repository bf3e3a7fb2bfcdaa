"""Registering another institution's certificate (DOMAIN.md): path validation to a trusted
root of another institution, a Korean personal policy OID, and proof of possession (the
customer signs a fresh server nonce with the certificate's key)."""

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certcenter import ca as ca_ops
from certcenter import profile
from certcenter.errors import (
    CertificateNotUsable,
    ChallengeInvalid,
    InvalidSignature,
    PolicyNotAccepted,
    UnknownIssuer,
)
from certcenter.models import ForeignCertificate, LoginChallenge, TrustedRoot
from certcenter.services import certificate_load
from enrollment.models import Customer
from postbank.audit import audit_record
from postbank.errors import Refused

MAX_CHAIN = 4
FOREIGN_PURPOSE = "foreign"


def foreign_signed_bytes(nonce: str) -> bytes:
    return b"postbank-register-certificate:" + nonce.encode("ascii")


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, CryptoInvalidSignature):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def path_validate(
    *, leaf: x509.Certificate, intermediates: list[x509.Certificate], now=None
) -> x509.Certificate:
    """Walks from the leaf up through the given intermediates to an active trusted root;
    every certificate on the path must be in its validity period and every issuer a CA.
    Returns the root."""
    now = now or timezone.now()
    roots = [
        x509.load_pem_x509_certificate(r.certificate_pem.encode())
        for r in TrustedRoot.objects.filter(active=True)
    ]
    current, pool = leaf, list(intermediates)
    for _depth in range(MAX_CHAIN + 1):
        if not current.not_valid_before_utc <= now <= current.not_valid_after_utc:
            raise CertificateNotUsable()
        for root in roots:
            if current.issuer == root.subject and _issued_by(current, root):
                if not root.not_valid_before_utc <= now <= root.not_valid_after_utc:
                    raise CertificateNotUsable()
                return root
        parent = next(
            (
                c
                for c in pool
                if c.subject == current.issuer and _is_ca(c) and _issued_by(current, c)
            ),
            None,
        )
        if parent is None:
            break
        pool.remove(parent)
        current = parent
    raise UnknownIssuer()


def _korean_policy(leaf: x509.Certificate) -> str:
    try:
        policies = leaf.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        raise PolicyNotAccepted() from None
    for policy in policies:
        if policy.policy_identifier.dotted_string in profile.KOREAN_PERSONAL_POLICY_OIDS:
            return policy.policy_identifier.dotted_string
    raise PolicyNotAccepted()


def foreign_certificate_register(
    *,
    customer: Customer,
    certificate: str | bytes,
    intermediates: list[str | bytes],
    nonce: str,
    signature: bytes,
) -> ForeignCertificate:
    """Callers first pass the fraud-prevention check (designated device or SMS code)."""
    now = timezone.now()
    consumed = LoginChallenge.objects.filter(
        nonce=str(nonce)[:64],
        purpose=FOREIGN_PURPOSE,
        customer=customer,
        used_at__isnull=True,
        expires_at__gte=now,
    ).update(used_at=now)
    if consumed != 1:
        raise ChallengeInvalid()
    leaf = certificate_load(certificate)
    chain = [certificate_load(c) for c in intermediates[:MAX_CHAIN]]
    path_validate(leaf=leaf, intermediates=chain, now=now)
    policy_oid = _korean_policy(leaf)
    public_key = leaf.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise PolicyNotAccepted()
    try:
        public_key.verify(
            signature, foreign_signed_bytes(nonce), padding.PKCS1v15(), hashes.SHA256()
        )
    except CryptoInvalidSignature:
        raise InvalidSignature() from None
    try:
        with transaction.atomic():
            registered = ForeignCertificate.objects.create(
                customer=customer,
                issuer=leaf.issuer.rfc4514_string()[:300],
                subject=leaf.subject.rfc4514_string()[:300],
                serial=format(leaf.serial_number, "x"),
                policy_oid=policy_oid,
                spki_sha256=ca_ops.spki_sha256(public_key),
                der=leaf.public_bytes(serialization.Encoding.DER),
                not_after=leaf.not_valid_after_utc,
            )
            audit_record(
                event="foreign_certificate_registered",
                actor=customer.user,
                subject=f"foreign:{registered.serial}",
                detail={"issuer": registered.issuer, "policy": policy_oid},
            )
    except IntegrityError:
        raise Refused(
            _("This certificate is already registered."), code="certificate_already_registered"
        ) from None
    return registered
