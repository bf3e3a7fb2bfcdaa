"""The device side, in Python: what the Smart Banking app (and the tests) run to make a key,
a PKCS#10 request and the `signPri.key` / `signCert.der` files. The bank's server never
calls these with a customer's key: the key stays on the device.
"""

import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils.translation import gettext_lazy as _

from certcenter.keys import rsa_key_generate
from postbank.errors import InvalidInput

PASSWORD_RULE = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)(?=.*[^A-Za-z\d\s]).{10,50}$")


class WeakCertificatePassword(InvalidInput):
    code = "weak_certificate_password"
    title = _(
        "The certificate password needs 10 to 50 characters mixing letters, digits and "
        "special characters."
    )


def certificate_password_check(password: str) -> None:
    if not isinstance(password, str) or not PASSWORD_RULE.match(password):
        raise WeakCertificatePassword()


def key_generate() -> rsa.RSAPrivateKey:
    return rsa_key_generate()


def csr_make(key: rsa.RSAPrivateKey, *, name: str | None = None) -> bytes:
    """A PKCS#10 request (PEM) signed by `key`: the proof of possession."""
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)] if name else [])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM)


def private_key_encrypt(key: rsa.RSAPrivateKey, password: str) -> bytes:
    """`signPri.key`: DER PKCS#8 EncryptedPrivateKeyInfo, PBES2 with PBKDF2-HMAC-SHA256 and
    AES-256-CBC (what OpenSSL 3 writes for the best available encryption)."""
    certificate_password_check(password)
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )


def private_key_decrypt(blob: bytes, password: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_der_private_key(blob, password=password.encode())
    except (ValueError, TypeError):
        raise InvalidInput(
            _("The certificate password is not correct or the key file is damaged."),
            code="wrong_certificate_password",
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInput(code="wrong_certificate_password")
    return key


def private_key_reencrypt(blob: bytes, *, old_password: str, new_password: str) -> bytes:
    """Change the certificate password: decrypt with the old, encrypt with the new."""
    return private_key_encrypt(private_key_decrypt(blob, old_password), new_password)


def sign(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
