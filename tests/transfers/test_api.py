"""The transfer API: problem details with codes, Idempotency-Key, owner-scoped reads."""

import base64
import json
from datetime import datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Account, JournalEntry
from accounts.numbers import account_number_make
from enrollment.models import ApiToken, Customer
from enrollment.services import api_token_issue
from postbank.kst import KST
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.transfers.conftest import card_holder, ledger_snapshot
from tests.transfers.factories import ClearingHouseAccountFactory
from transfers.models import Transfer

pytestmark = pytest.mark.django_db



@pytest.fixture
def holder():
    holder = card_holder(name="앱사용자")
    holder.account = AccountFactory(owner=holder.customer, balance=500_000)
    return holder


def client_for(customer) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + api_token_issue(user=customer.user))
    return client


def order(holder, to_number, amount, **extra):
    return {
        "from_account": holder.account.formatted_number,
        "bank_code": "071",
        "account_number": to_number,
        "amount": amount,
        **extra,
    }


def prepare(client, body, key="api-key-00000001"):
    return client.post("/api/v1/transfers/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def confirm(client, holder, prepared, **answers):
    """Signs the order the prepare call answered, asks for a challenge and confirms; the
    card answer is right unless `answers` overrides it."""
    transfer_id = prepared["id"]
    challenge = client.post(f"/api/v1/transfers/{transfer_id}/challenge/").json()
    body = {
        "account_password": ACCOUNT_PASSWORD,
        "challenge_id": challenge["challenge_id"],
        "security_answer": card_answer(holder, challenge),
        "signature": holder.sign_base64(prepared["order"]),
        **answers,
    }
    return client.post(f"/api/v1/transfers/{transfer_id}/confirm/", body, format="json")


def card_answer(holder, challenge) -> str:
    return (
        holder.codes[challenge["first_index"] - 1][:2]
        + holder.codes[challenge["second_index"] - 1][2:]
    )


def test_full_flow_inquiry_prepare_confirm_replay_and_read(holder):
    receiver = AccountFactory(owner=card_holder(name="받는사람").customer)
    client = client_for(holder.customer)
    inquiry = client.post(
        "/api/v1/transfers/inquiry/",
        {
            "from_account": holder.account.number,
            "bank_code": "071",
            "account_number": receiver.formatted_number,
        },
        format="json",
    )
    assert inquiry.status_code == 200
    assert inquiry.json() == {
        "kind": "postoffice",
        "bank_code": "071",
        "account_number": receiver.number,
        "recipient_name": "받는사람",
        "fee": 0,
    }

    created = prepare(client, order(holder, receiver.number, 75_000, sender_memo="점심"))
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["recipient_name"], body["amount"]) == (
        "prepared",
        "받는사람",
        75_000,
    )
    signed = json.loads(base64.b64decode(body["order"]))
    assert (signed["transfer"], signed["amount"]) == (body["id"], 75_000)
    replay = prepare(client, order(holder, receiver.number, 75_000, sender_memo="점심"))
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == body["id"]

    challenge = client.post(f"/api/v1/transfers/{body['id']}/challenge/").json()
    assert challenge["kind"] == "security_card"
    assert 1 <= challenge["first_index"] <= 35
    done = client.post(
        f"/api/v1/transfers/{body['id']}/confirm/",
        {
            "account_password": ACCOUNT_PASSWORD,
            "challenge_id": challenge["challenge_id"],
            "security_answer": card_answer(holder, challenge),
            "signature": holder.sign_base64(body["order"]),
        },
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed"
    assert done.json()["signer_certificate_serial"] == holder.certificate.serial
    assert base64.b64decode(done.json()["signature"]) == holder.sign_bytes(
        base64.b64decode(body["order"])
    )
    again = confirm(client, holder, body, security_answer="0000")
    assert again.status_code == 200 and again.json()["status"] == "completed"
    assert Account.objects.get(pk=receiver.pk).balance == 75_000
    assert JournalEntry.objects.filter(kind="transfer_postoffice").count() == 1

    detail = client.get(f"/api/v1/transfers/{body['id']}/")
    assert detail.status_code == 200 and detail.json()["sender_memo"] == "점심"
    found = client.get("/api/v1/transfers/results/", {"status": "completed", "recipient": "받는"})
    assert found.json()["count"] == 1
    assert client.get("/api/v1/transfers/results/", {"status": "failed"}).json()["count"] == 0

    stranger = client_for(card_holder().customer)
    missing = stranger.get(f"/api/v1/transfers/{body['id']}/")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert (
        stranger.post(
            f"/api/v1/transfers/{body['id']}/confirm/",
            {"account_password": "1234", "security_answer": "0000"},
            format="json",
        ).status_code
        == 404
    )


def test_same_key_different_body_and_missing_key(holder):
    receiver = AccountFactory()
    client = client_for(holder.customer)
    assert prepare(client, order(holder, receiver.number, 1_000)).status_code == 201
    reused = prepare(client, order(holder, receiver.number, 2_000))
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    missing = client.post(
        "/api/v1/transfers/", order(holder, receiver.number, 1_000), format="json"
    )
    assert (missing.status_code, missing.json()["code"]) == (400, "idempotency_key_required")
    assert Transfer.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"amount": 0}, 400, "invalid_amount"),
        ({"amount": -10}, 400, "invalid_amount"),
        ({"amount": 10.5}, 400, "invalid_amount"),
        ({"amount": "1.5"}, 400, "invalid_amount"),
        ({"bank_code": "999"}, 400, "unknown_bank"),
        ({"account_number": "12345"}, 400, "invalid_account_number"),
        ({"amount": 5_000_001}, 409, "transfer_limit_exceeded"),
    ],
)
def test_bad_input_answers_a_problem_code_and_nothing_moves(holder, change, status, code):
    receiver = AccountFactory()
    client = client_for(holder.customer)
    before = ledger_snapshot()
    response = prepare(client, {**order(holder, receiver.number, 1_000), **change})
    assert response.status_code == status, response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert ledger_snapshot() == before
    assert not Transfer.objects.exists()


