"""Transfer pages through Django's test client: the flow, the one-time form token, search,
detail, confirmation, owner scoping and both languages."""

import re
from datetime import datetime

import pytest
import time_machine

from accounts.models import Account, JournalEntry
from postbank import policy
from postbank.kst import KST
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.transfers.conftest import card_holder
from tests.transfers.factories import ClearingHouseAccountFactory
from transfers.models import ClearingHouseAccount, Transfer
from transfers.services import settlement_sweep, transfer_execute, transfer_prepare, transfer_settle

pytestmark = pytest.mark.django_db



@pytest.fixture
def holder(client):
    holder = card_holder(name="웹고객")
    holder.account = AccountFactory(owner=holder.customer, balance=300_000)
    client.force_login(holder.customer.user)
    return holder


def enter(client, holder, to_number, amount, token="form-token-0001"):  # noqa: S107
    return client.post(
        "/transfers/",
        {
            "from_account": holder.account.number,
            "bank_code": "071",
            "account_number": to_number,
            "amount": amount,
            "sender_memo": "회비",
            "recipient_memo": "",
            "form_token": token,
        },
    )


def signature_from_page(holder, html: str) -> str:
    """What certcenter/sign.js does in the browser: sign the form's data-sign-order."""
    return holder.sign_base64(re.search(r'data-sign-order="([^"]+)"', html).group(1))


def answer_from_page(holder, html: str) -> tuple[str, str]:
    challenge_id = re.search(r'name="challenge_id" value="([^"]+)"', html).group(1)
    first, second = (
        int(n) for n in re.search(r'data-first="(\d+)" data-second="(\d+)"', html).groups()
    )
    return challenge_id, holder.codes[first - 1][:2] + holder.codes[second - 1][2:]


def test_enter_inquire_confirm_and_see_the_result(client, holder):
    receiver = AccountFactory(owner=card_holder(name="받는분").customer)
    page = client.get("/transfers/")
    assert page.status_code == 200
    assert "5,000,000" in page.content.decode() and 'name="form_token"' in page.content.decode()
    response = enter(client, holder, receiver.formatted_number, "120,000")
    assert response.status_code == 302
    # The same form submitted twice (double click, reload) prepares one transfer.
    assert (
        enter(client, holder, receiver.formatted_number, "120,000")["Location"]
        == response["Location"]
    )
    confirm_page = client.get(response["Location"])
    html = confirm_page.content.decode()
    assert "받는분" in html and "120,000" in html
    assert 'name="cert_password"' in html and "js/certcenter/sign.js" in html
    challenge_id, answer = answer_from_page(holder, html)
    answers = {
        "account_password": ACCOUNT_PASSWORD,
        "challenge_id": challenge_id,
        "security_answer": answer,
        "signature": signature_from_page(holder, html),
    }
    done = client.post(response["Location"], answers)
    transfer = Transfer.objects.get()
    assert done["Location"] == f"/transfers/{transfer.public_id}/"
    again = client.post(response["Location"], answers)
    assert again["Location"] == done["Location"]
    assert JournalEntry.objects.filter(kind="transfer_postoffice").count() == 1
    assert Account.objects.get(pk=receiver.pk).balance == 120_000
    assert Account.objects.get(pk=holder.account.pk).balance == 180_000
    result = client.get(done["Location"]).content.decode()
    assert 'data-testid="status"' in result and "완료" in result
    assert holder.certificate.serial in result and "전자서명" in result
    assert transfer.signed_order_sha256 in result
    receipt = client.get(f"/transfers/{transfer.public_id}/receipt/").content.decode()
    assert str(transfer.public_id) in receipt and "120,000" in receipt
    assert holder.certificate.serial in receipt and "data-print" in receipt
    results = client.get("/transfers/results/", {"recipient": "받는"}).content.decode()
    assert results.count('data-testid="result-row"') == 1


