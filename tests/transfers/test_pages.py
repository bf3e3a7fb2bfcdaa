"""Transfer pages through Django's test client: the flow, the one-time form token, search,
detail, confirmation, owner scoping and both languages."""

import re

import pytest

from accounts.models import Account, JournalEntry
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.transfers.conftest import card_holder
from transfers.models import Transfer

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
