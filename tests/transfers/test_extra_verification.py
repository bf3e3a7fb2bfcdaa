"""Fraud prevention: a transfer that brings the KST-day total above
policy.EXTRA_VERIFICATION_DAILY_WON (3,000,000 won) needs a designated device or the
one-time SMS code, on every channel; without it nothing moves and the transfer stays
prepared."""

import re

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import Account
from certcenter import devices
from certcenter.models import DesignatedDevice
from enrollment.models import Notification
from postbank import policy
from tests.accounts.factories import ACCOUNT_PASSWORD
from tests.factories import CustomerFactory
from tests.transfers.conftest import ledger_snapshot
from tests.transfers.test_api import card_answer, client_for
from tests.transfers.test_api import prepare as api_prepare
from tests.transfers.test_execute import prepare
from transfers.models import DailyUsage, Transfer
from transfers.services import (
    ExtraVerificationCodeWrong,
    ExtraVerificationRequired,
    extra_verification_sms_send,
    transfer_execute,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich(sender):
    """The general-grade sender (security card) with 6,000,000 won."""
    Account.objects.filter(pk=sender.account.pk).update(balance=6_000_000)
    sender.account.refresh_from_db()
    assert sender.customer.grade == "general"
    return sender


def execute(holder, transfer, **extra):
    challenge_id, answer = holder.answer()
    return transfer_execute(
        customer=holder.customer,
        transfer_id=transfer.public_id,
        account_password=ACCOUNT_PASSWORD,
        challenge_id=challenge_id,
        security_answer=answer,
        signature=holder.sign(transfer),
        **extra,
    )


def designate(customer) -> str:
    token = devices.device_token_new()
    DesignatedDevice.objects.create(
        customer=customer, label="PC", device_hash=devices._device_hash(token)
    )
    return token


def sms_sent(customer) -> str:
    """The code from the last SMS in the customer's outbox (what the phone receives)."""
    text = Notification.objects.filter(customer=customer).latest("pk").text
    return re.search(r"\b(\d{6})\b", text).group(1)


def balances(*accounts) -> tuple:
    return tuple(Account.objects.get(pk=a.pk).balance for a in accounts)


def test_policy_threshold_is_three_million():
    assert policy.EXTRA_VERIFICATION_DAILY_WON == 3_000_000


def test_four_million_without_device_or_code_refused_and_nothing_moved(rich, receiver):
    transfer = prepare(rich, receiver.number, 4_000_000)
    before = ledger_snapshot()
    with pytest.raises(ExtraVerificationRequired) as refused:
        execute(rich, transfer)
    assert refused.value.code == "extra_verification_required"
    assert refused.value.extra["threshold"] == 3_000_000
    assert ledger_snapshot() == before
    assert balances(rich.account, receiver) == (6_000_000, 10_000)
    transfer.refresh_from_db()
    assert (transfer.status, transfer.entry_id) == ("prepared", None)
    assert not DailyUsage.objects.filter(customer=rich.customer).exists()
    # a device someone else designated does not count
    other_token = designate(CustomerFactory())
    with pytest.raises(ExtraVerificationRequired):
        execute(rich, transfer, device_token=other_token)
    assert ledger_snapshot() == before


def test_four_million_from_a_designated_device_moves_the_money(rich, receiver):
    token = designate(rich.customer)
    transfer = prepare(rich, receiver.number, 4_000_000)
    done = execute(rich, transfer, device_token=token)
    assert done.status == Transfer.Status.COMPLETED
    assert balances(rich.account, receiver) == (2_000_000, 4_010_000)
    assert done.entry.postings.count() == 2
    assert DailyUsage.objects.get(customer=rich.customer).used == 4_000_000


def test_four_million_with_the_right_sms_code_moves_the_money_once(rich, receiver):
    transfer = prepare(rich, receiver.number, 4_000_000)
    extra_verification_sms_send(customer=rich.customer, transfer=transfer)
    before = ledger_snapshot()
    with pytest.raises(ExtraVerificationCodeWrong):
        execute(rich, transfer, sms_code="000000" if sms_sent(rich.customer) != "000000" else "1")
    assert ledger_snapshot() == before
    transfer.refresh_from_db()
    assert transfer.status == "prepared"
    done = execute(rich, transfer, sms_code=sms_sent(rich.customer))
    assert done.status == Transfer.Status.COMPLETED
    assert balances(rich.account, receiver) == (2_000_000, 4_010_000)
    # the code is single use: a second transfer above the threshold needs a new one
    second = prepare(rich, receiver.number, 1_000)
    with pytest.raises(ExtraVerificationCodeWrong):
        execute(rich, second, sms_code=sms_sent(rich.customer))
    assert balances(rich.account, receiver) == (2_000_000, 4_010_000)


def test_the_sms_code_and_the_confirmation_need_no_redis(rich, receiver):
    """The SMS code is kept in PostgreSQL: with the cache's Redis unreachable, a transfer
    above the threshold is still confirmed with it."""
    closed_port = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=closed_port):
        with pytest.raises(Exception, match=r"(?i)connect"):
            cache.get("anything")  # the cache is really unreachable
        transfer = prepare(rich, receiver.number, 4_000_000)
        extra_verification_sms_send(customer=rich.customer, transfer=transfer)
        done = execute(rich, transfer, sms_code=sms_sent(rich.customer))
    assert done.status == Transfer.Status.COMPLETED
    assert balances(rich.account, receiver) == (2_000_000, 4_010_000)


