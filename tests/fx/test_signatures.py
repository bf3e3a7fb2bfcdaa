"""Signed remittances, as signed transfers: the confirmation needs the customer's
joint-certificate signature over the canonical remittance order; a missing, malformed,
foreign-key, tampered, another customer's, revoked, suspended or expired signature is
refused with a problem code before any secret is checked, the remittance stays quoted and
nothing moves. The signed bytes, the signature and the signer's serial are kept as evidence
and the database refuses a confirmed remittance without them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from certcenter import client as device
from certcenter import services as certcenter
from enrollment.models import Customer
from fx.models import AnnualUsage, Remittance
from fx.services import remittance_confirm, remittance_order_bytes, remittance_quote
from postbank.errors import PostbankError
from tests.accounts.factories import ACCOUNT_PASSWORD
from tests.fx.conftest import REMIT_AT, SEPA, ledger_snapshot, signed
from tests.transfers.conftest import card_holder

pytestmark = pytest.mark.django_db

START = 200_000_000
# USD 1,000.00 SHA at TT send 1,414.35 = 1,414,350 + sending fee 10,000 + cable 5,000
TOTAL = 1_429_350
# The certificate is issued the morning before (10:00 KST), the rates are noticed at 09:00.
ISSUED = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def quote(sender, key="signed-0001") -> Remittance:
    return remittance_quote(customer=sender.customer, kind="swift",
                            from_number=sender.account.number, currency="USD",
                            amount="1000.00", sender_name="KIM HAEOE", charges="SHA",
                            idempotency_key=key, **SEPA)


def confirm(sender, remittance, signature, *, challenge=None):
    challenge_id, answer = challenge or sender.answer()
    return remittance_confirm(customer=sender.customer, remittance=remittance,
                              account_password=ACCOUNT_PASSWORD, challenge_id=challenge_id,
                              security_answer=answer, signature=signature)


def assert_refused_and_nothing_moved(sender, remittance, signature, code, before,
                                     challenge=None):
    with pytest.raises(PostbankError) as refused:
        confirm(sender, remittance, signature, challenge=challenge)
    assert refused.value.code == code
    assert refused.value.extra.get("field") == "signature"
    remittance.refresh_from_db()
    assert (remittance.status, remittance.entry_id, remittance.confirmed_at) == (
        Remittance.Status.QUOTED, None, None)
    assert (remittance.signed_order, remittance.signature,
            remittance.signer_certificate_serial) == (None, None, "")
    assert ledger_snapshot() == before
    assert not AnnualUsage.objects.filter(used_usd_cents__gt=0).exists()
    # A signature refusal is not a wrong entry.
    assert Customer.objects.get(pk=sender.customer.pk).wrong_entries == 0
    return refused.value


def test_the_signed_order_is_kept_as_evidence(sender, notice, at_remit_time):
    remittance = quote(sender)
    signature = signed(sender, remittance)
    done = confirm(sender, remittance, signature)
    done.refresh_from_db()
    assert done.status == Remittance.Status.RECEIVED
    assert bytes(done.signed_order) == remittance_order_bytes(remittance=remittance)
    assert bytes(done.signature) == signature
    assert done.signer_certificate_serial == sender.certificate.serial
    assert certcenter.signature_verify(customer=sender.customer,
                                       data=bytes(done.signed_order),
                                       signature=bytes(done.signature)) == sender.certificate
    assert done.signed_order_text.startswith('{"amount":"1,000.00"')
    sender.account.refresh_from_db()
    assert sender.account.balance == START - TOTAL


def test_missing_foreign_tampered_and_other_customers_signatures_are_refused(
        sender, notice, at_remit_time):
    remittance = quote(sender)
    sender.certify()
    before = ledger_snapshot()
    stranger = card_holder(name="남의인증서")
    stranger.certify()
    order = remittance_order_bytes(remittance=remittance)
    tampered = order.replace(b'"total_krw":1429350', b'"total_krw":1429')
    assert tampered != order
    # One security challenge for every refused try: a signature refusal does not spend it.
    challenge = sender.answer()
    for signature, code in [
        (None, "signature_required"),
        (b"", "signature_required"),
        (device.sign(device.key_generate(), order), "invalid_signature"),
        (sender.sign_bytes(tampered), "invalid_signature"),
        (stranger.sign_bytes(order), "invalid_signature"),
        (b"\x00" * 256, "invalid_signature"),
    ]:
        assert_refused_and_nothing_moved(sender, remittance, signature, code, before,
                                         challenge=challenge)
    # Signed properly, the same quote then goes through with that same challenge.
    done = confirm(sender, remittance, signed(sender, remittance), challenge=challenge)
    assert done.status == Remittance.Status.RECEIVED
    assert done.signer_certificate_serial == sender.certificate.serial
    sender.account.refresh_from_db()
    assert sender.account.balance == START - TOTAL


def test_a_customer_without_a_certificate_cannot_confirm(sender, notice, at_remit_time):
    remittance = quote(sender)
    before = ledger_snapshot()
    refused = assert_refused_and_nothing_moved(sender, remittance, None,
                                               "signature_required", before)
    assert str(refused.message) == "Sign the remittance order with your joint certificate."
    # A key the bank never certified signs nothing either.
    assert sender.certificate is None
    assert_refused_and_nothing_moved(
        sender, remittance,
        device.sign(device.key_generate(), remittance_order_bytes(remittance=remittance)),
        "invalid_signature", before)


@pytest.mark.parametrize("state", ["revoked", "held", "expired"])
def test_revoked_suspended_or_expired_certificates_cannot_sign(sender, state):
    from fx.services import rate_notice_publish
    from tests.fx.conftest import rate_rows

    with time_machine.travel(ISSUED, tick=False):
        certificate = sender.certify()
        if state == "revoked":
            certcenter.certificate_revoke(customer=sender.customer, serial=certificate.serial,
                                          reason="key_compromise")
        elif state == "held":
            certcenter.certificate_hold(customer=sender.customer, serial=certificate.serial)
    # The expired case remits 400 days later (the certificate ran for one year).
    at = REMIT_AT + timedelta(days=400 if state == "expired" else 0)
    rate_notice_publish(rows=rate_rows(), source="counter", noticed_at=at - timedelta(minutes=5))
    with time_machine.travel(at, tick=False):
        remittance = quote(sender, key=f"signed-{state}")
        before = ledger_snapshot()
        refused = assert_refused_and_nothing_moved(sender, remittance,
                                                   signed(sender, remittance),
                                                   "invalid_signature", before)
    # The certificate's stored status; an expired one is still "valid", past its not_after.
    assert refused.extra["certificate_status"] == {
        "revoked": "revoked", "held": "held", "expired": "valid"}[state]


def test_the_database_refuses_a_confirmed_remittance_without_its_signature(
        sender, notice, at_remit_time):
    remittance = quote(sender)
    done = confirm(sender, remittance, signed(sender, remittance))
    assert done.moved_money
    for change in ({"signature": None}, {"signed_order": None},
                   {"signer_certificate_serial": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Remittance.objects.filter(pk=done.pk).update(**change)
    done.refresh_from_db()
    assert done.signer_certificate_serial == sender.certificate.serial
    assert done.signature is not None and done.signed_order is not None
    # A quote that moved no money carries no signature.
    other = quote(sender, key="signed-0002")
    assert (other.entry_id, other.signature, other.signed_order) == (None, None, None)
