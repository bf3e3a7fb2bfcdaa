"""The counter application: validation, minors and their papers, sole proprietors."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.utils import translation

from accounts.models import Account
from accounts.selectors import AccountNotFound
from enrollment.applications import (
    AlreadyRegistered,
    BusinessNeedsOtp,
    IncompleteApplication,
    MinorNeedsRepresentative,
    RepresentativeNotAllowed,
)
from enrollment.identity import InvalidBusinessNumber, InvalidPhone, InvalidRrn
from enrollment.models import Application, Customer, Document, Notification, SecurityCard
from enrollment.services import customer_limits
from postbank.models import AuditEvent
from tests.accounts.factories import AccountFactory
from tests.enrollment.helpers import rrn_born, submit
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); Korean is the site default."""
    with translation.override("en"):
        yield

# 2026-03-10 10:00 KST
APPLIED = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
REPRESENTED = [Document.APPLICATION_FORM, Document.MINOR_REAL_NAME, Document.REPRESENTATIVE_ID,
               Document.PASSBOOK_SEAL, Document.MINOR_BASIC_CERTIFICATE,
               Document.REPRESENTATION_PROOF]


@time_machine.travel(APPLIED, tick=False)
def test_adult_application_creates_the_customer_account_card_and_reference():
    outcome = submit()
    application = outcome.application
    customer = application.customer
    assert customer.name == "이순신" and customer.customer_type == Customer.Type.INDIVIDUAL
    assert customer.rrn_masked == "900101-1******" and customer.phone_masked == "010-****-6789"
    assert not customer.minor_limited and customer.user is None
    assert len(application.reference) == 14 and application.reference[4] == "-"
    assert application.status == Application.Status.PENDING
    # Day 1 is 2026-03-10 (KST): the window closes at 2026-03-15 00:00 KST.
    assert application.registration_deadline == datetime(2026, 3, 14, 15, 0, tzinfo=UTC)
    assert list(application.designated_accounts.all()) == [outcome.opened_account]
    assert outcome.opened_account.owner == customer
    assert len(outcome.card_codes) == 35 and all(len(c) == 4 for c in outcome.card_codes)
    assert SecurityCard.objects.get(customer=customer).serial == outcome.card_serial
    assert customer.grade == "general"
    assert application.id_document_masked == "90******12"
    reminder = Notification.objects.get(customer=customer)
    assert reminder.kind == "registration_reminder" and "2026-03-14" in reminder.text
    assert AuditEvent.objects.filter(event="application_completed",
                                     subject=f"customer:{customer.pk}").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM enrollment_customer WHERE id = %s", [customer.pk])
        row = " ".join(str(v) for v in cursor.fetchone())
    assert "9001011234568" not in row and "01023456789" not in row
    audit = " ".join(str(e.detail) for e in AuditEvent.objects.all())
    assert "9001011234568" not in audit


@pytest.mark.parametrize(("field", "value", "error"), [
    ("rrn", "900101-1234567", InvalidRrn),  # wrong check digit
    ("rrn", "901301-1234568", InvalidRrn),  # month 13
    ("rrn", "300101-3234561", InvalidRrn),  # born in 2030: in the future
    ("rrn", "90010-11234568", InvalidRrn),
    ("phone", "010-234-567", InvalidPhone),
    ("phone", "011-2345-67890", InvalidPhone),
])
@time_machine.travel(APPLIED, tick=False)
def test_bad_identity_input_is_refused_and_nothing_is_created(field, value, error):
    with pytest.raises(error):
        submit(**{field: value})
    assert not Customer.objects.exists() and not Account.objects.exists()
    assert not SecurityCard.objects.exists()


@time_machine.travel(APPLIED, tick=False)
def test_sole_proprietor_needs_a_valid_business_number_and_its_papers():
    documents = [Document.APPLICATION_FORM, Document.BUSINESS_REGISTRATION,
                 Document.REPRESENTATIVE_ID, Document.PASSBOOK_SEAL]
    with pytest.raises(InvalidBusinessNumber):
        submit(customer_type="sole_proprietor", business_number="116-82-00277",
               documents=documents)
    with pytest.raises(IncompleteApplication) as refused:
        submit(customer_type="sole_proprietor", business_number="116-82-00276",
               documents=documents[:1] + documents[2:])
    assert refused.value.extra["missing"] == [Document.BUSINESS_REGISTRATION]
    assert "copy of the business registration certificate" in str(refused.value.message)
    assert not Customer.objects.exists()
    # Corporate customers must use OTP: a security card is refused, nothing is created.
    with pytest.raises(BusinessNeedsOtp) as refused:
        submit(customer_type="sole_proprietor", business_number="116-82-00276",
               documents=documents, medium=Application.Medium.SECURITY_CARD)
    assert (refused.value.code, refused.value.extra["field"]) == ("business_needs_otp", "medium")
    assert not Customer.objects.exists() and not SecurityCard.objects.exists()
    outcome = submit(customer_type="sole_proprietor", business_number="116-82-00276",
                     documents=documents, medium=Application.Medium.OTP)
    customer = outcome.application.customer
    assert customer.customer_type == Customer.Type.SOLE_PROPRIETOR
    assert customer.business_number == "1168200276"
    assert customer.grade == "safe" and len(outcome.otp_secret) == 32


