"""The PC/smartphone relay: 12-digit number, 5 minutes, single use, 5 wrong numbers."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from certcenter import client, copy
from certcenter.errors import CopyCodeWrong, CopyExpired
from certcenter.models import CopySession
from tests.certcenter.conftest import CERT_PASSWORD, certificate_make

START = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _at_start():
    with time_machine.travel(START, tick=False):
        yield


@pytest.fixture
def payload(bank_ca, customer):
    certificate, key = certificate_make(customer, now=START)
    return client.private_key_encrypt(key, CERT_PASSWORD), bytes(certificate.der), key


def test_import_pc_to_phone_hands_out_payload_once(customer, payload):
    encrypted, der, key = payload
    with time_machine.travel(START, tick=False):
        session, code = copy.copy_start(customer=customer, direction="import")
        assert len(code) == 12 and copy.code_format(code).count("-") == 2
        assert copy.copy_receive_on_phone(customer=customer, session_id=session.pk) is None
        copy.copy_send(
            customer=customer,
            code=copy.code_format(code),
            encrypted_key=encrypted,
            certificate_der=der,
        )
        got_key, got_cert = copy.copy_receive_on_phone(customer=customer, session_id=session.pk)
    assert (got_key, got_cert) == (encrypted, der)
    assert client.private_key_decrypt(got_key, CERT_PASSWORD).private_numbers() == (
        key.private_numbers()
    )
    session.refresh_from_db()
    assert session.encrypted_key is None and session.consumed_at is not None
    with pytest.raises(CopyExpired):
        copy.copy_receive_on_phone(customer=customer, session_id=session.pk)
    with pytest.raises(CopyCodeWrong):
        copy.copy_send(customer=customer, code=code, encrypted_key=encrypted, certificate_der=der)


def test_export_phone_to_pc_and_number_expires_after_five_minutes(customer, payload):
    encrypted, der, _key = payload
    with time_machine.travel(START, tick=False):
        _session, code = copy.copy_start(
            customer=customer, direction="export", encrypted_key=encrypted, certificate_der=der
        )
    with (
        time_machine.travel(START + timedelta(minutes=5, seconds=1), tick=False),
        pytest.raises(CopyCodeWrong),
    ):
        copy.copy_receive_on_pc(customer=customer, code=code)
    with time_machine.travel(START, tick=False):
        _session, code = copy.copy_start(
            customer=customer, direction="export", encrypted_key=encrypted, certificate_der=der
        )
    with time_machine.travel(START + timedelta(minutes=4, seconds=59), tick=False):
        assert copy.copy_receive_on_pc(customer=customer, code=code) == (encrypted, der)
        with pytest.raises(CopyCodeWrong):
            copy.copy_receive_on_pc(customer=customer, code=code)


def test_five_wrong_numbers_destroy_the_session(customer, payload):
    encrypted, der, _key = payload
    with time_machine.travel(START, tick=False):
        session, code = copy.copy_start(
            customer=customer, direction="export", encrypted_key=encrypted, certificate_der=der
        )
        wrong = f"{(int(code) + 1) % 10**12:012d}"
        for attempt in range(1, 6):
            with pytest.raises(CopyCodeWrong):
                copy.copy_receive_on_pc(customer=customer, code=wrong)
            session.refresh_from_db()
            assert session.wrong_attempts == attempt
        assert session.destroyed_at is not None and session.encrypted_key is None
        with pytest.raises(CopyCodeWrong):
            copy.copy_receive_on_pc(customer=customer, code=code)


@pytest.mark.parametrize("blob", [b"", b"not der", b"\x30\x82" + b"\x00" * 40])
def test_clear_or_garbage_key_is_not_relayed(customer, payload, blob):
    from certcenter.copy import InvalidKeyPayload

    _encrypted, der, key = payload
    with pytest.raises(InvalidKeyPayload):
        copy.copy_start(
            customer=customer, direction="export", encrypted_key=blob, certificate_der=der
        )
    from cryptography.hazmat.primitives import serialization

    clear = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidKeyPayload):
        copy.copy_start(
            customer=customer, direction="export", encrypted_key=clear, certificate_der=der
        )
    assert not CopySession.objects.exists()


def test_purge_deletes_expired_sessions_and_payloads(customer, payload):
    encrypted, der, _key = payload
    with time_machine.travel(START, tick=False):
        copy.copy_start(
            customer=customer, direction="export", encrypted_key=encrypted, certificate_der=der
        )
    with time_machine.travel(START + timedelta(minutes=2), tick=False):
        copy.copy_start(customer=customer, direction="import")
    with time_machine.travel(START + timedelta(minutes=6), tick=False):
        from certcenter.tasks import copy_sessions_purge

        assert copy_sessions_purge() == 1
        assert CopySession.objects.count() == 1
        assert copy_sessions_purge() == 0
