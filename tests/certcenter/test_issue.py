"""Issue and reissue with the full identity proof (user ID, RRN, account and its password,
security card), the fee through the ledger, and hostile CSR / DER / PEM / PKCS#8 input
answered with problem codes, never a 500, with nothing issued and no money moved."""

import base64
from datetime import UTC, datetime

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.urls import reverse

from accounts.models import JournalEntry
from certcenter import client as device
from certcenter import services
from certcenter.errors import (
    CertificateExists,
    CertificateHeld,
    CorporateForBusinessOnly,
    CorporateOnPhone,
    SmartBankingRequired,
)
from certcenter.models import Certificate, CopySession
from enrollment import identity
from enrollment.applications import smart_banking_subscribe
from enrollment.security import security_challenge_issue
from enrollment.services import WrongIdentity
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.enrollment.media import card_answer, card_for
from tests.factories import DEFAULT_PASSWORD

RRN = "9001011234568"
ISSUED = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # 10 March 2026, 10:30 KST


@pytest.fixture
def holder(bank_ca, customer):
    customer.rrn_hash = identity.rrn_hash(RRN)
    customer.rrn_encrypted = identity.rrn_encrypt(RRN)
    customer.save(update_fields=["rrn_hash", "rrn_encrypted"])
    account = AccountFactory(owner=customer, balance=10_000)
    _card, codes = card_for(customer)
    return customer, account, codes


def _proof(customer, account, codes, *, rrn=RRN, user_id=None) -> services.IdentityProof:
    challenge = security_challenge_issue(customer=customer)
    return services.IdentityProof(
        user_id=user_id or customer.user.username,
        rrn_or_business_number=rrn,
        account_number=account.number,
        account_password=ACCOUNT_PASSWORD,
        security_challenge_id=challenge.id,
        security_answer=card_answer(codes, challenge),
    )


def _issue(holder, *, cert_type="general_personal", medium="pc", key=None, idem="i-1", **proof):
    customer, account, codes = holder
    return services.certificate_issue(
        customer=customer,
        csr=device.csr_make(key or device.key_generate()).decode(),
        cert_type=cert_type,
        proof=_proof(customer, account, codes, **proof),
        idempotency_key=idem,
        medium=medium,
    )


def test_issue_debits_the_fee_in_one_balanced_entry(holder):
    _customer, account, _codes = holder
    with time_machine.travel(ISSUED, tick=False):
        certificate = _issue(holder)
    assert (certificate.cert_type, certificate.status, certificate.fee) == (
        "general_personal",
        "valid",
        4_400,
    )
    assert certificate.not_after == datetime(2027, 3, 9, 14, 59, 59, tzinfo=UTC)
    account.refresh_from_db()
    assert account.balance == 10_000 - 4_400
    entry = JournalEntry.objects.get(kind="certificate_fee")
    assert certificate.fee_entry == entry
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-4_400, 4_400]


def test_free_type_moves_no_money(holder):
    _customer, account, _codes = holder
    certificate = _issue(holder, cert_type="bank_personal")
    assert certificate.fee == 0 and certificate.fee_entry is None
    account.refresh_from_db()
    assert account.balance == 10_000
    assert not JournalEntry.objects.filter(kind="certificate_fee").exists()


@pytest.mark.parametrize(
    ("proof", "code"),
    [({"rrn": "900101-2234567"}, "wrong_identity"), ({"user_id": "someone"}, "wrong_user_id")],
)
def test_wrong_identity_refused_and_nothing_moves(holder, proof, code):
    _customer, account, _codes = holder
    with pytest.raises((WrongIdentity, services.WrongUserId)) as refused:
        _issue(holder, **proof)
    assert refused.value.code == code
    assert not Certificate.objects.exists()
    account.refresh_from_db()
    assert account.balance == 10_000


def test_second_certificate_of_a_type_on_pc_is_refused(holder):
    _issue(holder, cert_type="bank_personal")
    with pytest.raises(CertificateExists):
        _issue(holder, cert_type="bank_personal", idem="i-2")
    assert Certificate.objects.count() == 1


def _smart_banking_subscribe(holder):
    customer, _account, codes = holder
    challenge = security_challenge_issue(customer=customer)
    smart_banking_subscribe(customer=customer, challenge_id=challenge.id,
                            security_answer=card_answer(codes, challenge))


def test_only_smart_banking_subscribers_get_a_certificate_on_the_phone(holder):
    customer, account, _codes = holder
    with pytest.raises(SmartBankingRequired) as refused:
        _issue(holder, cert_type="general_personal", medium="phone")
    assert refused.value.code == "smart_banking_required"
    assert not Certificate.objects.exists()
    account.refresh_from_db()
    assert account.balance == 10_000

    _smart_banking_subscribe(holder)
    certificate = _issue(holder, cert_type="general_personal", medium="phone", idem="i-2")
    assert (certificate.status, certificate.medium, certificate.customer) == (
        "valid", "phone", customer)
    account.refresh_from_db()
    assert account.balance == 10_000 - 4_400


