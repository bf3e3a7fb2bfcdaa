"""Counter screens: the application form, and the actions each resting on an ID check."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.contrib.auth.models import Group

from enrollment.counter import (
    NotSuspended,
    StillMinor,
    customer_minor_limits_raise,
    customer_suspension_lift,
)
from enrollment.models import (
    Application,
    Customer,
    Document,
    IdCheck,
    MediumStatus,
    Notification,
    SecurityCard,
)
from enrollment.services import customer_limits, wrong_entry_record
from postbank.models import AuditEvent
from tests.enrollment.helpers import rrn_born, submit
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

APPLIED = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
ID = {"id_document_type": "driver_license", "id_document_number": "11-22-333333-44"}


@pytest.fixture
def teller(client):
    user = UserFactory(username="teller-park", is_staff=True)
    user.groups.add(Group.objects.get(name="teller"))
    client.force_login(user)
    return user


def _form(**overrides):
    data = {"name": "유관순", "rrn": "020316-4012340", "phone": "010 3333 4444",
            "customer_type": "individual", "business_number": "",
            "id_document_type": "resident_card", "id_document_number": "AB123456",
            "designated_accounts": "", "new_account_password": "2580",
            "authentication": "seal", "representation": "", "representative_name": "",
            "documents": [Document.APPLICATION_FORM, Document.PASSBOOK_SEAL],
            "medium": "security_card"}
    data.update(overrides)
    return data


@time_machine.travel(APPLIED, tick=False)
def test_teller_completes_an_application_and_prints_reference_and_card(client, teller):
    response = client.post("/counter/enrollment/application/add/",
                           _form(rrn=rrn_born(date(1990, 2, 3))), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    application = Application.objects.get()
    html = response.content.decode()
    assert f'data-testid="reference">{application.reference}<' in html
    assert html.count('data-testid="code-') == 35
    assert "900203-1******" in html and "9002031" + "01234" not in html
    assert "2026-03-14 23:59:59" in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert application.teller == teller
    changelist = client.get("/counter/enrollment/application/")
    assert application.reference in changelist.content.decode()


@time_machine.travel(APPLIED, tick=False)
def test_the_form_names_bad_input_and_missing_papers(client, teller):
    bad = client.post("/counter/enrollment/application/add/",
                      _form(rrn="900203-1012345", phone="02-12", customer_type="sole_proprietor",
                            business_number="116-82-00277"), HTTP_ACCEPT_LANGUAGE="en")
    errors = bad.context["form"].errors
    assert set(errors) == {"rrn", "phone", "business_number"}
    minor = client.post("/counter/enrollment/application/add/",
                        _form(rrn=rrn_born(date(2011, 1, 1)), representation="both_parents",
                              representative_name="유부모",
                              documents=[Document.APPLICATION_FORM, Document.PASSBOOK_SEAL]),
                        HTTP_ACCEPT_LANGUAGE="en")
    html = minor.content.decode()
    assert 'data-code="application_incomplete"' in html
    for missing in ("proof of the minor&#x27;s real name", "ID of the representative",
                    "minor&#x27;s basic certificate (detailed)", "ID copies of both parents"):
        assert missing in html
    assert not Customer.objects.exists() and not Application.objects.exists()


@time_machine.travel(APPLIED, tick=False)
def test_operator_sees_the_outbox_but_cannot_apply(client):
    operator = UserFactory(username="operator-lee", is_staff=True)
    operator.groups.add(Group.objects.get(name="operator"))
    submit()
    client.force_login(operator)
    outbox = client.get("/counter/enrollment/notification/")
    assert outbox.status_code == 200 and "registration_reminder" in outbox.content.decode()
    assert client.get("/counter/enrollment/application/add/").status_code == 403
    assert client.get("/counter/enrollment/customer/1/lift/").status_code == 403


def test_teller_lifts_a_suspension_after_an_id_check(client, teller):
    customer = submit().application.customer
    for _ in range(5):
        wrong_entry_record(customer=customer, kind="login_password", channel="web")
    customer.refresh_from_db()
    assert customer.suspension == Customer.Suspension.WRONG_ENTRIES
    page = client.get(f"/counter/enrollment/customer/{customer.pk}/change/")
    assert b'data-testid="lift-link"' in page.content
    incomplete = client.post(f"/counter/enrollment/customer/{customer.pk}/lift/",
                             {"id_document_type": "passport", "id_document_number": ""})
    assert incomplete.status_code == 200
    customer.refresh_from_db()
    assert customer.suspension == Customer.Suspension.WRONG_ENTRIES
    done = client.post(f"/counter/enrollment/customer/{customer.pk}/lift/", ID)
    assert done.status_code == 302
    customer.refresh_from_db()
    assert (customer.suspension, customer.wrong_entries) == ("", 0)
    check = IdCheck.objects.get(customer=customer)
    assert (check.purpose, check.teller, check.id_document_masked) == (
        "suspension_lift", teller, "11********44")
    lifted = AuditEvent.objects.get(event="suspension_lifted")
    assert lifted.detail == {"reason": "wrong_entries", "by": "teller", "id_check": check.pk}
    assert Notification.objects.filter(customer=customer, kind="suspension_lifted").count() == 1
    with pytest.raises(NotSuspended):
        customer_suspension_lift(customer=customer, teller=teller, **ID)


def test_minor_limits_are_raised_only_once_the_customer_is_an_adult(teller):
    with time_machine.travel(APPLIED, tick=False):
        customer = submit(rrn=rrn_born(date(2007, 12, 1))).application.customer
        assert customer_limits(customer=customer) == (1_000_000, 3_000_000)
    # 2026-11-30 23:59:59 KST: still 18.
    with time_machine.travel(datetime(2026, 11, 30, 14, 59, 59, tzinfo=UTC), tick=False), \
            pytest.raises(StillMinor):
        customer_minor_limits_raise(customer=customer, teller=teller, **ID)
    assert not IdCheck.objects.exists()
    # 2026-12-01 00:00:00 KST: 19, an adult.
    with time_machine.travel(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), tick=False):
        customer_minor_limits_raise(customer=customer, teller=teller, **ID)
    customer.refresh_from_db()
    assert not customer.minor_limited and customer.customer_type == Customer.Type.INDIVIDUAL
    assert customer_limits(customer=customer) == (5_000_000, 10_000_000)
    assert IdCheck.objects.get().purpose == "adult_limits"
    assert AuditEvent.objects.filter(event="limits_raised").count() == 1


def test_phone_loss_report_and_replacement_at_the_counter(client, teller):
    outcome = submit()
    customer = outcome.application.customer
    response = client.post(f"/counter/enrollment/customer/{customer.pk}/loss/",
                           {"medium": "security_card", "channel": "phone"})
    assert response.status_code == 302
    assert SecurityCard.objects.get(serial=outcome.card_serial).status == MediumStatus.LOST
    assert customer.grade is None and customer_limits(customer=customer) == (0, 0)
    assert AuditEvent.objects.filter(event="medium_lost", channel="phone",
                                     actor=teller).count() == 1
    assert not IdCheck.objects.exists()
    replaced = client.post(f"/counter/enrollment/customer/{customer.pk}/replace/",
                           {**ID, "medium": "otp"})
    assert replaced.status_code == 200
    assert b'data-testid="otp"' in replaced.content and b"<svg" in replaced.content
    assert customer.grade == "safe"
    assert IdCheck.objects.get().purpose == "medium_replacement"
    counter = client.post(f"/counter/enrollment/customer/{customer.pk}/loss/",
                          {"medium": "otp", "channel": "counter"})
    assert counter.status_code == 200  # at the counter the ID check is required
    assert customer.grade == "safe"


def test_customer_search_by_rrn_uses_the_keyed_hash(client, teller):
    customer = submit().application.customer
    found = client.post("/counter/enrollment/customer/find/", {"rrn": "900101-1234568"})
    assert found.status_code == 302
    assert found["Location"] == f"/counter/enrollment/customer/{customer.pk}/change/"
    other = rrn_born(date(1985, 5, 5))
    missing = client.post("/counter/enrollment/customer/find/", {"rrn": other},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert "No customer has this resident registration number." in missing.content.decode()
    assert other not in missing.content.decode()


def test_teller_removes_the_last_designated_device_after_an_id_check(client, teller):
    from certcenter.models import DesignatedDevice

    customer = submit().application.customer
    other = DesignatedDevice.objects.create(customer=CustomerFactory(), label="남의 PC",
                                            device_hash="c" * 64)
    last = DesignatedDevice.objects.create(customer=customer, label="집 PC", device_hash="a" * 64)
    page = client.get(f"/counter/enrollment/customer/{customer.pk}/change/")
    assert b'data-testid="device-removal-link"' in page.content
    url = f"/counter/enrollment/customer/{customer.pk}/devices/"
    form = client.get(url)
    assert "집 PC" in form.content.decode() and "남의 PC" not in form.content.decode()

    # Another customer's device is not on this customer's list: refused, nothing removed.
    refused = client.post(url, {"device": other.pk, **ID})
    assert refused.status_code == 200
    missing_id = client.post(url, {"device": last.pk, "id_document_type": "passport",
                                   "id_document_number": ""})
    assert missing_id.status_code == 200
    assert DesignatedDevice.objects.count() == 2
    assert not IdCheck.objects.filter(purpose="device_removal").exists()

    done = client.post(url, {"device": last.pk, **ID})
    assert done.status_code == 302
    assert list(DesignatedDevice.objects.all()) == [other]
    check = IdCheck.objects.get(customer=customer, purpose="device_removal")
    assert check.teller == teller
    removed = AuditEvent.objects.get(event="device_removed")
    assert (removed.actor, removed.channel, removed.subject) == (
        teller, "counter", f"device:{last.pk}")


@time_machine.travel(APPLIED, tick=False)
def test_a_business_customers_replacement_medium_is_an_otp(client, teller):
    customer = submit(customer_type="sole_proprietor", business_number="116-82-00276",
                      documents=[Document.APPLICATION_FORM, Document.BUSINESS_REGISTRATION,
                                 Document.REPRESENTATIVE_ID, Document.PASSBOOK_SEAL],
                      medium=Application.Medium.OTP).application.customer
    url = f"/counter/enrollment/customer/{customer.pk}/replace/"
    refused = client.post(url, {"medium": "security_card", **ID}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert refused.context["form"].errors["medium"] == [
        "A business customer's security medium is an OTP, not a security card."]
    assert not SecurityCard.objects.filter(customer=customer).exists()
    assert not IdCheck.objects.filter(customer=customer).exists()
    done = client.post(url, {"medium": "otp", **ID})
    assert done.status_code == 200 and 'data-testid="medium-printout"' in done.content.decode()