@time_machine.travel(APPLIED, tick=False)
def test_a_minor_sole_proprietor_through_a_representative_brings_the_minors_papers_too():
    business = [Document.APPLICATION_FORM, Document.BUSINESS_REGISTRATION,
                Document.REPRESENTATIVE_ID, Document.PASSBOOK_SEAL]
    kwargs = {"rrn": rrn_born(date(2010, 5, 1)), "customer_type": "sole_proprietor",
              "business_number": "116-82-00276", "representation": "guardian",
              "representative_name": "박후견", "medium": Application.Medium.OTP}
    with pytest.raises(IncompleteApplication) as refused:
        submit(documents=business, **kwargs)
    assert refused.value.extra["missing"] == [
        Document.MINOR_REAL_NAME, Document.MINOR_BASIC_CERTIFICATE,
        Document.REPRESENTATION_PROOF]
    assert not Customer.objects.exists()
    outcome = submit(documents=[*business, Document.MINOR_REAL_NAME,
                                Document.MINOR_BASIC_CERTIFICATE,
                                Document.REPRESENTATION_PROOF], **kwargs)
    assert outcome.application.customer.customer_type == Customer.Type.SOLE_PROPRIETOR


@time_machine.travel(APPLIED, tick=False)
def test_minor_under_18_cannot_apply_alone():
    with pytest.raises(MinorNeedsRepresentative):
        submit(rrn=rrn_born(date(2010, 5, 1)))
    assert not Customer.objects.exists()


@pytest.mark.parametrize(("representation", "extra", "authentication"), [
    ("one_parent", [Document.MINOR_CONSENT], "seal"),
    ("both_parents", [Document.PARENTS_ID_COPIES], "seal"),
    ("sole_representative", [], "seal"),
    ("guardian", [], "seal"),
    ("guardian", [Document.MINOR_PRESENT], "signature"),
])
@time_machine.travel(APPLIED, tick=False)
def test_representative_papers_are_required_with_the_seeds_exceptions(representation, extra,
                                                                      authentication):
    rrn = rrn_born(date(2010, 5, 1))
    kwargs = {"rrn": rrn, "representation": representation, "representative_name": "김부모",
              "authentication": authentication}
    for missing in [*REPRESENTED, *extra]:
        documents = [d for d in [*REPRESENTED, *extra] if d != missing]
        with pytest.raises(IncompleteApplication) as refused:
            submit(documents=documents, **kwargs)
        assert refused.value.extra["missing"] == [missing]
        assert str(Document(missing).label) in str(refused.value.message)
    assert not Customer.objects.exists()
    outcome = submit(documents=[*REPRESENTED, *extra], **kwargs)
    customer = outcome.application.customer
    assert customer.customer_type == Customer.Type.MINOR and not customer.minor_limited
    assert outcome.application.representative_name == "김부모"
    assert customer_limits(customer=customer) == (5_000_000, 10_000_000)


@time_machine.travel(APPLIED, tick=False)
def test_one_parent_without_the_consent_names_it():
    with pytest.raises(IncompleteApplication) as refused:
        submit(rrn=rrn_born(date(2010, 5, 1)), representation="one_parent",
               representative_name="김부모", documents=REPRESENTED)
    assert str(refused.value.message) == (
        "The application cannot be completed without: minor e-financial subscription consent.")


@time_machine.travel(APPLIED, tick=False)
def test_an_infant_or_child_brings_the_family_certificate_instead_of_the_real_name_proof():
    child = rrn_born(date(2016, 1, 2))
    kwargs = {"rrn": child, "representation": "guardian", "representative_name": "박후견"}
    with pytest.raises(IncompleteApplication) as refused:
        submit(documents=REPRESENTED, **kwargs)
    assert refused.value.extra["missing"] == [Document.FAMILY_RELATIONSHIP]
    documents = [d for d in REPRESENTED if d != Document.MINOR_REAL_NAME]
    submit(documents=[*documents, Document.FAMILY_RELATIONSHIP], **kwargs)


@time_machine.travel(APPLIED, tick=False)
def test_a_minor_of_18_alone_gets_the_minor_limits_and_an_adult_cannot_bring_a_representative():
    outcome = submit(rrn=rrn_born(date(2007, 12, 1)))
    customer = outcome.application.customer
    assert customer.customer_type == Customer.Type.MINOR and customer.minor_limited
    assert customer_limits(customer=customer) == (1_000_000, 3_000_000)
    with pytest.raises(RepresentativeNotAllowed):
        submit(rrn=rrn_born(date(1980, 1, 1)), representation="one_parent",
               representative_name="x", documents=[*REPRESENTED, Document.MINOR_CONSENT])


@time_machine.travel(APPLIED, tick=False)
def test_designated_accounts_must_be_the_customers_own():
    first = submit()
    customer = first.application.customer
    own = AccountFactory(owner=customer)
    second = submit(designated_account_numbers=[own.number, first.opened_account.number],
                    new_account_password="")
    assert set(second.application.designated_accounts.all()) == {own, first.opened_account}
    first.application.refresh_from_db()
    assert first.application.status == Application.Status.EXPIRED  # superseded
    stranger = AccountFactory(owner=CustomerFactory())
    cards = SecurityCard.objects.count()
    with pytest.raises(AccountNotFound):
        submit(designated_account_numbers=[stranger.number], new_account_password="")
    assert SecurityCard.objects.count() == cards
    assert Application.objects.count() == 2


@time_machine.travel(APPLIED, tick=False)
def test_a_registered_customer_cannot_apply_again():
    customer = submit().application.customer
    customer.user = UserFactory()
    customer.save()
    with pytest.raises(AlreadyRegistered):
        submit()
