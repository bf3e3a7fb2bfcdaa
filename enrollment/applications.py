"""Services of the counter application and of the online registration that follows it.

A teller takes the application (ID checked, designated withdrawal accounts, seal or
signature, the papers of a minor's representative or a sole proprietor), the customer gets
a security medium and a printed reference, and registers online within
policy.REGISTRATION_WINDOW_DAYS counting the application day (KST).
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment import identity
from enrollment.models import Application, Customer, Document, User
from enrollment.security import otp_issue, security_answer_verify, security_card_issue
from enrollment.services import (
    customer_ensure_active,
    customer_mark_used,
    notification_send,
)
from postbank import crypto, policy
from postbank.audit import audit_record
from postbank.errors import InvalidInput, Refused
from postbank.kst import kst_date

logger = logging.getLogger(__name__)

ID_DOCUMENT_PURPOSE = "id-document"
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class IncompleteApplication(InvalidInput):
    code = "application_incomplete"
    title = _("The application lacks documents.")


class BusinessNeedsOtp(InvalidInput):
    code = "business_needs_otp"
    title = _("A business customer's security medium is an OTP, not a security card.")


def business_medium_check(*, customer_type: str, medium: str) -> None:
    """Corporate customers must use OTP (DOMAIN.md): the sole proprietor is the business
    customer here."""
    if customer_type == Customer.Type.SOLE_PROPRIETOR and medium != Application.Medium.OTP:
        raise BusinessNeedsOtp(field="medium")


class MinorNeedsRepresentative(Refused):
    code = "minor_needs_representative"
    title = _("A minor under 18 can apply only through a legal representative.")


class RepresentativeNotAllowed(Refused):
    code = "representative_not_allowed"
    title = _("Only the customer applies in person; a legal representative applies only "
              "for a minor.")


class AlreadyRegistered(Refused):
    code = "already_registered"
    title = _("This customer already uses internet banking; issue a replacement medium or "
              "lift the suspension instead of a new application.")


class NoDesignatedAccount(InvalidInput):
    code = "no_designated_account"
    title = _("Designate at least one withdrawal account of the customer, or open one.")


class ApplicationExpired(Refused):
    code = "application_expired"
    title = _("The application has expired: online registration must be completed within "
              "5 days counting the application day. Please apply again at a post office "
              "counter.")


class AlreadyRegisteredOnline(Refused):
    code = "already_registered_online"
    title = _("Registration for this application is already complete. Log in with your "
              "user ID.")


class RegistrationIdentityFailed(Refused):
    # One message for every identity fact: never say which one was wrong.
    code = "registration_identity_failed"
    title = _("The details you entered do not match an application. Check them and try "
              "again.")


class UserIdTaken(InvalidInput):
    code = "user_id_taken"
    title = _("This user ID is already in use. Choose another one.")


class InvalidUserId(InvalidInput):
    code = "invalid_user_id"
    title = _("A user ID has 6 to 20 lowercase letters and digits and starts with a letter.")


class WeakPassword(InvalidInput):
    code = "weak_password"
    title = _("Choose a stronger password.")


class TermsNotAccepted(InvalidInput):
    code = "terms_not_accepted"
    title = _("Accept the terms of electronic financial transactions to register.")


def registration_deadline_for(applied_at: datetime) -> datetime:
    """00:00:00 KST of the day after the last day of the window (day 1 = application day)."""
    applied_day = timezone.localtime(applied_at).date()
    last_day = applied_day + timedelta(days=policy.REGISTRATION_WINDOW_DAYS - 1)
    return datetime.combine(last_day + timedelta(days=1), time.min,
                            tzinfo=timezone.get_current_timezone())


def required_documents(*, customer_type: str, age: int, representation: str,
                       authentication: str) -> list[str]:
    """The papers the counter must have checked (DOMAIN.md and the seed): a sole
    proprietor's business papers, and a minor's papers whenever a legal representative
    applies (also for a minor sole proprietor)."""
    business = customer_type == Customer.Type.SOLE_PROPRIETOR
    required = [Document.APPLICATION_FORM]
    if business:
        required.append(Document.BUSINESS_REGISTRATION)
    if representation:
        required.append(Document.FAMILY_RELATIONSHIP if age < policy.MINOR_CHILD_UNDER_AGE
                        else Document.MINOR_REAL_NAME)
    if business or representation:
        required.append(Document.REPRESENTATIVE_ID)
    required.append(Document.PASSBOOK_SEAL)
    if not representation:
        return required
    required += [Document.MINOR_BASIC_CERTIFICATE, Document.REPRESENTATION_PROOF]
    # The consent form is needed when one parent applies for both; both parents in person
    # replace it with their ID copies; a single representative or a guardian needs neither.
    if representation == Application.Representation.ONE_PARENT:
        required.append(Document.MINOR_CONSENT)
    elif representation == Application.Representation.BOTH_PARENTS:
        required.append(Document.PARENTS_ID_COPIES)
    if authentication == Application.Authentication.SIGNATURE:
        required.append(Document.MINOR_PRESENT)
    return required


@dataclass
class ApplicationOutcome:
    """What the counter prints once: the reference, and the new medium's secrets."""

    application: Application
    card_codes: list[str] = field(default_factory=list)
    card_serial: str = ""
    otp_secret: str = ""
    otp_serial: str = ""
    opened_account: object | None = None


