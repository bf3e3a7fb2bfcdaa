"""The counter site: operators keep the clearing house directory and its outcomes; tellers
and operators read transfers (with the signature evidence) and change none."""

import pytest
from django.contrib.auth.models import Group

from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.factories import UserFactory
from tests.transfers.conftest import card_holder
from tests.transfers.factories import ClearingHouseAccountFactory
from transfers.models import ClearingHouseAccount
from transfers.services import transfer_execute, transfer_prepare

pytestmark = pytest.mark.django_db


def staff(client, group: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def test_operator_sets_what_the_other_bank_answers(client):
    entry = ClearingHouseAccountFactory(bank_code="081", number="35791024681357")
    staff(client, "operator")
    url = f"/counter/transfers/clearinghouseaccount/{entry.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    saved = client.post(
        url,
        {
            "bank_code": "081",
            "number": "35791024681357",
            "holder_name": "최하나",
            "outcome": "reject",
            "reject_reason": "해지된 계좌",
        },
    )
    assert saved.status_code == 302
    entry.refresh_from_db()
    assert (entry.outcome, entry.reject_reason) == ("reject", "해지된 계좌")
    # A rejection needs a reason (the customer is shown it).
    refused = client.post(
        url,
        {
            "bank_code": "081",
            "number": "35791024681357",
            "holder_name": "최하나",
            "outcome": "reject",
            "reject_reason": "",
        },
    )
    assert refused.status_code == 200
    entry.refresh_from_db()
    assert entry.reject_reason == "해지된 계좌"
    assert client.get("/counter/transfers/transfer/").status_code == 200
    assert client.get("/counter/transfers/transfer/add/").status_code == 403


def test_teller_reads_transfers_but_not_the_directory(client):
    ClearingHouseAccountFactory()
    staff(client, "teller")
    assert client.get("/counter/transfers/transfer/").status_code == 200
    assert client.get("/counter/transfers/clearinghouseaccount/").status_code == 403
    assert ClearingHouseAccount.objects.count() == 1


def test_a_transfer_on_the_counter_shows_the_signed_order(client):
    holder = card_holder(name="창구조회")
    holder.account = AccountFactory(owner=holder.customer, balance=10_000)
    transfer = transfer_prepare(
        customer=holder.customer,
        from_number=holder.account.number,
        bank_code="071",
        account_number=AccountFactory().number,
        amount=3_000,
    )
    challenge_id, answer = holder.answer()
    transfer_execute(
        customer=holder.customer,
        transfer_id=transfer.public_id,
        account_password=ACCOUNT_PASSWORD,
        challenge_id=challenge_id,
        security_answer=answer,
        signature=holder.sign(transfer),
    )
    transfer.refresh_from_db()
    staff(client, "teller")
    page = client.get(f"/counter/transfers/transfer/{transfer.pk}/change/").content.decode()
    assert holder.certificate.serial in page
    assert transfer.signature_base64 in page
    assert str(transfer.public_id) in page and "&quot;amount&quot;:3000" in page
