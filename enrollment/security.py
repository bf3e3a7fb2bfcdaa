"""Security media: the security card challenge and the OTP check.

A card challenge asks for the first two digits of one code and the last two digits of
another, never more; it is kept on the server, answered once, within
policy.SECURITY_CHALLENGE_TTL. Every wrong answer counts as a wrong entry (committed even when
the request is refused); a right one ends the run of wrong entries.
"""

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import CardChallenge, Customer, MediumStatus, OtpDevice, SecurityCard
from enrollment.services import customer_ensure_active, wrong_entries_reset, wrong_entry_record
from postbank import crypto, policy, rawsql
from postbank.audit import audit_record
from postbank.errors import InvalidInput, Refused

CARD_HASH_PURPOSE = "security-card-half"
OTP_SECRET_PURPOSE = "otp-secret"  # noqa: S105  (an HKDF label, not a secret)


class WrongSecurityCode(Refused):
    code = "wrong_security_code"
    title = _("The security code is not correct.")


class SecurityMediumUnavailable(Refused):
    code = "security_medium_unavailable"
    title = _(
        "No security medium is in use. Report a loss or ask for a new medium at a post "
        "office counter."
    )


class SecurityChallengeExpired(Refused):
    code = "security_challenge_expired"
    title = _(
        "The security card challenge has expired or was already answered. Try again "
        "with the new challenge."
    )


@dataclass(frozen=True)
class SecurityChallenge:
    """What a page or the API shows: for a card, the challenge id and the two code numbers
    (1-35); for an OTP, nothing but the kind."""

    kind: str  # "security_card" | "otp"
    id: str | None = None
    first_index: int | None = None
    second_index: int | None = None

    @property
    def challenge_id(self) -> str | None:
        return self.id


def card_half_hash(*, serial: str, index: int, half: str, digits: str) -> str:
    return crypto.keyed_hash(CARD_HASH_PURPOSE, f"{serial}:{index}:{half}:{digits}")


def _new_serial(model) -> str:
    while True:
        serial = f"{secrets.randbelow(10**10):010d}"
        if not model.objects.filter(serial=serial).exists():
            return serial


def security_card_issue(
    *, customer: Customer, actor=None, channel: str = "counter", codes: list[str] | None = None
) -> tuple[SecurityCard, list[str]]:
    """Issues a new card (an active one is replaced) and returns it with its 35 codes, which
    exist in clear only for printing the card now. Call inside the counter's transaction.
    `codes` is for the demo's published card only; the counter always draws random ones."""
    if codes is None:
        codes = [f"{secrets.randbelow(10_000):04d}" for _ in range(policy.SECURITY_CARD_CODES)]
    elif len(codes) != policy.SECURITY_CARD_CODES or not all(
        len(c) == 4 and c.isascii() and c.isdigit() for c in codes
    ):
        raise InvalidInput(code="invalid_card_codes")
    now = timezone.now()
    with transaction.atomic():
        SecurityCard.objects.filter(customer=customer, status=MediumStatus.ACTIVE).update(
            status=MediumStatus.REPLACED, stopped_at=now
        )
        serial = _new_serial(SecurityCard)
        hashes = [
            [
                card_half_hash(serial=serial, index=i, half="first", digits=code[:2]),
                card_half_hash(serial=serial, index=i, half="last", digits=code[2:]),
            ]
            for i, code in enumerate(codes, start=1)
        ]
        card = SecurityCard.objects.create(
            customer=customer, serial=serial, half_hashes=hashes, issued_at=now
        )
        audit_record(
            event="medium_issued",
            actor=actor,
            subject=f"customer:{customer.pk}",
            channel=channel,
            detail={"medium": "security_card", "serial": serial},
        )
    return card, codes


def otp_issue(*, customer: Customer, actor=None, channel: str = "counter") -> tuple[OtpDevice, str]:
    """Issues a new OTP (an active one is replaced); returns it with its base32 secret, shown
    only now as a provisioning QR code for a phone authenticator."""
    secret = pyotp.random_base32()
    now = timezone.now()
    with transaction.atomic():
        OtpDevice.objects.filter(customer=customer, status=MediumStatus.ACTIVE).update(
            status=MediumStatus.REPLACED, stopped_at=now
        )
        device = OtpDevice.objects.create(
            customer=customer,
            serial=_new_serial(OtpDevice),
            secret_encrypted=crypto.encrypt(OTP_SECRET_PURPOSE, secret),
            issued_at=now,
        )
        audit_record(
            event="medium_issued",
            actor=actor,
            subject=f"customer:{customer.pk}",
            channel=channel,
            detail={"medium": "otp", "serial": device.serial},
        )
    return device, secret


