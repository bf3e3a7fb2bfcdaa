"""Services behind the teller's counter screens: each records the ID check it rests on.

A loss report taken by phone has no ID to check; it is recorded in the audit log only.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from enrollment import identity
from enrollment.applications import business_medium_check, id_document_clean, id_document_mask
from enrollment.models import Application, Customer, IdCheck, User
from enrollment.security import medium_report_lost, otp_issue, security_card_issue
from enrollment.services import notification_send, suspension_lift
from postbank import policy
from postbank.audit import audit_record
from postbank.errors import InvalidInput, Refused
from postbank.kst import kst_date


class NotSuspended(Refused):
    code = "not_suspended"
    title = _("Internet banking of this customer is not suspended.")


class NotMinorLimited(Refused):
    code = "not_minor_limited"
    title = _("This customer has no minor limits to raise.")


class StillMinor(Refused):
    code = "still_minor"
    title = _("The customer is still a minor; the minor limits stay until the age of 19.")


def id_check_record(*, customer: Customer, purpose: str, teller: User, id_document_type: str,
                    id_document_number: str) -> IdCheck:
    if id_document_type not in Application.IdDocument.values:
        raise InvalidInput(_("Choose the ID document checked."), code="invalid_id_document",
                           field="id_document_type")
    number = id_document_clean(id_document_number)
    if not (4 <= len(number) <= 32 and number.isascii() and number.isalnum()):
        raise InvalidInput(_("Enter the number of the ID document checked."),
                           code="invalid_id_document", field="id_document_number")
    return IdCheck.objects.create(customer=customer, purpose=purpose, teller=teller,
                                  id_document_type=id_document_type,
                                  id_document_masked=id_document_mask(number))


def customer_suspension_lift(*, customer: Customer, teller: User, id_document_type: str,
                             id_document_number: str) -> None:
    """A teller lifts any suspension after checking the customer's ID."""
    if not customer.suspension:
        raise NotSuspended()
    with transaction.atomic():
        check = id_check_record(customer=customer, purpose=IdCheck.Purpose.SUSPENSION_LIFT,
                                teller=teller, id_document_type=id_document_type,
                                id_document_number=id_document_number)
        suspension_lift(customer=customer, actor=teller, channel="counter",
                        detail={"by": "teller", "id_check": check.pk})
        notification_send(customer=customer, kind="suspension_lifted",
                          text=_("Postbank: internet banking was resumed at the counter."))


def customer_minor_limits_raise(*, customer: Customer, teller: User, id_document_type: str,
                                id_document_number: str) -> None:
    """Once a minor who applied alone is an adult (age from the RRN, KST), a teller lifts
    the minor limits after an ID check; the grade's limits apply again."""
    if not customer.minor_limited:
        raise NotMinorLimited()
    born = identity.rrn_birth_date(_rrn_digits(customer))
    today = kst_date()
    if born is None or identity.age_on(born=born, today=today) < policy.MAJORITY_AGE:
        raise StillMinor()
    with transaction.atomic():
        check = id_check_record(customer=customer, purpose=IdCheck.Purpose.ADULT_LIMITS,
                                teller=teller, id_document_type=id_document_type,
                                id_document_number=id_document_number)
        Customer.objects.filter(pk=customer.pk).update(minor_limited=False,
                                                       customer_type=Customer.Type.INDIVIDUAL)
        audit_record(event="limits_raised", actor=teller, subject=f"customer:{customer.pk}",
                     channel="counter", detail={"from": "minor", "id_check": check.pk})
    customer.refresh_from_db(fields=["minor_limited", "customer_type"])


def _rrn_digits(customer: Customer) -> str:
    from postbank import crypto

    if not customer.rrn_encrypted:
        raise StillMinor()
    return crypto.decrypt(identity.RRN_PURPOSE, customer.rrn_encrypted)


def customer_loss_report_take(*, customer: Customer, medium: str, teller: User, channel: str,
                              id_document_type: str = "", id_document_number: str = "") -> None:
    """A teller takes a loss report by phone (no ID to check) or at the counter (ID
    checked); the medium stops at once."""
    if channel not in ("phone", "counter"):
        raise InvalidInput(code="invalid_channel", field="channel")
    with transaction.atomic():
        if channel == "counter":
            id_check_record(customer=customer, purpose=IdCheck.Purpose.LOSS_REPORT,
                            teller=teller, id_document_type=id_document_type,
                            id_document_number=id_document_number)
        medium_report_lost(customer=customer, medium=medium, channel=channel, actor=teller)


def customer_medium_replace(*, customer: Customer, medium: str, teller: User,
                            id_document_type: str, id_document_number: str
                            ) -> tuple[str, list[str], str]:
    """Issues a new security card or OTP (an active one of the kind is replaced) after an ID
    check. Returns (serial, card codes, OTP secret) for printing once."""
    if medium not in Application.Medium.values:
        raise InvalidInput(code="invalid_medium", field="medium")
    business_medium_check(customer_type=customer.customer_type, medium=medium)
    with transaction.atomic():
        id_check_record(customer=customer, purpose=IdCheck.Purpose.MEDIUM_REPLACEMENT,
                        teller=teller, id_document_type=id_document_type,
                        id_document_number=id_document_number)
        if medium == Application.Medium.SECURITY_CARD:
            card, codes = security_card_issue(customer=customer, actor=teller)
            serial, secret = card.serial, ""
        else:
            device, secret = otp_issue(customer=customer, actor=teller)
            serial, codes = device.serial, []
        notification_send(customer=customer, kind="medium_issued",
                          text=_("Postbank: a new security medium was issued at the counter."))
    return serial, codes, secret