def test_issuing_to_the_phone_discards_the_existing_certificate(holder):
    _smart_banking_subscribe(holder)
    first = _issue(holder, cert_type="bank_personal")
    second = _issue(holder, cert_type="bank_personal", medium="phone", idem="i-2")
    first.refresh_from_db()
    assert (first.status, first.revocation_reason) == ("revoked", "superseded")
    assert (second.status, second.medium, second.replaces) == ("valid", "phone", first)


def test_corporate_certificate_not_on_the_phone(holder):
    _customer, account, _codes = holder
    with pytest.raises(CorporateOnPhone) as refused:
        _issue(holder, cert_type="general_corporate", medium="phone")
    assert refused.value.code == "corporate_not_on_phone"
    assert not Certificate.objects.exists()
    account.refresh_from_db()
    assert account.balance == 10_000


def test_reissue_is_free_keeps_the_expiry_and_supersedes(holder):
    customer, account, codes = holder
    with time_machine.travel(ISSUED, tick=False):
        old = _issue(holder)
    with time_machine.travel(datetime(2026, 9, 1, 3, 0, tzinfo=UTC), tick=False):
        new = services.certificate_reissue(
            customer=customer,
            serial=old.serial,
            csr=device.csr_make(device.key_generate()).decode(),
            proof=_proof(customer, account, codes),
            idempotency_key="renew-0001",
        )
    old.refresh_from_db()
    assert (old.status, old.revocation_reason) == ("revoked", "superseded")
    assert new.not_after == old.not_after and new.fee == 0 and new.replaces == old
    assert new.not_before == datetime(2026, 8, 31, 15, 0, tzinfo=UTC)  # 1 Sep 00:00 KST
    account.refresh_from_db()
    assert account.balance == 10_000 - 4_400


# ---------------------------------------------------------------- hostile input, via the API


def _csr_der(key, *, name=None, algorithm=None) -> bytes:
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)] if name else [])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject)
    return csr.sign(key, algorithm or hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _tampered_signature() -> str:
    der = bytearray(_csr_der(device.key_generate()))
    der[-5] ^= 0xFF  # inside the signature bit string
    return base64.b64encode(bytes(der)).decode()


HOSTILE_CSRS = [
    ("", "invalid_input"),  # the serializer: a required field
    ("@@@ not base64 @@@", "invalid_csr"),
    ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "invalid_csr"),
    (base64.b64encode(b"\x30\x80" * 200).decode(), "invalid_csr"),
    (base64.b64encode(b"\x30\x84\xff\xff\xff\xff\x02\x01\x00").decode(), "invalid_csr"),
    (base64.b64encode(b"A" * 20_000).decode(), "invalid_input"),  # over max_length
]


@pytest.fixture
def api(client, holder):
    customer, _account, _codes = holder
    assert client.login(username=customer.user.username, password=DEFAULT_PASSWORD)
    return client


def _issue_api(api, holder, csr: str):
    customer, account, codes = holder
    challenge = security_challenge_issue(customer=customer)
    return api.post(
        reverse("certcenter-api-issue"),
        {
            "user_id": customer.user.username,
            "rrn_or_business_number": RRN,
            "account_number": account.number,
            "account_password": ACCOUNT_PASSWORD,
            "security_challenge_id": challenge.id,
            "security_answer": card_answer(codes, challenge),
            "csr": csr,
            "cert_type": "general_personal",
            "idempotency_key": "api-1",
        },
        content_type="application/json",
    )


def _nothing_happened(holder):
    customer, account, _codes = holder
    account.refresh_from_db()
    customer.refresh_from_db()
    assert not Certificate.objects.exists()
    assert account.balance == 10_000
    assert customer.wrong_entries == 0


@pytest.mark.parametrize(("csr", "code"), HOSTILE_CSRS)
def test_hostile_csr_is_a_problem_not_a_500(api, holder, csr, code):
    response = _issue_api(api, holder, csr)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    _nothing_happened(holder)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (
            lambda: _csr_der(rsa.generate_private_key(public_exponent=65537, key_size=1024)),  # noqa: S505
            "key_not_rsa2048",
        ),
        (
            lambda: _csr_der(rsa.generate_private_key(public_exponent=65537, key_size=3072)),
            "key_not_rsa2048",
        ),
        (lambda: _csr_der(ec.generate_private_key(ec.SECP256R1())), "key_not_rsa2048"),
        (lambda: _csr_der(device.key_generate(), name="김철수"), "wrong_subject"),
        (lambda: None, "csr_signature_invalid"),
    ],
)
def test_csr_with_wrong_key_subject_or_signature_refused(api, holder, make, code):
    der = make()
    csr = base64.b64encode(der).decode() if der is not None else _tampered_signature()
    response = _issue_api(api, holder, csr)
    assert response.status_code == 400
    assert response.json()["code"] == code
    _nothing_happened(holder)