def _new_reference() -> str:
    while True:
        raw = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(12))
        reference = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        if not Application.objects.filter(reference=reference).exists():
            return reference


def reference_normalize(value: str) -> str:
    raw = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else ""


def id_document_clean(number: str) -> str:
    """An ID document number without spaces and dashes (driver's licenses print them)."""
    return "".join(ch for ch in (number or "") if not ch.isspace() and ch != "-")


def id_document_mask(number: str) -> str:
    number = id_document_clean(number)
    return number[:2] + "*" * max(len(number) - 4, 0) + number[-2:] if len(number) > 4 else "****"


def application_submit(
    *,
    teller: User,
    name: str,
    rrn: str,
    phone: str,
    customer_type: str,
    business_number: str = "",
    id_document_type: str,
    id_document_number: str,
    authentication: str,
    representation: str = "",
    representative_name: str = "",
    documents: list[str],
    designated_account_numbers: list[str],
    new_account_password: str = "",
    medium: str,
) -> ApplicationOutcome:
    """Completes a counter application: validates the person, the papers and the accounts,
    creates or updates the customer, issues the medium and the reference. Refuses, naming
    what is missing, while a required document was not checked."""
    from accounts.models import Account
    from accounts.selectors import account_get_for_customer
    from accounts.services import AccountNotActive, account_open

    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter the customer's real name."), code="invalid_name",
                           field="name")
    today = kst_date()
    rrn_digits = identity.rrn_normalize(rrn, today=today)
    phone_digits = identity.phone_normalize(phone)
    age = identity.age_on(born=identity.rrn_birth_date(rrn_digits), today=today)
    if customer_type == Customer.Type.SOLE_PROPRIETOR:
        business_number = identity.business_number_normalize(business_number)
    elif customer_type in (Customer.Type.INDIVIDUAL, Customer.Type.MINOR):
        business_number = ""
        customer_type = (Customer.Type.MINOR if age < policy.MAJORITY_AGE
                         else Customer.Type.INDIVIDUAL)
    else:
        raise InvalidInput(code="invalid_customer_type", field="customer_type")
    if id_document_type not in Application.IdDocument.values:
        raise InvalidInput(_("Choose the ID document checked."), code="invalid_id_document",
                           field="id_document_type")
    id_number = id_document_clean(id_document_number)
    if not (4 <= len(id_number) <= 32 and id_number.isascii() and id_number.isalnum()):
        raise InvalidInput(_("Enter the number of the ID document checked."),
                           code="invalid_id_document", field="id_document_number")
    if authentication not in Application.Authentication.values:
        raise InvalidInput(code="invalid_authentication", field="authentication")
    if representation not in Application.Representation.values:
        raise InvalidInput(code="invalid_representation", field="representation")
    if medium not in Application.Medium.values:
        raise InvalidInput(code="invalid_medium", field="medium")
    minor = age < policy.MAJORITY_AGE
    if minor and age < policy.MINOR_MAY_APPLY_ALONE_AGE and not representation:
        raise MinorNeedsRepresentative()
    if representation and not minor:
        raise RepresentativeNotAllowed()
    if representation and not (representative_name or "").strip():
        raise InvalidInput(_("Enter the legal representative's name."),
                           code="invalid_representative", field="representative_name")
    required = required_documents(customer_type=customer_type, age=age,
                                  representation=representation,
                                  authentication=authentication)
    missing = [code for code in required if code not in set(documents)]
    if missing:
        labels = [str(Document(code).label) for code in missing]
        raise IncompleteApplication(
            _("The application cannot be completed without: %(documents)s.")
            % {"documents": "; ".join(labels)}, missing=missing)
    business_medium_check(customer_type=customer_type, medium=medium)
    numbers = [n for n in (designated_account_numbers or []) if n.strip()]
    if not numbers and not new_account_password:
        raise NoDesignatedAccount()

    now = timezone.now()
    rrn_hash = identity.rrn_hash(rrn_digits)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(rrn_hash=rrn_hash).first()
        if customer is not None and customer.user_id is not None:
            raise AlreadyRegistered()
        personal = {
            "name": name, "customer_type": customer_type, "business_number": business_number,
            "phone_encrypted": identity.phone_encrypt(phone_digits),
            "phone_masked": identity.phone_mask(phone_digits),
            # Applying alone before majority keeps the minor limits until a teller raises
            # them (after an ID check) once the customer is an adult.
            "minor_limited": minor and not representation,
        }
        if customer is None:
            customer = Customer.objects.create(
                rrn_encrypted=identity.rrn_encrypt(rrn_digits), rrn_hash=rrn_hash,
                rrn_masked=identity.rrn_mask(rrn_digits), last_used_at=now, **personal)
        else:
            for key, value in personal.items():
                setattr(customer, key, value)
            customer.save(update_fields=list(personal))
        accounts = []
        for number in numbers:
            account = account_get_for_customer(customer=customer, number=number)
            if account.status != Account.Status.ACTIVE:
                raise AccountNotActive()
            accounts.append(account)
        opened = None
        if not accounts:
            opened = account_open(customer=customer, password=new_account_password,
                                  actor=teller)
            accounts.append(opened)
        superseded = Application.objects.filter(customer=customer,
                                                status=Application.Status.PENDING)
        superseded.update(status=Application.Status.EXPIRED, closed_at=now)
        outcome = ApplicationOutcome(application=None, opened_account=opened)  # type: ignore[arg-type]
        if medium == Application.Medium.SECURITY_CARD:
            card, outcome.card_codes = security_card_issue(customer=customer, actor=teller)
            outcome.card_serial = card.serial
        else:
            device, outcome.otp_secret = otp_issue(customer=customer, actor=teller)
            outcome.otp_serial = device.serial
        application = Application.objects.create(
            reference=_new_reference(), customer=customer, customer_type=customer_type,
            id_document_type=id_document_type,
            id_document_encrypted=crypto.encrypt(ID_DOCUMENT_PURPOSE, id_number),
            id_document_masked=id_document_mask(id_number), authentication=authentication,
            representation=representation,
            representative_name=(representative_name or "").strip() if representation else "",
            documents=[code for code in Document.values if code in set(documents)],
            medium=medium, teller=teller, applied_at=now,
            registration_deadline=registration_deadline_for(now))
        application.designated_accounts.set(accounts)
        outcome.application = application
        audit_record(event="application_completed", actor=teller,
                     subject=f"customer:{customer.pk}", channel="counter",
                     detail={"reference": application.reference, "type": customer_type,
                             "representation": representation, "medium": medium,
                             "minor_limited": customer.minor_limited})
        last_day = timezone.localtime(application.registration_deadline) - timedelta(days=1)
        notification_send(
            customer=customer, kind="registration_reminder",
            text=_("Postbank: complete your internet banking registration online by "
                   "%(date)s (reference %(reference)s).")
            % {"date": last_day.strftime("%Y-%m-%d"), "reference": application.reference})
    return outcome


