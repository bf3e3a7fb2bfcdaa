import pytest
from django.db import transaction
from django.utils import timezone

from certcenter import ca as ca_ops
from certcenter import client, profile, services
from certcenter.models import Certificate
from tests.factories import CustomerFactory

CERT_PASSWORD = "Cert-pass-2026!"


@pytest.fixture
def bank_ca(db):
    _root, issuing = ca_ops.ca_hierarchy_create(now=timezone.now())
    return issuing


@pytest.fixture
def customer(db):
    return CustomerFactory(name="홍길동")


def certificate_make(
    customer, *, cert_type="bank_personal", key=None, medium="pc", now=None
) -> tuple[Certificate, object]:
    """A certificate straight from the CA (no identity checks, no fee): for tests of what
    happens after issuing."""
    key = key or client.key_generate()
    csr = services.csr_load(client.csr_make(key).decode())
    not_before, not_after = profile.validity_new(now=now or timezone.now())
    with transaction.atomic():
        certificate = services._certificate_create(
            customer=customer,
            csr=csr,
            cert_type=cert_type,
            medium=medium,
            not_before=not_before,
            not_after=not_after,
            fee=0,
            account=None,
            idempotency_key=f"test-{key.public_key().public_numbers().n % 10**12}",
            replaces=None,
        )
    return certificate, key