def test_bad_input_is_shown_on_the_form_and_nothing_is_prepared(client, holder):
    response = enter(client, holder, holder.account.number, "1000")
    assert response.status_code == 200
    assert "같은 계좌" in response.content.decode() or "same account" in response.content.decode()
    response = enter(client, holder, AccountFactory().number, "0", token="form-token-0002")
    assert 'data-testid="error-amount"' in response.content.decode()
    assert not Transfer.objects.exists()


def test_wrong_password_shows_the_error_and_a_new_challenge(client, holder):
    receiver = AccountFactory()
    location = enter(client, holder, receiver.number, "1000")["Location"]
    html = client.get(location).content.decode()
    challenge_id, answer = answer_from_page(holder, html)
    page = client.post(
        location,
        {
            "account_password": "9999",
            "challenge_id": challenge_id,
            "security_answer": answer,
            "signature": signature_from_page(holder, html),
        },
    )
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="confirm-error"' in html
    assert answer_from_page(holder, html)[0] != challenge_id
    holder.customer.refresh_from_db()
    assert holder.customer.wrong_entries == 1
    assert Transfer.objects.get().status == Transfer.Status.PREPARED


def test_someone_elses_transfer_is_not_found(client, holder):
    receiver = AccountFactory()
    location = enter(client, holder, receiver.number, "1000")["Location"]
    transfer = Transfer.objects.get()
    client.force_login(card_holder().customer.user)
    for url in [
        location,
        f"/transfers/{transfer.public_id}/",
        f"/transfers/{transfer.public_id}/receipt/",
    ]:
        assert client.get(url).status_code == 404