def otp_totp(*, device: OtpDevice) -> pyotp.TOTP:
    return pyotp.TOTP(
        crypto.decrypt(OTP_SECRET_PURPOSE, device.secret_encrypted),
        digits=policy.OTP_DIGITS,
        interval=policy.OTP_STEP_SECONDS,
    )


def otp_provisioning_uri(*, device: OtpDevice, account_name: str) -> str:
    return otp_totp(device=device).provisioning_uri(name=account_name, issuer_name="Postbank")


def _active_otp(customer: Customer) -> OtpDevice | None:
    return rawsql.select_one(
        f"SELECT {rawsql.columns(OtpDevice, 'o')} FROM {rawsql.table(OtpDevice)} o "  # noqa: S608
        "WHERE o.customer_id = %s AND o.status = %s",
        [customer.pk, MediumStatus.ACTIVE],
        OtpDevice,
    )


def security_card_matches(*, card: SecurityCard, codes: list[str]) -> bool:
    """True when `codes` are this card's codes (the demo re-prints its known card)."""
    return len(codes) == len(card.half_hashes) and all(
        crypto.keyed_hash_matches(
            CARD_HASH_PURPOSE, f"{card.serial}:{i}:first:{code[:2]}", card.half_hashes[i - 1][0]
        )
        and crypto.keyed_hash_matches(
            CARD_HASH_PURPOSE, f"{card.serial}:{i}:last:{code[2:]}", card.half_hashes[i - 1][1]
        )
        for i, code in enumerate(codes, start=1)
    )


def _active_card(customer: Customer) -> SecurityCard | None:
    return rawsql.select_one(
        f"SELECT {rawsql.columns(SecurityCard, 's')} FROM {rawsql.table(SecurityCard)} s "  # noqa: S608
        "WHERE s.customer_id = %s AND s.status = %s",
        [customer.pk, MediumStatus.ACTIVE],
        SecurityCard,
    )


DORMANCY_LIFT = "dormancy_lift"


def _ensure_may_answer(*, customer: Customer, purpose: str | None) -> None:
    """A suspended customer answers no challenge, except a dormant one lifting the dormancy
    online (the certificate center asks with purpose=DORMANCY_LIFT after the certificate
    check). Any other suspension stays refused, whatever the purpose."""
    if purpose is not None and purpose != DORMANCY_LIFT:
        raise ValueError(f"unknown security challenge purpose {purpose!r}")
    if purpose == DORMANCY_LIFT and customer.suspension == Customer.Suspension.DORMANT:
        return
    customer_ensure_active(customer=customer)


def security_challenge_issue(
    *, customer: Customer, purpose: str | None = None
) -> SecurityChallenge:
    """The challenge for the customer's medium: OTP when there is one (grade safe), else a
    card challenge.
    At most one card challenge per card is open: issuing one closes the previous open one
    (answering it is then refused as expired), whatever page or purpose asked for it. The
    code numbers only change once a challenge was answered (right or wrong, which counts):
    until then a new challenge asks the same two numbers again, even after the previous one
    expired. So reloading a page cannot fish for a pair of numbers whose answer someone saw;
    every new pair costs an answer, and wrong answers suspend after five. A confirmation
    under way is waited for (CardChallenge.objects.issue)."""
    _ensure_may_answer(customer=customer, purpose=purpose)
    challenge_id = uuid.uuid4()
    first, second = secrets.SystemRandom().sample(range(1, policy.SECURITY_CARD_CODES + 1), 2)
    issued = CardChallenge.objects.issue(customer_id=customer.pk, challenge_id=challenge_id,
                                         pair=(first, second), now=timezone.now())
    if issued is not None:
        first, second = issued
        return SecurityChallenge(
            kind="security_card", id=str(challenge_id), first_index=first, second_index=second
        )
    if _active_otp(customer) is not None:
        return SecurityChallenge(kind="otp")
    raise SecurityMediumUnavailable()


def _wrong(customer: Customer, kind: str, channel: str) -> WrongSecurityCode:
    count = wrong_entry_record(customer=customer, kind=kind, channel=channel)
    return WrongSecurityCode(count=count)