def test_own_account_both_ends_and_someone_elses_source(holder):
    client = client_for(holder.customer)
    same = prepare(client, order(holder, holder.account.number, 1_000))
    assert same.json()["code"] == "same_account"
    other = AccountFactory(balance=50_000)
    theirs = prepare(
        client,
        {**order(holder, holder.account.number, 1_000), "from_account": other.number},
        key="api-key-00000002",
    )
    assert theirs.status_code == 404
    assert Account.objects.get(pk=other.pk).balance == 50_000


def test_limit_refusal_states_the_limit_and_what_is_left(holder):
    holder.customer.own_limit_per_day = 100_000
    holder.customer.save(update_fields=["own_limit_per_day"])
    response = prepare(client_for(holder.customer), order(holder, AccountFactory().number, 100_001))
    problem = response.json()
    assert (response.status_code, problem["code"]) == (409, "daily_limit_exceeded")
    assert (problem["daily_limit"], problem["remaining_today"]) == (100_000, 100_000)
    assert "100,000" in problem["detail"]


def test_refused_confirmation_repeats_the_same_problem(holder):
    client = client_for(holder.customer)
    body = prepare(client, order(holder, AccountFactory().number, 500_001)).json()
    before = ledger_snapshot()
    first = confirm(client, holder, body)
    assert (first.status_code, first.json()["code"]) == (409, "insufficient_funds")
    second = confirm(client, holder, body, security_answer="1111")
    assert (second.status_code, second.json()["code"]) == (409, "insufficient_funds")
    assert ledger_snapshot() == before


def test_interbank_through_the_api_shows_fee_and_settling(holder):
    ClearingHouseAccountFactory(bank_code="004", number="94370200123456", holder_name="김국민")
    client = client_for(holder.customer)
    body = prepare(client, {**order(holder, "94370200123456", 10_000), "bank_code": "004"}).json()
    assert (body["kind"], body["fee"], body["bank_name"]) == ("interbank", 500, "KB")
    done = confirm(client, holder, body).json()
    assert done["status"] == "settling"
    assert Account.objects.get(pk=holder.account.pk).balance == 489_500


