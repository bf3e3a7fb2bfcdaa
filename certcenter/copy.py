"""The PC/smartphone copy relay (DOMAIN.md): the receiving or sending phone shows a
12-digit number (4-4-4); the other side enters it. The relay holds only the
password-encrypted PKCS#8 key and the certificate, for 5 minutes at most, hands them out
once, and destroys the session after 5 wrong numbers.
"""

import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certcenter.errors import CopyCodeWrong, CopyExpired, NoCertificate
from certcenter.models import Certificate, CopySession
from enrollment.models import Customer
from postbank import policy
from postbank.crypto import keyed_hash
from postbank.errors import InvalidInput

PBES2_OID_DER = bytes.fromhex("06092a864886f70d01050d")
MAX_PAYLOAD = 8_192


class InvalidKeyPayload(InvalidInput):
    code = "invalid_key_file"
    title = _("Only a password-encrypted key (PKCS#8, PBES2) can be copied.")


def code_format(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def _code_clean(code: str) -> str:
    digits = "".join(ch for ch in str(code) if ch.isdigit())
    if len(digits) != 12:
        raise CopyCodeWrong()
    return digits


def _code_hash(code: str) -> str:
    return keyed_hash("certcenter-copy", code)


def _payload_check(*, customer: Customer, encrypted_key: bytes, certificate_der: bytes) -> None:
    """The key must be an EncryptedPrivateKeyInfo under PBES2, never a clear key; the
    certificate must be one of the customer's usable certificates."""
    if (
        not isinstance(encrypted_key, bytes)
        or not 0 < len(encrypted_key) <= MAX_PAYLOAD
        or encrypted_key[:1] != b"\x30"
        or PBES2_OID_DER not in encrypted_key[:24]
    ):
        raise InvalidKeyPayload()
    from certcenter.services import certificate_load, certificate_usable

    cert = certificate_load(certificate_der)
    row = (
        Certificate.objects.select_related("ca")
        .filter(customer=customer, serial=format(cert.serial_number, "x"))
        .first()
    )
    if row is None or bytes(row.der) != certificate_der:
        raise NoCertificate()
    certificate_usable(row)


def copy_start(
    *,
    customer: Customer,
    direction: str,
    encrypted_key: bytes | None = None,
    certificate_der: bytes | None = None,
) -> tuple[CopySession, str]:
    """Opens a session on the phone; returns it with the 12-digit number to show. For an
    export the phone sends the encrypted key and certificate now."""
    if direction not in CopySession.Direction.values:
        raise InvalidInput(code="invalid_direction")
    if direction == CopySession.Direction.EXPORT:
        _payload_check(
            customer=customer, encrypted_key=encrypted_key, certificate_der=certificate_der
        )
    now = timezone.now()
    for _attempt in range(5):
        code = f"{secrets.randbelow(10**12):012d}"
        try:
            with transaction.atomic():
                session = CopySession.objects.create(
                    customer=customer,
                    direction=direction,
                    code_hash=_code_hash(code),
                    encrypted_key=encrypted_key if direction == "export" else None,
                    certificate_der=certificate_der if direction == "export" else None,
                    sent_at=now if direction == "export" else None,
                    created_at=now,
                    expires_at=now + policy.CERT_COPY_TTL,
                )
        except IntegrityError:
            continue
        return session, code
    raise CopyExpired()


def _open_sessions(customer: Customer, direction: str, now: datetime):
    return (
        CopySession.objects.select_for_update()
        .filter(
            customer=customer,
            direction=direction,
            consumed_at__isnull=True,
            destroyed_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("pk")
    )


def _wipe(session: CopySession, *, field: str, now: datetime) -> None:
    session.encrypted_key = None
    session.certificate_der = None
    setattr(session, field, now)
    session.save(update_fields=["encrypted_key", "certificate_der", field, "wrong_attempts"])


def _match(*, customer: Customer, direction: str, code: str) -> CopySession:
    """The open session the number belongs to. A wrong number counts against every open
    session of the customer in that direction; the 5th destroys it. Runs in the caller's
    transaction; a refusal after counting is raised by the caller after commit."""
    now = timezone.now()
    code_hash = _code_hash(code)
    sessions = list(_open_sessions(customer, direction, now))
    for session in sessions:
        if session.code_hash == code_hash:
            return session
    for session in sessions:
        session.wrong_attempts += 1
        if session.wrong_attempts >= policy.CERT_COPY_MAX_WRONG:
            _wipe(session, field="destroyed_at", now=now)
        else:
            session.save(update_fields=["wrong_attempts"])
    return None


def copy_send(
    *, customer: Customer, code: str, encrypted_key: bytes, certificate_der: bytes
) -> CopySession:
    """Import, PC side: sends the encrypted key to the phone that shows the number."""
    digits = _code_clean(code)
    _payload_check(customer=customer, encrypted_key=encrypted_key, certificate_der=certificate_der)
    with transaction.atomic():
        session = _match(customer=customer, direction="import", code=digits)
        if session is not None:
            if session.sent_at is not None:
                raise CopyExpired()
            session.encrypted_key, session.certificate_der = encrypted_key, certificate_der
            session.sent_at = timezone.now()
            session.save(update_fields=["encrypted_key", "certificate_der", "sent_at"])
    if session is None:
        raise CopyCodeWrong()
    return session


def copy_receive_on_phone(*, customer: Customer, session_id: int) -> tuple[bytes, bytes] | None:
    """Import, phone side: the payload once it has arrived (then wiped), else None."""
    now = timezone.now()
    with transaction.atomic():
        session = (
            CopySession.objects.select_for_update()
            .filter(customer=customer, pk=session_id, direction="import")
            .first()
        )
        if (
            session is None
            or session.consumed_at
            or session.destroyed_at
            or session.expires_at <= now
        ):
            raise CopyExpired()
        if session.sent_at is None:
            return None
        payload = bytes(session.encrypted_key), bytes(session.certificate_der)
        _wipe(session, field="consumed_at", now=now)
    return payload


def copy_receive_on_pc(*, customer: Customer, code: str) -> tuple[bytes, bytes]:
    """Export, PC side: the number shown on the phone releases the payload once."""
    digits = _code_clean(code)
    now = timezone.now()
    with transaction.atomic():
        session = _match(customer=customer, direction="export", code=digits)
        payload = None
        if session is not None:
            payload = bytes(session.encrypted_key), bytes(session.certificate_der)
            _wipe(session, field="consumed_at", now=now)
    if payload is None:
        raise CopyCodeWrong()
    return payload


def copy_session_status(*, customer: Customer, session_id: int) -> str:
    session = CopySession.objects.filter(customer=customer, pk=session_id).first()
    if session is None:
        return "unknown"
    if session.destroyed_at:
        return "destroyed"
    if session.consumed_at:
        return "done"
    if session.expires_at <= timezone.now():
        return "expired"
    return "sent" if session.sent_at else "waiting"


def copy_sessions_purge(*, now: datetime | None = None) -> int:
    """Deletes expired, used and destroyed sessions with whatever they still hold."""
    now = now or timezone.now()
    deleted, _rows = CopySession.objects.filter(expires_at__lte=now).delete()
    done, _rows = CopySession.objects.filter(consumed_at__isnull=False).delete()
    gone, _rows = CopySession.objects.filter(destroyed_at__isnull=False).delete()
    return deleted + done + gone
