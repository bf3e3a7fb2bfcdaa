"""Other institutions' certificates (path to a trusted root, Korean policy, proof of
possession) and the pre-consent devices."""

import base64
from datetime import timedelta

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from django.urls import reverse
from rest_framework.test import APIClient

from certcenter import client as device
from certcenter import devices, foreign, services
from certcenter.errors import (
    CertificateNotUsable,
    ExtraVerificationNeeded,
    InvalidSignature,
    LastDeviceAtCounter,
    PolicyNotAccepted,
    UnknownIssuer,
)
from certcenter.models import DesignatedDevice, ForeignCertificate
from postbank.models import AuditEvent
from tests.certcenter.other_bank import OtherBankCa, registered_certificate
from tests.factories import DEFAULT_PASSWORD, CustomerFactory


def _der(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _register(customer, leaf, key, intermediates, *, sign_bytes=None):
    nonce = services.login_challenge_issue(purpose=foreign.FOREIGN_PURPOSE, customer=customer).nonce
    return foreign.foreign_certificate_register(
        customer=customer,
        certificate=_der(leaf),
        intermediates=[_der(c) for c in intermediates],
        nonce=nonce,
        signature=device.sign(key, sign_bytes or foreign.foreign_signed_bytes(nonce)),
    )


def test_other_bank_certificate_registered_after_path_policy_and_possession(db, customer):
    other = OtherBankCa()
    other.trust()
    leaf, key = other.leaf()
    registered = _register(customer, leaf, key, [other.sub])
    assert registered.policy_oid == "1.2.410.200005.1.1.4"
    assert ForeignCertificate.objects.filter(customer=customer).count() == 1


def test_unknown_root_refused(db, customer):
    trusted, untrusted = OtherBankCa(), OtherBankCa()
    trusted.trust()
    leaf, key = untrusted.leaf()
    with pytest.raises(UnknownIssuer):
        _register(customer, leaf, key, [untrusted.sub])
    leaf, key = trusted.leaf()
    with pytest.raises(UnknownIssuer):  # the intermediate is missing
        _register(customer, leaf, key, [])
    assert not ForeignCertificate.objects.exists()


@pytest.mark.parametrize("policy", ["", "1.2.410.200005.1.1.5", "2.5.29.32.0"])
def test_non_personal_policy_refused(db, customer, policy):
    other = OtherBankCa()
    other.trust()
    leaf, key = other.leaf(policy=policy)
    with pytest.raises(PolicyNotAccepted):
        _register(customer, leaf, key, [other.sub])


def test_proof_of_possession_required(db, customer):
    from certcenter.errors import InvalidSignature

    other = OtherBankCa()
    other.trust()
    leaf, _key = other.leaf()
    with pytest.raises(InvalidSignature):
        _register(customer, leaf, device.key_generate(), [other.sub])
    assert not ForeignCertificate.objects.exists()


def test_register_api_needs_designated_device_or_sms(client, customer):
    other = OtherBankCa()
    other.trust()
    leaf, key = other.leaf()
    client.login(username=customer.user.username, password=DEFAULT_PASSWORD)
    challenge = client.post(reverse("certcenter-api-foreign-challenge")).json()
    body = {
        "certificate": base64.b64encode(_der(leaf)).decode(),
        "intermediates": [base64.b64encode(_der(other.sub)).decode()],
        "nonce": challenge["nonce"],
        "signature": base64.b64encode(device.sign(key, challenge["signed_text"].encode())).decode(),
    }
    refused = client.post(reverse("certcenter-api-foreign"), body, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "extra_verification_needed"
    token = devices.device_token_new()
    DesignatedDevice.objects.create(
        customer=customer, label="PC", device_hash=devices._device_hash(token)
    )
    client.cookies[devices.DEVICE_COOKIE] = token
    accepted = client.post(reverse("certcenter-api-foreign"), body, content_type="application/json")
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["policy_oid"] == "1.2.410.200005.1.1.4"


def test_last_designated_device_only_at_counter(db, customer):
    first = DesignatedDevice.objects.create(customer=customer, label="PC", device_hash="a" * 64)
    second = DesignatedDevice.objects.create(customer=customer, label="Phone", device_hash="b" * 64)
    devices.device_remove(customer=customer, device_id=second.pk)
    with pytest.raises(LastDeviceAtCounter):
        devices.device_remove(customer=customer, device_id=first.pk)
    assert DesignatedDevice.objects.filter(customer=customer).count() == 1


def test_extra_verification_without_device_or_code_refused(db, customer):
    with pytest.raises(ExtraVerificationNeeded):
        devices.extra_verification(
            customer=customer, device_token="nope", sms_code="", purpose="reissue"
        )
    with pytest.raises(ExtraVerificationNeeded):
        devices.extra_verification(
            customer=customer, device_token=None, sms_code="123456", purpose="reissue"
        )


# ------------------------------------------------- using a registered certificate here


def _login(leaf, key):
    nonce = services.login_challenge_issue().nonce
    signature = device.sign(key, services.login_signed_bytes(nonce))
    return services.certificate_login(nonce=nonce, certificate=_der(leaf), signature=signature)


def test_a_registered_certificate_logs_in_and_signs_orders(db, customer):
    leaf, key, registered = registered_certificate(customer)

    logged_in = _login(leaf, key)
    assert (logged_in, logged_in.customer) == (registered, customer)
    assert AuditEvent.objects.filter(
        event="certificate_login", subject=f"foreign:{registered.serial}"
    ).exists()

    order = b"postbank-transfer-order:example"
    assert services.order_signature_verify(
        customer=customer, order=order, signature=device.sign(key, order)
    ) == registered.serial
    with pytest.raises(InvalidSignature):
        services.order_signature_verify(
            customer=customer, order=order + b"!", signature=device.sign(key, order)
        )
    someone_else = CustomerFactory(name="임꺽정")
    with pytest.raises(InvalidSignature):
        services.order_signature_verify(
            customer=someone_else, order=order, signature=device.sign(key, order)
        )


def test_an_unregistered_certificate_of_another_bank_cannot_log_in(db, customer):
    other = OtherBankCa()
    other.trust()
    leaf, key = other.leaf()
    with pytest.raises(UnknownIssuer):
        _login(leaf, key)
    assert not AuditEvent.objects.filter(event="certificate_login").exists()


def test_a_registered_certificate_stops_working_when_it_expires(db, customer):
    leaf, key, registered = registered_certificate(customer, days=30)
    order = b"postbank-transfer-order:example"
    with time_machine.travel(registered.not_after + timedelta(seconds=1), tick=False):
        with pytest.raises(CertificateNotUsable):
            _login(leaf, key)
        with pytest.raises(InvalidSignature):
            services.order_signature_verify(
                customer=customer, order=order, signature=device.sign(key, order)
            )


def test_the_login_api_answers_a_token_for_a_registered_certificate(db, customer):
    leaf, key, registered = registered_certificate(customer)
    api = APIClient()
    nonce = api.post(reverse("certcenter-api-login-challenge")).json()["nonce"]
    answer = api.post(
        reverse("certcenter-api-login"),
        {
            "nonce": nonce,
            "certificate": base64.b64encode(_der(leaf)).decode(),
            "signature": base64.b64encode(
                device.sign(key, services.login_signed_bytes(nonce))
            ).decode(),
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["serial"] == registered.serial
    me = APIClient(HTTP_AUTHORIZATION=f"Bearer {answer.json()['token']}")
    assert me.get(reverse("api-me")).json()["user_id"] == customer.user.username