def _window_open(application: Application, now: datetime) -> bool:
    return (application.status == Application.Status.PENDING
            and now < application.registration_deadline)


def application_expire_one(*, application: Application) -> bool:
    """Marks a pending application whose window has passed as expired (True once)."""
    return bool(Application.objects.filter(
        pk=application.pk, status=Application.Status.PENDING,
        registration_deadline__lte=timezone.now(),
    ).update(status=Application.Status.EXPIRED, closed_at=timezone.now()))


def applications_expire(*, batch_size: int = 1000) -> int:
    """The beat task's service: every pending application past its window becomes
    expired, in batches; safe to run twice. Returns how many changed."""
    total = 0
    while True:
        now = timezone.now()
        ids = list(Application.objects.filter(
            status=Application.Status.PENDING, registration_deadline__lte=now,
        ).values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        with transaction.atomic():
            changed = Application.objects.filter(
                pk__in=ids, status=Application.Status.PENDING,
            ).update(status=Application.Status.EXPIRED, closed_at=now)
        total += changed
        logger.info("Expired %d applications (%d so far).", changed, total)
    return total


def _application_find(*, reference_or_rrn: str) -> Application | None:
    """The customer's latest application, found by its reference or the customer's RRN."""
    reference = reference_normalize(reference_or_rrn)
    if reference:
        return Application.objects.select_related("customer").filter(
            reference=reference).first()
    digits = "".join(ch for ch in (reference_or_rrn or "") if ch.isdigit())
    if len(digits) != 13:
        return None
    return (Application.objects.select_related("customer")
            .filter(customer__rrn_hash=identity.rrn_hash(digits))
            .order_by("-applied_at", "-id").first())


def registration_identify(*, reference_or_rrn: str, account_number: str,
                          account_password: str, channel: str) -> Application:
    """Step 1 of online registration: the application (reference or RRN), a designated
    withdrawal account and its password. Any mismatch answers the same
    RegistrationIdentityFailed; a wrong account password counts as a wrong entry. A
    matching application past its window answers ApplicationExpired."""
    from accounts.selectors import AccountNotFound, account_get_for_customer
    from accounts.services import WrongAccountPassword, account_password_verify

    application = _application_find(reference_or_rrn=reference_or_rrn)
    if application is None:
        raise RegistrationIdentityFailed()
    customer = application.customer
    customer_ensure_active(customer=customer)
    try:
        account = account_get_for_customer(customer=customer, number=account_number)
    except (AccountNotFound, InvalidInput):
        raise RegistrationIdentityFailed() from None
    if not application.designated_accounts.filter(pk=account.pk).exists():
        raise RegistrationIdentityFailed()
    try:
        account_password_verify(customer=customer, account=account, password=account_password,
                                channel=channel)
    except (WrongAccountPassword, InvalidInput):
        customer.refresh_from_db(fields=["suspension", "suspended_at", "wrong_entries"])
        customer_ensure_active(customer=customer)
        raise RegistrationIdentityFailed() from None
    if application.status == Application.Status.REGISTERED:
        raise AlreadyRegisteredOnline()
    if not _window_open(application, timezone.now()):
        application_expire_one(application=application)
        raise ApplicationExpired()
    return application


def _user_id_normalize(user_id: str) -> str:
    user_id = (user_id or "").strip().lower()
    if not (6 <= len(user_id) <= 20 and user_id.isascii() and user_id.isalnum()
            and user_id[0].isalpha()):
        raise InvalidUserId(field="user_id")
    return user_id


def registration_complete(*, application: Application, challenge_id: str | None,
                          security_answer: str, user_id: str, password: str,
                          terms_accepted: bool, channel: str) -> User:
    """Step 2: the security medium challenge, the chosen user ID and login password, and
    the terms. Creates the login and closes the application."""
    application.refresh_from_db()
    customer = application.customer
    if not _window_open(application, timezone.now()):
        application_expire_one(application=application)
        raise ApplicationExpired()
    user_id = _user_id_normalize(user_id)
    candidate = User(username=user_id, first_name=customer.name)
    if password == user_id or user_id in (password or "").lower():
        raise WeakPassword(_("The password must not contain the user ID."), field="password")
    try:
        password_validation.validate_password(password, user=candidate)
    except ValidationError as exc:
        raise WeakPassword(" ".join(str(m) for m in exc.messages), field="password") from None
    if not terms_accepted:
        raise TermsNotAccepted(field="terms")
    if User.objects.filter(username__iexact=user_id).exists():
        raise UserIdTaken(field="user_id")
    security_answer_verify(customer=customer, challenge_id=challenge_id,
                           answer=security_answer, channel=channel)
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = Application.objects.select_for_update().get(pk=application.pk)
            if not _window_open(locked, now):
                raise ApplicationExpired()
            user = User(username=user_id, first_name=customer.name)
            user.set_password(password)
            user.save()
            updated = Customer.objects.filter(pk=customer.pk, user__isnull=True).update(user=user)
            if not updated:
                raise RegistrationIdentityFailed()
            locked.status = Application.Status.REGISTERED
            locked.closed_at = now
            locked.save(update_fields=["status", "closed_at"])
            audit_record(event="registered", actor=user, subject=f"customer:{customer.pk}",
                         channel=channel, detail={"reference": locked.reference})
    except IntegrityError:
        raise UserIdTaken(field="user_id") from None
    customer.refresh_from_db()
    customer_mark_used(customer=customer)
    return user



# ---------------------------------------------------------------------------------------
# Smart Banking


def smart_banking_subscribe(*, customer: Customer, challenge_id: str | None,
                            security_answer: str, channel: str = "api") -> datetime:
    """Signs the customer up for Smart Banking (the phone app) with the security medium's
    answer; returns when they signed up. Signing up again changes nothing and asks nothing.
    Only subscribers get a joint certificate issued to a smartphone (certcenter)."""
    customer_ensure_active(customer=customer)
    if customer.smart_banking_since is not None:
        return customer.smart_banking_since
    security_answer_verify(customer=customer, challenge_id=challenge_id,
                           answer=security_answer, channel=channel)
    now = timezone.now()
    with transaction.atomic():
        if Customer.objects.filter(pk=customer.pk, smart_banking_since__isnull=True).update(
                smart_banking_since=now):
            audit_record(event="smart_banking_subscribed", actor=customer.user,
                         subject=f"customer:{customer.pk}", channel=channel)
    customer.refresh_from_db(fields=["smart_banking_since"])
    return customer.smart_banking_since
