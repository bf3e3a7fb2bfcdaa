"""A second, independent test CA standing for another bank (yessign/KICA style)."""

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from certcenter.models import TrustedRoot

KFTC_BANK_LIMITED = "1.2.410.200005.1.1.4"


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "kr"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OtherBank"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


class OtherBankCa:
    def __init__(self, *, now: datetime | None = None):
        self.now = now or datetime.now(UTC)
        self.root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.root = self._ca(_name("OtherBank Root"), self.root_key, None, self.root_key)
        self.sub_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.sub = self._ca(_name("OtherBank CA 1"), self.sub_key, self.root, self.root_key)

    def _ca(self, name, key, issuer, issuer_key):
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer.subject if issuer else name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=1))
            .not_valid_after(self.now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256())
        )

    def trust(self) -> TrustedRoot:
        return TrustedRoot.objects.create(
            name="OtherBank",
            certificate_pem=self.root.public_bytes(serialization.Encoding.PEM).decode(),
        )

    def leaf(
        self, *, policy: str = KFTC_BANK_LIMITED, key=None, days: int = 365, rsa_key: bool = True
    ):
        key = key or (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if rsa_key
            else ec.generate_private_key(ec.SECP256R1())
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name("홍길동()0010001"))
            .issuer_name(self.sub.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=1))
            .not_valid_after(self.now + timedelta(days=days))
        )
        if policy:
            builder = builder.add_extension(
                x509.CertificatePolicies(
                    [x509.PolicyInformation(x509.ObjectIdentifier(policy), None)]
                ),
                critical=True,
            )
        return builder.sign(self.sub_key, hashes.SHA256()), key


def registered_certificate(customer, *, days: int = 365):
    """A certificate of a new trusted other bank, registered to the customer as the
    certificate center registers one (path, policy, proof of possession): (leaf, key, row)."""
    from certcenter import client, foreign, services

    other = OtherBankCa()
    other.trust()
    leaf, key = other.leaf(days=days)
    nonce = services.login_challenge_issue(purpose=foreign.FOREIGN_PURPOSE, customer=customer)
    registered = foreign.foreign_certificate_register(
        customer=customer,
        certificate=leaf.public_bytes(serialization.Encoding.DER),
        intermediates=[other.sub.public_bytes(serialization.Encoding.DER)],
        nonce=nonce.nonce,
        signature=client.sign(key, foreign.foreign_signed_bytes(nonce.nonce)),
    )
    return leaf, key, registered
