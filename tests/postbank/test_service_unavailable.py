"""Redis down: what needs the cache answers 503 with Retry-After (problem details on the
API, a page elsewhere), never a bare 500; work for the broker is left for its beat sweep."""

import json

import pytest
from celery import Celery
from django.test import override_settings
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from certcenter import ca as ca_ops
from certcenter.models import SmsCode
from postbank.middleware import ServiceUnavailableMiddleware
from postbank.outbox import task_publish
from tests.accounts.factories import AccountFactory
from tests.factories import CustomerFactory
from tests.transfers.conftest import card_holder
from tests.transfers.test_api import client_for
from tests.transfers.test_api import prepare as api_prepare

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: every cache or broker call fails to connect.
REDIS_DOWN = "redis://127.0.0.1:1/0"
CACHE_DOWN = override_settings(CACHES={"default": {
    "BACKEND": "postbank.cache.RedisCache", "LOCATION": REDIS_DOWN}})


def test_a_page_that_needs_the_cache_answers_503_with_retry_after_in_korean(client):
    ca_ops.ca_hierarchy_create(now=timezone.now())
    with CACHE_DOWN:
        response = client.get("/certcenter/crl", HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "서비스를 잠시 이용할 수 없습니다" in response.content.decode()


def test_an_api_call_whose_redis_is_down_answers_503_problem_details(rf):
    """What an API view raises when Redis cannot be reached (an unreachable cache or
    broker) is answered as problem details with Retry-After, never an HTML 500."""
    request = rf.post("/api/v1/anything/")
    response = ServiceUnavailableMiddleware(lambda request: None).process_exception(
        request, RedisConnectionError("Error 111 connecting to 127.0.0.1:1"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "30"
    assert json.loads(response.content)["code"] == "service_unavailable"


def test_the_sms_code_of_a_transfer_needs_no_redis():
    """The one-time SMS code is kept in PostgreSQL: with the cache down it is still sent."""
    sender = card_holder()
    sender.account = AccountFactory(owner=sender.customer, balance=6_000_000)
    receiver = AccountFactory(owner=CustomerFactory())
    client = client_for(sender.customer)
    prepared = api_prepare(client, {"from_account": sender.account.number, "bank_code": "071",
                                    "account_number": receiver.number, "amount": 4_000_000},
                           key="api-redis-down-1").json()
    with CACHE_DOWN:
        response = client.post(f"/api/v1/transfers/{prepared['id']}/sms-code/")
    assert response.status_code == 204
    assert SmsCode.objects.filter(customer=sender.customer, purpose="transfer").exists()


def test_a_task_whose_broker_is_down_is_logged_and_left_for_the_sweep(caplog):
    down = Celery("broker-down", set_as_current=False)
    # The tests' CELERY_BROKER_URL overrides `broker_url`; publishing uses the write URL.
    down.conf.broker_write_url = REDIS_DOWN

    @down.task(name="probe.settle")
    def settle(transfer_id):
        raise AssertionError("never runs: the broker is down")

    task_publish(settle, 42)
    assert "Broker unreachable: probe.settle(42,) left for its beat sweep" in caplog.text