def test_the_day_total_counts_and_exactly_three_million_needs_nothing(rich, receiver):
    first = execute(rich, prepare(rich, receiver.number, 2_000_000))
    assert first.status == "completed"
    exactly = execute(rich, prepare(rich, receiver.number, 1_000_000))
    assert exactly.status == "completed"
    assert DailyUsage.objects.get(customer=rich.customer).used == 3_000_000
    above = prepare(rich, receiver.number, 1)
    before = ledger_snapshot()
    with pytest.raises(ExtraVerificationRequired):
        execute(rich, above)
    assert ledger_snapshot() == before
    assert balances(rich.account, receiver) == (3_000_000, 3_010_000)
    assert DailyUsage.objects.get(customer=rich.customer).used == 3_000_000


def test_the_threshold_is_checked_again_under_the_lock(rich, receiver):
    """A transfer checked while the day was below the threshold and posted after another
    one passed it is refused by transfer_post and stays prepared."""
    from transfers.services import transfer_post

    late = prepare(rich, receiver.number, 2_000_000)
    execute(rich, prepare(rich, receiver.number, 2_000_000))
    before = ledger_snapshot()
    with pytest.raises(ExtraVerificationRequired):
        transfer_post(
            transfer_id=late.pk,
            signed_order=b"order",
            signature=b"signature",
            signer_certificate_serial="01",
            channel="web",
        )
    assert ledger_snapshot() == before
    late.refresh_from_db()
    assert late.status == "prepared"
    assert DailyUsage.objects.get(customer=rich.customer).used == 2_000_000


def test_api_tells_how_to_satisfy_it_and_accepts_the_sms_code(rich, receiver):
    client = client_for(rich.customer)
    body = {
        "from_account": rich.account.number,
        "bank_code": "071",
        "account_number": receiver.number,
        "amount": 4_000_000,
    }
    prepared = api_prepare(client, body, key="api-extra-0001").json()
    assert prepared["extra_verification"] == "sms_code"
    url = f"/api/v1/transfers/{prepared['id']}/"
    signature = rich.sign_base64(prepared["order"])

    def confirm(**more):
        challenge = client.post(url + "challenge/").json()
        return client.post(
            url + "confirm/",
            {
                "account_password": ACCOUNT_PASSWORD,
                "challenge_id": challenge["challenge_id"],
                "security_answer": card_answer(rich, challenge),
                "signature": signature,
                **more,
            },
            format="json",
        )

    before = ledger_snapshot()
    refused = confirm()
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "extra_verification_required"
    assert problem["satisfy_with"] == ["designated_device", "sms_code"]
    assert ledger_snapshot() == before
    assert client.post(url + "sms-code/").status_code == 204
    done = confirm(sms_code=sms_sent(rich.customer))
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed"
    assert balances(rich.account, receiver) == (2_000_000, 4_010_000)
    assert client.post(url + "sms-code/").json()["code"] == "transfer_not_prepared"


def test_api_prepare_says_designated_device_and_under_the_threshold_none(rich, receiver):
    client = client_for(rich.customer)
    client.cookies[devices.DEVICE_COOKIE] = designate(rich.customer)
    body = {"from_account": rich.account.number, "bank_code": "071",
            "account_number": receiver.number}
    big = api_prepare(client, {**body, "amount": 4_000_000}, key="api-extra-0002").json()
    assert big["extra_verification"] == "designated_device"
    small = api_prepare(client, {**body, "amount": 10_000}, key="api-extra-0003").json()
    assert small["extra_verification"] == "none"


def test_confirm_page_asks_for_the_sms_code_and_sends_it(rich, receiver):
    from tests.factories import DEFAULT_PASSWORD

    client = Client()
    assert client.login(username=rich.customer.user.username, password=DEFAULT_PASSWORD)
    transfer = prepare(rich, receiver.number, 4_000_000)
    page = client.get(reverse("transfers:confirm", args=[transfer.public_id]))
    html = page.content.decode()
    assert 'data-testid="sms-code"' in html and 'data-testid="sms-send"' in html
    assert "SMS 인증번호 받기" in html and "하루 300만 원을 넘는 이체에는" in html
    before = Notification.objects.filter(customer=rich.customer).count()
    sent = client.post(reverse("transfers:sms-code", args=[transfer.public_id]))
    assert sent.status_code == 302
    assert Notification.objects.filter(customer=rich.customer).count() == before + 1
    # a device designated for this browser needs no code
    client.cookies[devices.DEVICE_COOKIE] = designate(rich.customer)
    html = client.get(reverse("transfers:confirm", args=[transfer.public_id])).content.decode()
    assert 'data-testid="designated-device"' in html and 'data-testid="sms-code"' not in html