def security_answer_verify(
    *,
    customer: Customer,
    challenge_id: str | None,
    answer: str,
    channel: str = "web",
    purpose: str | None = None,
) -> None:
    """Checks the answer to the customer's challenge (OTP: the current 6-digit code; card:
    the 4 digits asked). A wrong answer is counted (enrollment.services.wrong_entry_record)
    before WrongSecurityCode is raised, also while dormant: the 5th turns the suspension into
    one for wrong entries, which only a teller lifts. Inside a transaction, the caller commits
    the count with its refusal (postbank.orders.order_confirm)."""
    _ensure_may_answer(customer=customer, purpose=purpose)
    answer = (answer or "").strip()
    four_digits = answer.isascii() and answer.isdigit() and len(answer) == 4
    try:
        pk = uuid.UUID(str(challenge_id))
    except ValueError:
        pk = None
    if four_digits and pk is not None:
        taken = CardChallenge.objects.take(customer_id=customer.pk, challenge_id=pk,
                                           now=timezone.now())
        if taken is not None:
            first_index, second_index, serial, hashes = taken
            _card_answer_check(customer=customer, serial=serial, hashes=hashes,
                               asked=(first_index, second_index), answer=answer,
                               channel=channel)
            return
    # Not the answer to an open challenge of the card in use: which medium, and why not.
    otp = _active_otp(customer)
    if otp is not None:
        if not (answer.isascii() and answer.isdigit() and len(answer) == policy.OTP_DIGITS):
            raise InvalidInput(_("Enter the 6-digit OTP code."), code="invalid_security_code")
        _otp_check(customer=customer, device=otp, code=answer, channel=channel)
        return
    if _active_card(customer) is None:
        raise SecurityMediumUnavailable()
    if not four_digits:
        raise InvalidInput(
            _("Enter 4 digits: two from each code asked."), code="invalid_security_code"
        )
    raise SecurityChallengeExpired()


def _card_answer_check(*, customer: Customer, serial: str, hashes, asked: tuple[int, int],
                       answer: str, channel: str) -> None:
    if isinstance(hashes, str):  # jsonb comes back as text (Django's psycopg2 setting)
        hashes = json.loads(hashes)
    first_index, second_index = asked
    first_ok = crypto.keyed_hash_matches(
        CARD_HASH_PURPOSE, f"{serial}:{first_index}:first:{answer[:2]}",
        hashes[first_index - 1][0],
    )
    last_ok = crypto.keyed_hash_matches(
        CARD_HASH_PURPOSE, f"{serial}:{second_index}:last:{answer[2:]}",
        hashes[second_index - 1][1],
    )
    if not (first_ok and last_ok):
        raise _wrong(customer, "security_card", channel)
    wrong_entries_reset(customer=customer, kind="security_card")


def _otp_check(*, customer: Customer, device: OtpDevice, code: str, channel: str) -> None:
    totp = otp_totp(device=device)
    now = timezone.now()
    # One step of clock drift either way; each step's code is accepted once.
    for offset in (0, -1, 1):
        at = now + timedelta(seconds=offset * policy.OTP_STEP_SECONDS)
        if secrets.compare_digest(totp.at(at), code):
            step = totp.timecode(at)
            if OtpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step):
                wrong_entries_reset(customer=customer, kind="otp")
                return
            break
    raise _wrong(customer, "otp", channel)


class NoSuchMedium(Refused):
    code = "no_such_medium"
    title = _("There is no medium of this kind in use to report.")


LOST_MEDIA = ("security_card", "otp", "certificate")


def medium_report_lost(*, customer: Customer, medium: str, channel: str, actor=None) -> None:
    """A loss report (online, by phone to a teller, at the counter): the medium stops at once,
    the customer gets an SMS, and `medium_lost` tells the certificate center (which revokes
    certificates for key compromise) in the same transaction."""
    from enrollment.services import notification_send
    from enrollment.signals import medium_lost

    if medium not in LOST_MEDIA:
        raise InvalidInput(code="invalid_medium")
    now = timezone.now()
    with transaction.atomic():
        model = {"security_card": SecurityCard, "otp": OtpDevice}.get(medium)
        serial = ""
        if model is not None:
            found = (
                model.objects.select_for_update()
                .filter(customer=customer, status=MediumStatus.ACTIVE)
                .first()
            )
            if found is None:
                raise NoSuchMedium()
            model.objects.filter(pk=found.pk).update(status=MediumStatus.LOST, stopped_at=now)
            serial = found.serial
        audit_record(
            event="medium_lost",
            actor=actor or customer.user,
            subject=f"customer:{customer.pk}",
            channel=channel,
            detail={"medium": medium, "serial": serial},
        )
        notification_send(
            customer=customer,
            kind="loss_report",
            text=_(
                "Postbank: your loss report was received and the medium was stopped. Ask "
                "for a new one at a post office counter."
            ),
        )
        medium_lost.send(sender=Customer, customer=customer, medium=medium)
