"""Signed transfers: the confirm step needs the customer's joint-certificate signature over
the canonical order; a missing, foreign, tampered, revoked, suspended or expired signature is
refused with a problem code, the transfer stays prepared and nothing moves."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError
from rest_framework.test import APIClient

from accounts.models import Account, JournalEntry
from certcenter import client as device
from certcenter import services as certcenter
from enrollment.models import Customer
from enrollment.services import api_token_issue
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.certcenter.other_bank import registered_certificate
from tests.transfers.conftest import card_holder, ledger_snapshot
from transfers.models import Transfer
from transfers.services import (
    transfer_execute,
    transfer_order_bytes,
    transfer_post,
    transfer_prepare,
)

pytestmark = pytest.mark.django_db
ISSUED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 KST


@pytest.fixture
def sender():
    holder = card_holder(name="서명자")
    holder.account = AccountFactory(owner=holder.customer, balance=200_000)
    return holder


@pytest.fixture
def target():
    return AccountFactory(balance=0)


def prepare(holder, target, amount=50_000):
    return transfer_prepare(
        customer=holder.customer,
        from_number=holder.account.number,
        bank_code="071",
        account_number=target.number,
        amount=amount,
    )


def confirm(holder, transfer, signature):
    challenge_id, answer = holder.answer()
    return transfer_execute(
        customer=holder.customer,
        transfer_id=transfer.public_id,
        account_password=ACCOUNT_PASSWORD,
        challenge_id=challenge_id,
        security_answer=answer,
        signature=signature,
    )


def assert_refused_and_nothing_moved(holder, transfer, signature, code, before):
    with pytest.raises(Exception) as refused:
        confirm(holder, transfer, signature)
    assert getattr(refused.value, "code", None) == code
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PREPARED
    assert (transfer.signature, transfer.signer_certificate_serial) == (None, "")
    assert ledger_snapshot() == before
    # A signature refusal is not a wrong entry and does not spend the security challenge.
    assert Customer.objects.get(pk=holder.customer.pk).wrong_entries == 0


def test_the_signed_order_is_kept_as_evidence(sender, target):
    transfer = prepare(sender, target)
    signature = sender.sign(transfer)
    done = confirm(sender, transfer, signature)
    done.refresh_from_db()
    assert done.status == Transfer.Status.COMPLETED
    assert bytes(done.signed_order) == transfer_order_bytes(transfer=transfer)
    assert bytes(done.signature) == signature
    assert done.signer_certificate_serial == sender.certificate.serial
    assert (
        certcenter.signature_verify(
            customer=sender.customer, data=bytes(done.signed_order), signature=bytes(done.signature)
        )
        == sender.certificate
    )
    assert Account.objects.get(pk=target.pk).balance == 50_000
    assert Account.objects.get(pk=sender.account.pk).balance == 150_000


def test_an_order_signed_with_a_registered_certificate_of_another_bank_moves_money(
    sender, target
):
    _leaf, key, registered = registered_certificate(sender.customer)
    transfer = prepare(sender, target)
    done = confirm(sender, transfer, device.sign(key, transfer_order_bytes(transfer=transfer)))
    done.refresh_from_db()
    assert done.status == Transfer.Status.COMPLETED
    assert done.signer_certificate_serial == registered.serial
    assert Account.objects.get(pk=target.pk).balance == 50_000


def test_missing_foreign_tampered_and_other_customers_signatures_are_refused(sender, target):
    transfer = prepare(sender, target)
    sender.certify()
    before = ledger_snapshot()
    stranger = card_holder(name="남의인증서")
    stranger.certify()
    tampered = transfer_order_bytes(transfer=transfer).replace(b"50000", b"5000")
    for signature, code in [
        (None, "signature_required"),
        (b"", "signature_required"),
        (
            device.sign(device.key_generate(), transfer_order_bytes(transfer=transfer)),
            "invalid_signature",
        ),
        (sender.sign_bytes(tampered), "invalid_signature"),
        (stranger.sign(transfer), "invalid_signature"),
        (b"\x00" * 256, "invalid_signature"),
    ]:
        assert_refused_and_nothing_moved(sender, transfer, signature, code, before)
    # Signed properly, the same prepared transfer then goes through.
    assert confirm(sender, transfer, sender.sign(transfer)).status == Transfer.Status.COMPLETED


@pytest.mark.parametrize("state", ["revoked", "held", "expired"])
def test_revoked_suspended_or_expired_certificates_cannot_sign(sender, target, state):
    with time_machine.travel(ISSUED, tick=False):
        certificate = sender.certify()
        if state == "revoked":
            certcenter.certificate_revoke(
                customer=sender.customer, serial=certificate.serial, reason="key_compromise"
            )
        elif state == "held":
            certcenter.certificate_hold(customer=sender.customer, serial=certificate.serial)
    later = ISSUED + timedelta(days=400 if state == "expired" else 1)
    with time_machine.travel(later, tick=False):
        transfer = prepare(sender, target)
        before = ledger_snapshot()
        assert_refused_and_nothing_moved(
            sender, transfer, sender.sign(transfer), "invalid_signature", before
        )


def test_the_database_refuses_money_moved_without_a_signature(sender, target):
    transfer = prepare(sender, target)
    before = ledger_snapshot()
    with pytest.raises(IntegrityError):
        transfer_post(
            transfer_id=transfer.pk, signed_order=None, signature=None, signer_certificate_serial=""
        )
    assert ledger_snapshot() == before


def test_api_confirm_answers_signature_problems_with_codes(sender, target):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer " + api_token_issue(user=sender.customer.user))
    prepared = api.post(
        "/api/v1/transfers/",
        {
            "from_account": sender.account.number,
            "bank_code": "071",
            "account_number": target.number,
            "amount": 70_000,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="signed-api-0001",
    ).json()
    sender.certify()
    before = ledger_snapshot()
    url = f"/api/v1/transfers/{prepared['id']}/confirm/"

    def post(signature):
        challenge = api.post(f"/api/v1/transfers/{prepared['id']}/challenge/").json()
        answer = (
            sender.codes[challenge["first_index"] - 1][:2]
            + sender.codes[challenge["second_index"] - 1][2:]
        )
        body = {
            "account_password": ACCOUNT_PASSWORD,
            "challenge_id": challenge["challenge_id"],
            "security_answer": answer,
        }
        if signature is not None:
            body["signature"] = signature
        return api.post(url, body, format="json")

    forged = base64.b64encode(device.sign(device.key_generate(), b"anything")).decode()
    for signature, status, code in [
        (None, 400, "signature_required"),
        ("not base64!", 400, "invalid_signature_encoding"),
        (forged, 409, "invalid_signature"),
    ]:
        response = post(signature)
        assert response["Content-Type"] == "application/problem+json"
        assert (response.status_code, response.json()["code"]) == (status, code)
        assert response.json()["status"] == status
        assert ledger_snapshot() == before
    certcenter.certificate_hold(customer=sender.customer, serial=sender.certificate.serial)
    held = post(sender.sign_base64(prepared["order"])).json()
    assert (held["status"], held["code"], held["certificate_status"]) == (
        409,
        "invalid_signature",
        "held",
    )
    assert ledger_snapshot() == before
    certcenter.certificate_restore(customer=sender.customer, serial=sender.certificate.serial)
    assert Transfer.objects.get(public_id=prepared["id"]).status == Transfer.Status.PREPARED
    done = post(sender.sign_base64(prepared["order"]))
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert done.json()["signer_certificate_serial"] == sender.certificate.serial
    assert JournalEntry.objects.filter(kind="transfer_postoffice").count() == 1
    assert Account.objects.get(pk=target.pk).balance == 70_000
