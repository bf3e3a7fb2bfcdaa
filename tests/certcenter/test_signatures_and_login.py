"""signature_verify and certificate login: fresh single-use nonce, the customer's own valid
certificate, refusals with problem codes."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from certcenter import client as device
from certcenter import services
from certcenter.errors import CertificateNotUsable, ChallengeInvalid, InvalidSignature
from enrollment.models import ApiToken, Customer
from enrollment.services import CustomerSuspended
from tests.certcenter.conftest import certificate_make
from tests.factories import CustomerFactory

ORDER = b'{"from":"01234500000001","to":"01234500000002","amount":50000}'


def test_signature_verify_returns_the_signing_certificate(bank_ca, customer):
    certificate, key = certificate_make(customer)
    assert (
        services.signature_verify(customer=customer, data=ORDER, signature=device.sign(key, ORDER))
        == certificate
    )


def test_signature_over_other_bytes_or_by_foreign_key_refused(bank_ca, customer):
    _certificate, key = certificate_make(customer)
    with pytest.raises(InvalidSignature):
        services.signature_verify(
            customer=customer, data=ORDER + b" ", signature=device.sign(key, ORDER)
        )
    with pytest.raises(InvalidSignature):
        services.signature_verify(
            customer=customer, data=ORDER, signature=device.sign(device.key_generate(), ORDER)
        )
    _other, other_key = certificate_make(CustomerFactory(name="김철수"))
    with pytest.raises(InvalidSignature):
        services.signature_verify(
            customer=customer, data=ORDER, signature=device.sign(other_key, ORDER)
        )


@pytest.mark.parametrize("state", ["held", "revoked", "expired"])
def test_signature_by_unusable_certificate_refused(bank_ca, customer, state):
    issued = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
    with time_machine.travel(issued, tick=False):
        certificate, key = certificate_make(customer)
        if state == "held":
            services.certificate_hold(customer=customer, serial=certificate.serial)
        elif state == "revoked":
            services.certificate_revoke(
                customer=customer, serial=certificate.serial, reason="key_compromise"
            )
    later = issued + timedelta(days=400 if state == "expired" else 1)
    with time_machine.travel(later, tick=False), pytest.raises(InvalidSignature) as refused:
        services.signature_verify(customer=customer, data=ORDER, signature=device.sign(key, ORDER))
    assert refused.value.code == "invalid_signature"


def test_certificate_login_api_gives_token_once_per_nonce(bank_ca, customer, client):
    certificate, key = certificate_make(customer)
    challenge = client.post(reverse("certcenter-api-login-challenge")).json()
    body = {
        "nonce": challenge["nonce"],
        "certificate": base64.b64encode(bytes(certificate.der)).decode(),
        "signature": base64.b64encode(device.sign(key, challenge["signed_text"].encode())).decode(),
    }
    first = client.post(reverse("certcenter-api-login"), body, content_type="application/json")
    assert first.status_code == 201
    assert ApiToken.objects.filter(user=customer.user).count() == 1
    replay = client.post(reverse("certcenter-api-login"), body, content_type="application/json")
    assert replay.status_code == 409
    assert replay.json()["code"] == "challenge_invalid"
    assert ApiToken.objects.filter(user=customer.user).count() == 1


def test_certificate_login_refuses_wrong_key_and_revoked(bank_ca, customer):
    certificate, key = certificate_make(customer)
    nonce = services.login_challenge_issue().nonce
    with pytest.raises(InvalidSignature):
        services.certificate_login(
            nonce=nonce,
            certificate=bytes(certificate.der),
            signature=device.sign(device.key_generate(), services.login_signed_bytes(nonce)),
        )
    services.certificate_revoke(
        customer=customer, serial=certificate.serial, reason="cessation_of_operation"
    )
    nonce = services.login_challenge_issue().nonce
    with pytest.raises(CertificateNotUsable):
        services.certificate_login(
            nonce=nonce,
            certificate=bytes(certificate.der),
            signature=device.sign(key, services.login_signed_bytes(nonce)),
        )


def test_expired_nonce_refused(bank_ca, customer):
    certificate, key = certificate_make(customer)
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        nonce = services.login_challenge_issue().nonce
    with (
        time_machine.travel(start + timedelta(minutes=2, seconds=1), tick=False),
        pytest.raises(ChallengeInvalid),
    ):
        services.certificate_login(
            nonce=nonce,
            certificate=bytes(certificate.der),
            signature=device.sign(key, services.login_signed_bytes(nonce)),
        )


def test_login_page_logs_the_customer_in(bank_ca, customer, client):
    certificate, key = certificate_make(customer)
    page = client.get(reverse("certcenter:login"))
    nonce = page.context["nonce"]
    response = client.post(
        reverse("certcenter:login"),
        {
            "nonce": nonce,
            "certificate": base64.b64encode(bytes(certificate.der)).decode(),
            "signature": base64.b64encode(
                device.sign(key, services.login_signed_bytes(nonce))
            ).decode(),
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("certcenter:list")).status_code == 200


@pytest.mark.parametrize(
    "blob",
    [
        "",
        "@@@",
        base64.b64encode(b"\x30\x80" * 50).decode(),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    ],
)
def test_hostile_certificate_input_is_a_problem_not_a_500(bank_ca, client, blob):
    challenge = client.post(reverse("certcenter-api-login-challenge")).json()
    response = client.post(
        reverse("certcenter-api-login"),
        {"nonce": challenge["nonce"], "certificate": blob or "x", "signature": "AAAA"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_certificate"


def _sign_check_nonce(customer) -> str:
    return services.login_challenge_issue(
        purpose=services.SIGN_CHECK_PURPOSE, customer=customer
    ).nonce


def test_sign_check_accepts_own_signature_once(bank_ca, customer):
    certificate, key = certificate_make(customer)
    nonce = _sign_check_nonce(customer)
    signature = device.sign(key, services.sign_check_bytes(nonce))
    assert (
        services.certificate_sign_check(customer=customer, nonce=nonce, signature=signature)
        == certificate
    )
    with pytest.raises(ChallengeInvalid):
        services.certificate_sign_check(customer=customer, nonce=nonce, signature=signature)


def test_sign_check_refuses_other_customers_nonce_and_wrong_key(bank_ca, customer):
    _certificate, key = certificate_make(customer)
    other = CustomerFactory(name="김철수")
    nonce = _sign_check_nonce(other)
    signature = device.sign(key, services.sign_check_bytes(nonce))
    with pytest.raises(ChallengeInvalid):
        services.certificate_sign_check(customer=customer, nonce=nonce, signature=signature)
    nonce = _sign_check_nonce(customer)
    stranger = device.sign(device.key_generate(), services.sign_check_bytes(nonce))
    with pytest.raises(InvalidSignature):
        services.certificate_sign_check(customer=customer, nonce=nonce, signature=stranger)


def test_sign_check_page_shows_the_verified_certificate(bank_ca, customer, client):
    from tests.factories import DEFAULT_PASSWORD

    certificate, key = certificate_make(customer)
    assert client.login(username=customer.user.username, password=DEFAULT_PASSWORD)
    page = client.get(reverse("certcenter:sign-check"))
    nonce = page.context["nonce"]
    assert page.context["serials"] == certificate.serial
    assert base64.b64decode(page.context["sample_b64"]) == services.sign_check_bytes(nonce)
    signature = base64.b64encode(device.sign(key, services.sign_check_bytes(nonce))).decode()
    answer = client.post(
        reverse("certcenter:sign-check"),
        {"nonce": nonce, "signature": signature, "cert_password": ""},
    )
    assert answer.context["result"] == certificate and answer.context["error"] is None
    replay = client.post(reverse("certcenter:sign-check"), {"nonce": nonce, "signature": signature})
    assert replay.context["result"] is None
    assert str(replay.context["error"]) == str(ChallengeInvalid.title)


def test_a_certificate_login_counts_as_use_for_the_dormancy_clock(bank_ca, customer):
    certificate, key = certificate_make(customer)
    long_ago = datetime(2025, 1, 2, 1, 0, tzinfo=UTC)
    Customer.objects.filter(pk=customer.pk).update(last_used_at=long_ago,
                                                   dormancy_notice_at=long_ago)
    nonce = services.login_challenge_issue().nonce
    services.certificate_login(
        nonce=nonce,
        certificate=bytes(certificate.der),
        signature=device.sign(key, services.login_signed_bytes(nonce)),
    )
    customer.refresh_from_db()
    assert customer.last_used_at > long_ago
    assert customer.dormancy_notice_at is None


def test_a_suspended_customer_cannot_log_in_with_a_certificate(bank_ca, customer):
    certificate, key = certificate_make(customer)
    long_ago = datetime(2025, 1, 2, 1, 0, tzinfo=UTC)
    Customer.objects.filter(pk=customer.pk).update(
        suspension=Customer.Suspension.WRONG_ENTRIES, last_used_at=long_ago
    )
    nonce = services.login_challenge_issue().nonce
    with pytest.raises(CustomerSuspended) as refused:
        services.certificate_login(
            nonce=nonce,
            certificate=bytes(certificate.der),
            signature=device.sign(key, services.login_signed_bytes(nonce)),
        )
    assert refused.value.extra["reason"] == "wrong_entries"
    customer.refresh_from_db()
    assert customer.last_used_at == long_ago