def test_schema_documents_the_transfer_operations(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in [
        "/api/v1/transfers/",
        "/api/v1/transfers/inquiry/",
        "/api/v1/transfers/results/",
        "/api/v1/transfers/{public_id}/",
        "/api/v1/transfers/{public_id}/challenge/",
        "/api/v1/transfers/{public_id}/confirm/",
    ]:
        assert path in schema["paths"]


def test_every_bad_end_is_a_problem_code_and_nothing_moves(holder):
    client = client_for(holder.customer)
    receiver = AccountFactory(balance=7_000)
    wrong_digit = receiver.number[:13] + str((int(receiver.number[13]) + 1) % 10)
    nobody = account_number_make(office="099999", subject="01", serial=4)
    frozen = AccountFactory(status=Account.Status.FROZEN)
    before = ledger_snapshot()
    cases = [
        ({"account_number": wrong_digit}, 400, "invalid_account_number"),
        ({"account_number": nobody}, 400, "recipient_not_found"),
        ({"bank_code": "088", "account_number": "999999999999"}, 400, "recipient_not_found"),
        ({"account_number": frozen.number}, 409, "recipient_account_not_active"),
    ]
    for index, (change, status, code) in enumerate(cases):
        body = {**order(holder, receiver.number, 1_000), **change}
        response = prepare(client, body, key=f"bad-end-{index:04d}")
        assert (response.status_code, response.json()["code"]) == (status, code), change
        assert response["Content-Type"] == "application/problem+json"
    Account.objects.filter(pk=holder.account.pk).update(status=Account.Status.FROZEN)
    response = prepare(client, order(holder, receiver.number, 1_000), key="bad-end-frozen")
    assert (response.status_code, response.json()["code"]) == (409, "account_not_active")
    Account.objects.filter(pk=holder.account.pk).update(status=Account.Status.ACTIVE)
    Customer.objects.filter(pk=holder.customer.pk).update(suspension="wrong_entries")
    response = prepare(client, order(holder, receiver.number, 1_000), key="bad-end-suspend")
    assert (response.status_code, response.json()["code"]) == (403, "customer_suspended")
    assert ledger_snapshot() == before
    assert not Transfer.objects.exists()


def test_prepare_answers_the_challenge_so_two_calls_transfer(holder):
    receiver = AccountFactory(balance=0)
    client = client_for(holder.customer)
    prepared = prepare(client, order(holder, receiver.number, 4_000), key="two-calls-0001").json()
    challenge = prepared["challenge"]
    assert challenge["kind"] == "security_card" and challenge["challenge_id"]
    done = client.post(
        f"/api/v1/transfers/{prepared['id']}/confirm/",
        {
            "account_password": ACCOUNT_PASSWORD,
            "challenge_id": challenge["challenge_id"],
            "security_answer": card_answer(holder, challenge),
            "signature": holder.sign_base64(prepared["order"]),
        },
        format="json",
    )
    assert (done.status_code, done.json()["status"]) == (200, "completed")
    assert Account.objects.get(pk=receiver.pk).balance == 4_000
    replay = prepare(client, order(holder, receiver.number, 4_000), key="two-calls-0001").json()
    assert (replay["status"], replay["challenge"]) == ("completed", None)
    assert JournalEntry.objects.filter(kind="transfer_postoffice").count() == 1


def test_the_app_token_records_its_last_use_at_most_once_a_minute_and_still_ends_idle(holder):
    """A transfer app calls the API twice per transfer: the token's last use is written at
    most once a minute, and the token still ends 10 minutes after the last recorded use."""
    start = datetime(2026, 5, 4, 10, 0, 0, tzinfo=KST)
    with time_machine.travel(start, tick=False) as traveller:
        client = client_for(holder.customer)
        token = ApiToken.objects.get(user=holder.customer.user)
        traveller.shift(timedelta(seconds=59))
        assert client.get("/api/v1/transfers/results/").status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == start
        traveller.shift(timedelta(seconds=1))
        assert client.get("/api/v1/transfers/results/").status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == start + timedelta(minutes=1)
        traveller.shift(timedelta(minutes=9, seconds=59))
        assert client.get("/api/v1/transfers/results/").status_code == 200
        traveller.shift(timedelta(minutes=10, seconds=1))
        expired = client.get("/api/v1/transfers/results/")
    assert (expired.status_code, expired.json()["code"]) == (401, "authentication_failed")
    assert not ApiToken.objects.filter(pk=token.pk).exists()
