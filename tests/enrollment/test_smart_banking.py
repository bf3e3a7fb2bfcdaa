"""Smart Banking sign-up from the app (DOMAIN.md "Joint certificate": only Smart Banking
subscribers can be issued a certificate on the phone): the security medium's answer signs
the customer up once; a wrong answer counts toward the 5-strike suspension and signs up
nothing."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from enrollment.applications import smart_banking_subscribe
from enrollment.models import Customer
from enrollment.services import CustomerSuspended, api_token_issue
from postbank.models import AuditEvent
from tests.enrollment.media import card_for, otp_code, otp_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
URL = reverse("api-smart-banking")


@pytest.fixture
def app_customer():
    customer = CustomerFactory()
    _card, codes = card_for(customer)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=customer.user)}")
    return customer, codes, api


def _answer(codes, challenge_body):
    first, second = challenge_body["first_index"], challenge_body["second_index"]
    return codes[first - 1][:2] + codes[second - 1][2:]


def _subscribed_events(customer):
    return AuditEvent.objects.filter(event="smart_banking_subscribed",
                                     subject=f"customer:{customer.pk}")


def test_the_medium_answer_signs_the_customer_up_once(app_customer):
    customer, codes, api = app_customer
    status = api.get(URL).json()
    assert (status["subscribed"], status["since"]) == (False, None)
    challenge = status["challenge"]
    assert challenge["kind"] == "security_card"

    done = api.post(URL, {"challenge_id": challenge["challenge_id"],
                          "security_answer": _answer(codes, challenge)}, format="json")
    assert done.status_code == 201
    assert done.json()["subscribed"] is True
    customer.refresh_from_db()
    assert customer.smart_banking_since is not None
    assert _subscribed_events(customer).count() == 1

    again = api.post(URL, {"security_answer": "0000"}, format="json")
    assert again.status_code == 201
    assert again.json()["since"] == done.json()["since"]
    assert _subscribed_events(customer).count() == 1
    assert api.get(URL).json() == {"subscribed": True, "since": done.json()["since"]}


def test_a_wrong_answer_counts_and_signs_up_nothing(app_customer):
    customer, codes, api = app_customer
    challenge = api.get(URL).json()["challenge"]
    right = _answer(codes, challenge)
    wrong = f"{(int(right) + 1) % 10_000:04d}"
    refused = api.post(URL, {"challenge_id": challenge["challenge_id"],
                             "security_answer": wrong}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "wrong_security_code"
    customer.refresh_from_db()
    assert (customer.smart_banking_since, customer.wrong_entries) == (None, 1)
    assert not _subscribed_events(customer).exists()


def test_otp_holders_answer_with_the_otp_code(app_customer):
    customer, _codes, api = app_customer
    _device, secret = otp_for(customer)
    assert api.get(URL).json()["challenge"]["kind"] == "otp"
    done = api.post(URL, {"security_answer": otp_code(secret)}, format="json")
    assert done.status_code == 201
    customer.refresh_from_db()
    assert customer.smart_banking_since is not None


def test_a_suspended_customer_cannot_sign_up(app_customer):
    customer, _codes, _api = app_customer
    Customer.objects.filter(pk=customer.pk).update(suspension=Customer.Suspension.WRONG_ENTRIES)
    customer.refresh_from_db()
    with pytest.raises(CustomerSuspended):
        smart_banking_subscribe(customer=customer, challenge_id=None, security_answer="0000")
    customer.refresh_from_db()
    assert (customer.smart_banking_since, customer.wrong_entries) == (None, 0)


def test_the_api_needs_a_token():
    assert APIClient().get(URL).status_code in (401, 403)