@pytest.mark.parametrize(
    "blob",
    [
        base64.b64encode(b"\x30\x82\x05\x00" + b"\x00" * 16).decode(),
        base64.b64encode(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n").decode(),
        base64.b64encode(b"\x30\x80" * 300).decode(),
    ],
)
def test_hostile_pkcs8_key_for_copy_is_a_problem(api, holder, blob):
    response = api.post(
        reverse("certcenter-api-copy-start"),
        {"direction": "export", "encrypted_key": blob, "certificate": blob},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_key_file"
    assert not CopySession.objects.exists()


def test_expired_certificate_no_longer_blocks_a_new_one_of_its_type(holder):
    """An expired certificate still reads `valid`; it must not answer certificate_exists."""
    _customer, account, _codes = holder
    with time_machine.travel(ISSUED, tick=False):
        first = _issue(holder, cert_type="general_personal")
    assert first.not_after == datetime(2027, 3, 9, 14, 59, 59, tzinfo=UTC)
    # One second before expiry it is still live: a second one on a PC is refused, no fee.
    last_second = datetime(2027, 3, 9, 14, 59, 58, tzinfo=UTC)
    with time_machine.travel(last_second, tick=False), pytest.raises(CertificateExists) as refused:
        _issue(holder, cert_type="general_personal", idem="i-2")
    assert refused.value.code == "certificate_exists"
    account.refresh_from_db()
    assert account.balance == 10_000 - 4_400
    assert Certificate.objects.count() == 1
    with time_machine.travel(datetime(2027, 3, 10, 1, 0, tzinfo=UTC), tick=False):
        second = _issue(holder, cert_type="general_personal", idem="i-3")
    first.refresh_from_db()
    assert (first.status, first.revocation_reason) == ("revoked", "superseded")
    assert (second.status, second.cert_type, second.fee) == ("valid", "general_personal", 4_400)
    assert second.not_after == datetime(2028, 3, 9, 14, 59, 59, tzinfo=UTC)
    account.refresh_from_db()
    assert account.balance == 10_000 - 2 * 4_400
    assert Certificate.objects.filter(status="valid").count() == 1


@pytest.mark.parametrize("customer_type", ["individual", "minor"])
def test_corporate_certificate_refused_to_a_non_business_customer(holder, customer_type):
    customer, account, _codes = holder
    account.balance = 200_000
    account.save(update_fields=["balance"])
    customer.customer_type = customer_type
    customer.save(update_fields=["customer_type"])
    with pytest.raises(CorporateForBusinessOnly) as refused:
        _issue(holder, cert_type="general_corporate")
    assert refused.value.code == "corporate_certificate_business_only"
    assert not Certificate.objects.exists()
    assert not JournalEntry.objects.filter(kind="certificate_fee").exists()
    account.refresh_from_db()
    assert account.balance == 200_000
    customer.refresh_from_db()
    assert customer.wrong_entries == 0


def test_corporate_certificate_issued_to_a_sole_proprietor_for_110000_won(holder):
    customer, account, _codes = holder
    account.balance = 200_000
    account.save(update_fields=["balance"])
    customer.customer_type = "sole_proprietor"
    customer.save(update_fields=["customer_type"])
    certificate = _issue(holder, cert_type="general_corporate")
    assert (certificate.cert_type, certificate.status, certificate.fee) == (
        "general_corporate",
        "valid",
        110_000,
    )
    account.refresh_from_db()
    assert account.balance == 200_000 - 110_000


def test_a_suspended_certificate_is_not_reissued(holder):
    """Reissuing a held certificate would hand out a valid one past the hold: refused, and
    the held one, the account and the counts stay as they were."""
    customer, account, codes = holder
    with time_machine.travel(ISSUED, tick=False):
        old = _issue(holder)
        services.certificate_hold(customer=customer, serial=old.serial)
    with time_machine.travel(datetime(2026, 9, 1, 3, 0, tzinfo=UTC), tick=False):
        with pytest.raises(CertificateHeld) as refused:
            services.certificate_reissue(
                customer=customer,
                serial=old.serial,
                csr=device.csr_make(device.key_generate()).decode(),
                proof=_proof(customer, account, codes),
                idempotency_key="renew-held",
            )
        assert refused.value.code == "certificate_held"
        old.refresh_from_db()
        assert (old.status, old.revoked_at) == ("held", None)
        assert Certificate.objects.count() == 1
        account.refresh_from_db()
        assert account.balance == 10_000 - 4_400
        # Restored, the same certificate can be reissued.
        services.certificate_restore(customer=customer, serial=old.serial)
        new = services.certificate_reissue(
            customer=customer,
            serial=old.serial,
            csr=device.csr_make(device.key_generate()).decode(),
            proof=_proof(customer, account, codes),
            idempotency_key="renew-after",
        )
    assert (new.status, new.replaces, new.not_after) == ("valid", old, old.not_after)


def test_an_expired_certificate_is_not_offered_as_live(holder):
    from certcenter.selectors import live_certificates_for_customer

    customer, _account, _codes = holder
    with time_machine.travel(ISSUED, tick=False):
        certificate = _issue(holder)
        assert list(live_certificates_for_customer(customer=customer)) == [certificate]
    with time_machine.travel(datetime(2027, 3, 9, 15, 0, tzinfo=UTC), tick=False):
        assert list(live_certificates_for_customer(customer=customer)) == []
