"""The X.509 machinery of the bank's CA, on `cryptography`: creating the root and issuing
CA, signing customer certificates in the DOMAIN.md profile, CRLs and OCSP responses.

CA keys are stored as PKCS#8 PEM encrypted with settings.CA_KEY_PASSPHRASE and decrypted
only in memory when something must be signed.
"""

import hashlib
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from certcenter import profile
from certcenter.errors import CaNotReady
from certcenter.keys import rsa_key_generate
from certcenter.models import CertificateAuthority

ROOT_YEARS = 20
ISSUING_YEARS = 10
CRL_VALIDITY = timedelta(days=1)
OCSP_VALIDITY = timedelta(hours=1)


def _passphrase() -> bytes:
    if not settings.CA_KEY_PASSPHRASE:
        raise ImproperlyConfigured("CERTCENTER_CA_PASSPHRASE must be set.")
    return settings.CA_KEY_PASSPHRASE.encode()


def key_encrypt(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    ).decode()


_key_cache: dict[tuple[int, str], rsa.RSAPrivateKey] = {}


def ca_key(ca: CertificateAuthority) -> rsa.RSAPrivateKey:
    """The CA's private key, decrypted once per process (keyed by the stored ciphertext,
    so a re-created CA never reuses a stale key)."""
    digest = hashlib.sha256(ca.encrypted_key_pem.encode()).hexdigest()
    cached = _key_cache.get((ca.pk, digest))
    if cached is None:
        cached = serialization.load_pem_private_key(
            ca.encrypted_key_pem.encode(), password=_passphrase()
        )
        _key_cache[(ca.pk, digest)] = cached
    return cached


def ca_certificate(ca: CertificateAuthority) -> x509.Certificate:
    return x509.load_pem_x509_certificate(ca.certificate_pem.encode())


def spki_sha256(public_key) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def public_url(name: str) -> str:
    return settings.CERTCENTER_PUBLIC_URL.rstrip("/") + reverse(name)


def _ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, profile.COUNTRY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, profile.CA_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_cert(
    *,
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer_cert,
    issuer_key,
    now: datetime,
    years: int,
    path_length: int,
) -> x509.Certificate:
    issuer_name = issuer_cert.subject if issuer_cert is not None else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        # anyPolicy: the CAs pass on every customer policy of the project arc.
        .add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(x509.oid.CertificatePoliciesOID.ANY_POLICY, None)]
            ),
            critical=False,
        )
    )
    signer_public = issuer_cert.public_key() if issuer_cert is not None else key.public_key()
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_public), critical=False
    )
    return builder.sign(issuer_key, hashes.SHA256())


def ca_hierarchy_create(*, now: datetime) -> tuple[CertificateAuthority, CertificateAuthority]:
    """A new root and issuing CA; the previous active pair (if any) is deactivated."""
    root_key = rsa_key_generate()
    root_cert = _ca_cert(
        subject=_ca_name("Postbank Root CA"),
        key=root_key,
        issuer_cert=None,
        issuer_key=root_key,
        now=now,
        years=ROOT_YEARS,
        path_length=1,
    )
    issuing_key = rsa_key_generate()
    issuing_cert = _ca_cert(
        subject=_ca_name("Postbank Issuing CA 1"),
        key=issuing_key,
        issuer_cert=root_cert,
        issuer_key=root_key,
        now=now,
        years=ISSUING_YEARS,
        path_length=0,
    )
    CertificateAuthority.objects.filter(active=True).update(active=False)
    root = CertificateAuthority.objects.create(
        role=CertificateAuthority.Role.ROOT,
        name="Postbank Root CA",
        certificate_pem=root_cert.public_bytes(serialization.Encoding.PEM).decode(),
        encrypted_key_pem=key_encrypt(root_key),
    )
    issuing = CertificateAuthority.objects.create(
        role=CertificateAuthority.Role.ISSUING,
        name="Postbank Issuing CA 1",
        parent=root,
        certificate_pem=issuing_cert.public_bytes(serialization.Encoding.PEM).decode(),
        encrypted_key_pem=key_encrypt(issuing_key),
    )
    return root, issuing


def issuing_ca() -> CertificateAuthority:
    ca = (
        CertificateAuthority.objects.filter(role=CertificateAuthority.Role.ISSUING, active=True)
        .select_related("parent")
        .first()
    )
    if ca is None:
        raise CaNotReady()
    return ca


def chain_pem() -> str:
    """The issuing CA, then the root: what `openssl verify -CAfile` needs."""
    ca = issuing_ca()
    return ca.certificate_pem + ca.parent.certificate_pem


def customer_certificate_sign(
    *,
    ca: CertificateAuthority,
    public_key,
    subject: x509.Name,
    cert_type: str,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    issuer = ca_certificate(ca)
    policy = x509.PolicyInformation(x509.ObjectIdentifier(profile.POLICY_OIDS[cert_type]), None)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.CertificatePolicies([policy]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(public_url("certcenter:crl"))],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(public_url("certcenter:ocsp")),
                    )
                ]
            ),
            critical=False,
        )
        .sign(ca_key(ca), hashes.SHA256())
    )
