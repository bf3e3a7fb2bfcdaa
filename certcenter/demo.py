"""Demo data for `manage.py seed_demo`: the bank's CA (created once, like `ca_init`) and a
bank-use joint certificate for the demo customer, written as `signCert.der` and `signPri.key`
in the Korean NPKI folder layout so that a person can import it in the browser ("Use
certificate files" on the certificate login page) or open it with
`openssl pkcs8 -inform DER -in signPri.key -passin pass:<DEMO_CERT_PASSWORD>`.

The demo plays the customer's device here: the key is made by the device-side client
(certcenter.client) and the bank's CA only sees the PKCS#10 request, as in a real issue.
Idempotent: a re-run finds the files still matching a usable certificate and changes
nothing; if the files are gone (the key with them), the old certificate is revoked as
superseded and a new one is written.
"""

from pathlib import Path

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certcenter import ca as ca_ops
from certcenter import client, profile, services
from certcenter.errors import CaNotReady
from certcenter.models import Certificate
from enrollment.models import Customer
from postbank.errors import PostbankError
from postbank.kst import kst_date

DEMO_CERT_PASSWORD = "Cert-demo-2026!"  # published with the demo logins
DEMO_CERT_TYPE = Certificate.Type.BANK_PERSONAL
DEMO_FOLDER = settings.BASE_DIR / "var" / "demo-certificate"
CA_FOLDER = "Postbank"


def user_folder(folder: Path, certificate: Certificate) -> Path:
    """NPKI/<CA>/USER/<subject DN in lower-case attribute names>/, as Korean software
    keeps certificates on a hard disk or USB drive."""
    name = x509.load_der_x509_certificate(bytes(certificate.der)).subject
    dn = ",".join(
        f"{attribute.rfc4514_attribute_name.lower()}={attribute.value}"
        for attribute in reversed(list(name))
    )
    return folder / "NPKI" / CA_FOLDER / "USER" / dn


def _files_match(path: Path, certificate: Certificate) -> bool:
    try:
        der = (path / "signCert.der").read_bytes()
        key = client.private_key_decrypt((path / "signPri.key").read_bytes(), DEMO_CERT_PASSWORD)
    except (OSError, PostbankError):
        return False
    public = x509.load_der_x509_certificate(bytes(certificate.der)).public_key()
    same_key = key.public_key().public_numbers() == public.public_numbers()
    return der == bytes(certificate.der) and same_key


def _usable(customer: Customer) -> Certificate | None:
    now = timezone.now()
    return (
        Certificate.objects.filter(
            customer=customer,
            cert_type=DEMO_CERT_TYPE,
            status=Certificate.Status.VALID,
            not_before__lte=now,
            not_after__gt=now,
        )
        .order_by("-issued_at")
        .first()
    )


def _issue(customer: Customer) -> tuple[Certificate, bytes]:
    key = client.key_generate()
    request = services.csr_load(client.csr_make(key).decode())
    now = timezone.now()
    not_before, not_after = profile.validity_new(now=now)
    with transaction.atomic():
        try:
            ca_ops.issuing_ca()
        except CaNotReady:
            ca_ops.ca_hierarchy_create(now=now)
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        old = services._live_for_update(customer=locked, cert_type=DEMO_CERT_TYPE, now=now)
        if old is not None:
            services._revoke_row(old, reason=Certificate.Reason.SUPERSEDED, now=now)
        certificate = services._certificate_create(
            customer=locked,
            csr=request,
            cert_type=DEMO_CERT_TYPE,
            medium=Certificate.Medium.PC,
            not_before=not_before,
            not_after=not_after,
            fee=0,  # the bank-use type is free (DOMAIN.md): no account is debited
            account=None,
            idempotency_key=f"demo-{now:%Y%m%d%H%M%S%f}",
            replaces=old,
        )
    return certificate, client.private_key_encrypt(key, DEMO_CERT_PASSWORD)


def seed(out=print, folder: Path | None = None) -> None:
    folder = Path(folder or DEMO_FOLDER)
    customer = Customer.objects.filter(user__username="demo").first()
    if customer is None:
        out("certcenter: no demo customer (run the enrollment seed first)")
        return
    certificate = _usable(customer)
    if certificate is None or not _files_match(user_folder(folder, certificate), certificate):
        certificate, encrypted_key = _issue(customer)
        path = user_folder(folder, certificate)
        path.mkdir(parents=True, exist_ok=True)
        (path / "signCert.der").write_bytes(bytes(certificate.der))
        (path / "signPri.key").write_bytes(encrypted_key)
        (path / "signPri.key").chmod(0o600)
    path = user_folder(folder, certificate)
    chain = ca_ops.chain_pem()
    (folder / "ca.pem").write_text(chain)
    expiry = kst_date(certificate.not_after)
    out(
        f"Joint certificate of the demo customer (bank use, serial {certificate.serial}, "
        f"valid until {expiry}):"
    )
    out(f"  folder   {path}")
    out(f"  files    signCert.der, signPri.key   certificate password {DEMO_CERT_PASSWORD}")
    out(f"  chain    {folder / 'ca.pem'}")
    out("  import   Certificate login > Use certificate files (hard disk or USB)")
