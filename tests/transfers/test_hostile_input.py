"""Hostile values on every transfers door (API and pages): huge numbers, NUL, long texts,
wrong JSON types, out-of-range dates. Each answers a 4xx (a problem `code` on the API, the
form again on a page), never a 500, and nothing moves."""

import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD
from tests.transfers.conftest import ledger_snapshot
from tests.transfers.test_api import client_for
from tests.transfers.test_api import prepare as api_prepare
from tests.transfers.test_execute import prepare

pytestmark = pytest.mark.django_db

HOSTILE = [
    10**19,
    10**400,
    "9" * 400,
    "1e400",
    "\x00",
    "12\x0034",
    "x" * 100_000,
    [],
    {},
    None,
]


def short(value) -> str:
    return repr(value)[:16]


def refused_or_accepted(response) -> int:
    """Never a 500: a 4xx is a problem document with a code."""
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"]
    return response.status_code


@pytest.fixture
def api(sender):
    client = client_for(sender.customer)
    client.raise_request_exception = False
    return client


def problem_code(response) -> str:
    assert response.status_code < 500, response.content[:300]
    assert 400 <= response.status_code < 500, response.status_code
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()["code"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"page": str(10**19)}, "invalid_input"),
        ({"page": "10001"}, "invalid_input"),
        ({"page": "-1"}, "invalid_input"),
        ({"page": "1\x00"}, "invalid_input"),
        ({"date_to": "9999-12-31"}, "invalid_period"),
        ({"date_from": "9999-12-31"}, "invalid_period"),
        ({"date_from": "0001-01-01"}, "invalid_period"),
        ({"date_to": "0001-01-01"}, "invalid_period"),
        ({"date_from": "0001-01-01", "date_to": "0001-01-02"}, "invalid_period"),
        ({"date_from": "2026-13-45"}, "invalid_input"),
        ({"status": "\x00"}, "invalid_input"),
        ({"recipient": "x" * 10_000}, "invalid_input"),
    ],
)
def test_search_api_refuses_hostile_parameters(api, params, code):
    response = api.get("/api/v1/transfers/results/", params)
    assert problem_code(response) == code


def test_search_api_last_allowed_page_is_empty_not_an_error(api):
    response = api.get("/api/v1/transfers/results/", {"page": "10000"})
    assert response.status_code == 200
    assert response.json() == {"count": 0, "page": 10000, "results": []}


@pytest.mark.parametrize("value", HOSTILE, ids=short)
@pytest.mark.parametrize(
    "field", ["from_account", "bank_code", "account_number", "amount", "sender_memo"]
)
def test_prepare_and_inquiry_api_refuse_hostile_values(api, sender, receiver, field, value):
    body = {
        "from_account": sender.account.number,
        "bank_code": "071",
        "account_number": receiver.number,
        "amount": 1_000,
        "sender_memo": "",
        field: value,
    }
    before = ledger_snapshot()
    if field not in ("amount", "sender_memo"):  # the inquiry has neither
        problem_code(api.post("/api/v1/transfers/inquiry/", body, format="json"))
    response = api_prepare(api, body, key="hostile-key-0001")
    if field == "sender_memo":  # a short text ("True", "1.5") is a valid memo
        refused_or_accepted(response)
    else:
        problem_code(response)
    assert ledger_snapshot() == before


@pytest.mark.parametrize("value", HOSTILE, ids=short)
@pytest.mark.parametrize(
    "field", ["account_password", "challenge_id", "security_answer", "signature", "sms_code"]
)
def test_confirm_api_refuses_hostile_values_and_nothing_moves(api, sender, receiver, field, value):
    prepared = api_prepare(
        api,
        {
            "from_account": sender.account.number,
            "bank_code": "071",
            "account_number": receiver.number,
            "amount": 1_000,
        },
        key="hostile-key-0002",
    ).json()
    body = {
        "account_password": "0000",
        "challenge_id": prepared["challenge"]["challenge_id"],
        "security_answer": "0000",
        "signature": sender.sign_base64(prepared["order"]),
        "sms_code": "",
        field: value,
    }
    before = ledger_snapshot()
    response = api.post(f"/api/v1/transfers/{prepared['id']}/confirm/", body, format="json")
    problem_code(response)
    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/transfers/00000000-0000-0000-0000-000000000000/",
        "/api/v1/transfers/00000000-0000-0000-0000-000000000000/confirm/",
        "/api/v1/transfers/00000000-0000-0000-0000-000000000000/challenge/",
        "/api/v1/transfers/00000000-0000-0000-0000-000000000000/sms-code/",
    ],
)
def test_unknown_transfer_ids_are_404_problems(api, path):
    response = api.get(path) if path.count("/") == 5 else api.post(path, {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "transfer_not_found"


@pytest.fixture
def browser_client(sender):
    client = Client(raise_request_exception=False)
    assert client.login(username=sender.customer.user.username, password=DEFAULT_PASSWORD)
    return client


@pytest.mark.parametrize(
    "query",
    [
        {"page": str(10**19)},
        {"page": "\x00"},
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_to": "0001-01-01"},
        {"date_from": "9999-12-31", "date_to": "9999-12-31"},
        {"status": "\x00"},
        {"recipient": "\x00" * 10},
        {"recipient": "x" * 10_000},
    ],
)
def test_results_page_never_fails_on_hostile_queries(browser_client, query):
    response = browser_client.get("/transfers/results/", query)
    assert response.status_code == 200
    if "date_to" in query or "date_from" in query:
        assert response.context["error"] and response.context["page"] is None


@pytest.mark.parametrize("value", ["9" * 400, "\x00", "1e400", "x" * 5000, "12\x0034"])
@pytest.mark.parametrize("field", ["from_account", "bank_code", "account_number", "amount"])
def test_new_transfer_page_shows_the_form_again(browser_client, sender, receiver, field, value):
    body = {
        "from_account": sender.account.number,
        "bank_code": "071",
        "account_number": receiver.number,
        "amount": "1000",
        "form_token": "hostile-form-token-1",
        field: value,
    }
    before = ledger_snapshot()
    response = browser_client.post("/transfers/", body)
    assert response.status_code == 200
    assert ledger_snapshot() == before


@pytest.mark.parametrize("value", ["\x00", "9" * 400, "x" * 10_000])
@pytest.mark.parametrize(
    "field", ["account_password", "challenge_id", "security_answer", "signature", "sms_code"]
)
def test_confirm_page_shows_the_form_again(browser_client, sender, receiver, field, value):
    transfer = prepare(sender, receiver.number, 1_000)
    body = {
        "account_password": "0000",
        "challenge_id": "1",
        "security_answer": "0000",
        "signature": "",
        "sms_code": "",
        field: value,
    }
    before = ledger_snapshot()
    response = browser_client.post(f"/transfers/{transfer.public_id}/confirm/", body)
    assert response.status_code in (200, 302)
    assert ledger_snapshot() == before
