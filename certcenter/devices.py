"""Fraud prevention (DOMAIN.md): reissuing a certificate and registering another
institution's certificate need a designated device (the pre-consent, up to 5 PCs or
phones) or a one-time code sent by SMS through enrollment's notification outbox.

A device is a random token in a long-lived HttpOnly cookie; the bank keeps only its keyed
hash. SMS codes live in PostgreSQL (SmsCode) as keyed hashes for 5 minutes, single use, and
are destroyed after 5 wrong entries.
"""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certcenter.errors import DeviceLimit, ExtraVerificationNeeded, LastDeviceAtCounter
from certcenter.models import DesignatedDevice, SmsCode
from enrollment.counter import id_check_record
from enrollment.models import Customer, IdCheck, User
from postbank import policy
from postbank.audit import audit_record
from postbank.crypto import keyed_hash, keyed_hash_matches
from postbank.errors import NotFound, Refused

DEVICE_COOKIE = "pb_device"
DEVICE_COOKIE_AGE = 5 * 365 * 24 * 3600


def device_token_new() -> str:
    return secrets.token_urlsafe(32)


def _device_hash(token: str) -> str:
    return keyed_hash("certcenter-device", token)


def device_is_designated(*, customer: Customer, token: str | None) -> bool:
    return (
        bool(token)
        and DesignatedDevice.objects.filter(
            customer=customer, device_hash=_device_hash(token)
        ).exists()
    )


def _sms_hash(customer: Customer, purpose: str, code: str) -> str:
    return keyed_hash("certcenter-sms", f"{customer.pk}:{purpose}:{code}")


def sms_code_send(*, customer: Customer, purpose: str) -> None:
    """Sends a new 6-digit code (replacing an earlier one of the purpose); only its keyed
    hash is kept (SmsCode)."""
    from enrollment.services import notification_send

    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        SmsCode.objects.update_or_create(
            customer=customer, purpose=purpose,
            defaults={"code_hash": _sms_hash(customer, purpose, code), "tries": 0,
                      "expires_at": timezone.now() + policy.SMS_CODE_TTL})
        # The phone gets the code; the counter's outbox screen shows it masked.
        notification_send(
            customer=customer,
            kind="certificate_code",
            text=_("Postbank certificate center verification code: %(code)s") % {"code": code},
        )


def sms_code_verify(*, customer: Customer, purpose: str, code: str) -> bool:
    """True once for the right code; at most policy.SMS_CODE_MAX_TRIES tries, then it is
    destroyed.

    Each try first takes a number by incrementing the row's count (UPDATE ... RETURNING: the
    row lock serialises concurrent guesses), so they cannot share a count: the sixth try is
    refused even if it is right, and the code is single use because only one caller's DELETE
    finds the row. Inside a confirmation's transaction the count commits with its refusal
    (postbank.orders)."""
    if not code:
        return False
    codes = SmsCode.objects.filter(customer=customer, purpose=purpose)
    taken = SmsCode.objects.try_count(customer_id=customer.pk, purpose=purpose,
                                      now=timezone.now())
    if taken is None:
        codes.delete()  # expired (or none)
        return False
    pk, tries, stored = taken
    if tries > policy.SMS_CODE_MAX_TRIES:
        codes.delete()
        return False
    if keyed_hash_matches("certcenter-sms", f"{customer.pk}:{purpose}:{code.strip()}", stored):
        return bool(SmsCode.objects.filter(pk=pk, tries=tries).delete()[0])
    if tries >= policy.SMS_CODE_MAX_TRIES:
        codes.delete()
    return False


def extra_verification(
    *, customer: Customer, device_token: str | None, sms_code: str, purpose: str
) -> str:
    """Returns how the customer passed ("device" or "sms"), or refuses."""
    if device_is_designated(customer=customer, token=device_token):
        return "device"
    if sms_code and sms_code_verify(customer=customer, purpose=purpose, code=sms_code):
        return "sms"
    raise ExtraVerificationNeeded()


def device_designate(
    *, customer: Customer, token: str, label: str, sms_code: str
) -> DesignatedDevice:
    """Designating a device always takes the SMS code (a stolen session alone must not
    designate the thief's PC)."""
    if not label.strip():
        raise Refused(_("Give the device a name."), code="device_label_required")
    if not sms_code_verify(customer=customer, purpose="device", code=sms_code):
        raise ExtraVerificationNeeded()
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=customer.pk)
        if (
            DesignatedDevice.objects.filter(customer=customer).count()
            >= policy.MAX_DESIGNATED_DEVICES
        ):
            raise DeviceLimit()
        try:
            with transaction.atomic():
                device = DesignatedDevice.objects.create(
                    customer=customer, device_hash=_device_hash(token), label=label.strip()
                )
        except IntegrityError:
            raise Refused(
                _("This device is already designated."), code="device_already_designated"
            ) from None
        audit_record(event="device_designated", actor=customer.user, subject=f"device:{device.pk}")
    return device


def _device_locked(*, customer: Customer, device_id: int) -> DesignatedDevice:
    """The customer's device, with the customer row locked (device changes take turns);
    another customer's or an unknown device is NotFound. Inside a transaction."""
    Customer.objects.select_for_update().get(pk=customer.pk)
    device = DesignatedDevice.objects.filter(customer=customer, pk=device_id).first()
    if device is None:
        raise NotFound()
    return device


def device_remove(*, customer: Customer, device_id: int) -> None:
    with transaction.atomic():
        device = _device_locked(customer=customer, device_id=device_id)
        if DesignatedDevice.objects.filter(customer=customer).count() <= 1:
            raise LastDeviceAtCounter()
        device.delete()
        audit_record(event="device_removed", actor=customer.user, subject=f"device:{device_id}")


def device_remove_at_counter(*, customer: Customer, device_id: int, teller: User,
                             id_document_type: str, id_document_number: str) -> None:
    """A teller removes a designated device after checking the customer's ID: the only way
    to remove the last one (online, device_remove refuses it)."""
    with transaction.atomic():
        device = _device_locked(customer=customer, device_id=device_id)
        id_check_record(customer=customer, purpose=IdCheck.Purpose.DEVICE_REMOVAL, teller=teller,
                        id_document_type=id_document_type,
                        id_document_number=id_document_number)
        device.delete()
        audit_record(event="device_removed", actor=teller, subject=f"device:{device_id}",
                     channel="counter", detail={"customer": customer.pk})