def test_pages_speak_english_too(client, holder):
    client.cookies["django_language"] = "en"
    page = client.get("/transfers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Real time transfer" in page and "Check recipient" in page
    results = client.get("/transfers/results/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Search transfer results" in results
    location = enter(client, holder, AccountFactory().number, "1000")["Location"]
    confirm = client.get(location, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Confirm the transfer" in confirm and "Sign and transfer" in confirm
    assert "Certificate password" in confirm and "Security card: the first two digits" in confirm
    done = client.post(
        location,
        {"account_password": ACCOUNT_PASSWORD, "security_answer": "0000"},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Sign the transfer order with your joint certificate." in done


def test_search_refuses_a_period_over_a_year(client, holder):
    page = client.get(
        "/transfers/results/", {"date_from": "2025-01-01", "date_to": "2026-06-01"}
    ).content.decode()
    assert 'data-testid="search-error"' in page


def test_confirm_without_a_signature_is_refused_and_moves_nothing(client, holder):
    receiver = AccountFactory()
    location = enter(client, holder, receiver.number, "1000")["Location"]
    challenge_id, answer = answer_from_page(holder, client.get(location).content.decode())
    page = client.post(
        location,
        {
            "account_password": ACCOUNT_PASSWORD,
            "challenge_id": challenge_id,
            "security_answer": answer,
            "cert_password": "Cert-pass-2026!",
        },
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-code="signature_required"' in html and "공동인증서" in html
    assert Transfer.objects.get().status == Transfer.Status.PREPARED
    assert Account.objects.get(pk=receiver.pk).balance == 0
    assert Account.objects.get(pk=holder.account.pk).balance == 300_000
    assert not JournalEntry.objects.filter(kind="transfer_postoffice").exists()


def confirmed(holder, *, bank, number, amount, memo=""):
    """A transfer entered, signed and confirmed through the services."""
    transfer = transfer_prepare(
        customer=holder.customer,
        from_number=holder.account.number,
        bank_code=bank,
        account_number=number,
        amount=amount,
        sender_memo=memo,
    )
    challenge_id, answer = holder.answer()
    return transfer_execute(
        customer=holder.customer,
        transfer_id=transfer.public_id,
        account_password=ACCOUNT_PASSWORD,
        challenge_id=challenge_id,
        security_answer=answer,
        signature=holder.sign(transfer),
    )


def test_rejected_and_timed_out_transfers_show_failed_with_the_reason(client, holder):
    ClearingHouseAccountFactory(
        bank_code="081",
        number="35791024681357",
        holder_name="최하나",
        outcome=ClearingHouseAccount.Outcome.REJECT,
        reject_reason="해지된 계좌",
    )
    ClearingHouseAccountFactory(
        bank_code="090",
        number="3333012345678",
        holder_name="정카카오",
        outcome=ClearingHouseAccount.Outcome.TIMEOUT,
    )
    start = datetime(2026, 3, 2, 10, 0, tzinfo=KST)
    with time_machine.travel(start, tick=False):
        rejected = confirmed(holder, bank="081", number="35791024681357", amount=70_000)
        timed_out = confirmed(holder, bank="090", number="3333012345678", amount=40_000)
        assert Account.objects.get(pk=holder.account.pk).balance == 300_000 - 70_500 - 40_500
        transfer_settle(transfer_id=rejected.pk)
        settling = client.get(f"/transfers/{timed_out.public_id}/").content.decode()
        assert "status-settling" in settling and "타행 결제 처리 중" in settling
    with time_machine.travel(start + policy.TRANSFER_SETTLEMENT_TIMEOUT, tick=False):
        assert settlement_sweep() == {"settled": 1, "expired": 0, "errors": 0}
        for transfer, reason in [
            (rejected, "해지된 계좌"),
            (timed_out, "상대 은행이 제한 시간 안에 응답하지 않았습니다."),
        ]:
            page = client.get(f"/transfers/{transfer.public_id}/").content.decode()
            assert "status-failed" in page and "실패" in page
            assert f'data-testid="failure-reason">{reason}<' in page
            assert 'data-testid="reversed"' in page
            receipt = client.get(f"/transfers/{transfer.public_id}/receipt/").content.decode()
            assert f"실패 ({reason})" in receipt
        failed = client.get("/transfers/results/", {"status": "failed", "date_from": "2026-03-01"})
        assert failed.content.decode().count('data-testid="result-row"') == 2
    assert Account.objects.get(pk=holder.account.pk).balance == 300_000
    assert JournalEntry.objects.filter(kind="transfer_reversal").count() == 2


def test_results_are_searched_by_kst_period_status_and_recipient(client, holder):
    first = AccountFactory(owner=card_holder(name="김첫째").customer)
    second = AccountFactory(owner=card_holder(name="이둘째").customer)
    # 23:59 KST on 2 March is still 2 March; 00:01 KST on 3 March is already the next day.
    for instant, target, amount in [
        (datetime(2026, 3, 2, 23, 59, tzinfo=KST), first, 10_000),
        (datetime(2026, 3, 3, 0, 1, tzinfo=KST), second, 20_000),
        (datetime(2026, 3, 10, 12, 0, tzinfo=KST), first, 30_000),
    ]:
        with time_machine.travel(instant, tick=False):
            confirmed(holder, bank="071", number=target.number, amount=amount)
    with time_machine.travel(datetime(2026, 3, 11, 9, 0, tzinfo=KST), tick=False):

        def amounts(**query):
            html = client.get("/transfers/results/", query).content.decode()
            return re.findall(r'<td class="num" data-label="[^"]*">([\d,]+)</td>', html)

        assert amounts() == ["30,000", "20,000", "10,000"]
        assert amounts(date_from="2026-03-02", date_to="2026-03-02") == ["10,000"]
        assert amounts(date_from="2026-03-03", date_to="2026-03-09") == ["20,000"]
        assert amounts(recipient="김첫째") == ["30,000", "10,000"]
        assert amounts(recipient=second.formatted_number) == ["20,000"]
        assert amounts(status="completed", recipient="이둘") == ["20,000"]
        assert amounts(status="failed") == []
        assert amounts(date_from="2026-03-04", date_to="2026-03-09") == []
