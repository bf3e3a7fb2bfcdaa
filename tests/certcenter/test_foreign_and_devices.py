"""Other institutions' certificates (path to a trusted root, Korean policy, proof of
possession) and the pre-consent devices."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from django.urls import reverse

from certcenter import client as device
from certcenter import devices, foreign, services
from certcenter.errors import (
    ExtraVerificationNeeded,
    LastDeviceAtCounter,
    PolicyNotAccepted,
    UnknownIssuer,
)
from certcenter.models import DesignatedDevice, ForeignCertificate
from tests.certcenter.other_bank import OtherBankCa
from tests.factories import DEFAULT_PASSWORD


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
