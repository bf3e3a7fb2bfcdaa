"""A real-time transfer in Chromium: enter, recipient inquiry, confirm with the account
password, the security card and the joint-certificate signature made in the browser
(certcenter/sign.js), then the result, the printable confirmation and the search; the same
pages at phone width."""

import base64
import re
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect

from accounts.models import Account, JournalEntry
from certcenter import client as device
from enrollment.models import Notification
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.factories import DEFAULT_PASSWORD
from tests.transfers.conftest import card_holder
from transfers.models import Transfer

pytestmark = pytest.mark.django_db(transaction=True)
CERT_PASSWORD = "Transfer-cert-2026!"


@pytest.fixture
def holder():
    holder = card_holder(name="브라우저고객")
    holder.account = AccountFactory(owner=holder.customer, balance=500_000)
    holder.certify()
    return holder


def _login(page, live_server, holder, next_url):
    page.goto(f"{live_server.url}/login/?next={next_url}")
    page.fill("#id_user_id", holder.customer.user.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"**{next_url}")


def _store_certificate(page, holder):
    """Puts the holder's certificate and password-encrypted key (signPri.key form) into the
    browser's certificate store, as an import from files would."""
    encrypted = device.private_key_encrypt(holder.key, CERT_PASSWORD)
    page.evaluate(
        """async ([cert, key]) => {
          const dk = await import("/static/js/certcenter/devicekeys.js");
          const certDer = dk.fromBase64(cert);
          await dk.store.put({ ...dk.certificateSummary(certDer), certDer,
                               encKey: dk.fromBase64(key) });
        }""",
        [
            base64.b64encode(holder.certificate_der()).decode(),
            base64.b64encode(encrypted).decode(),
        ],
    )


def _card_answer(page, holder) -> str:
    challenge = page.locator("[data-testid=challenge]")
    first = int(challenge.get_attribute("data-first"))
    second = int(challenge.get_attribute("data-second"))
    return holder.codes[first - 1][:2] + holder.codes[second - 1][2:]


def _fits_phone_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _enter(page, receiver, amount):
    page.fill("#id_account_number", receiver.formatted_number)
    page.fill("#id_amount", amount)
    page.fill("#id_sender_memo", "모임회비")
    page.click("[data-testid=inquiry]")
    expect(page.locator("h1")).to_have_text("이체 확인")


def test_full_transfer_with_security_card_and_signature(live_server, page, holder):
    receiver = AccountFactory(owner=card_holder(name="김수취").customer, balance=0)
    _login(page, live_server, holder, "/transfers/")
    _store_certificate(page, holder)
    expect(page.locator("h1")).to_have_text("즉시이체")
    expect(page.locator("[data-testid=limits]")).to_contain_text("5,000,000")
    _enter(page, receiver, "125,000")
    expect(page.locator("[data-testid=recipient-name]")).to_have_text("김수취")
    expect(page.locator("[data-testid=amount]")).to_have_text("125,000 원")

    # A wrong certificate password: the browser cannot sign, nothing is sent.
    page.fill("#id_account_password", ACCOUNT_PASSWORD)
    page.fill("#id_security_answer", _card_answer(page, holder))
    page.fill("[data-testid=cert-password]", "Wrong-pass-2026!")
    page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=sign-error]")).to_have_text(
        "인증서 비밀번호가 올바르지 않습니다."
    )
    assert Transfer.objects.get().status == Transfer.Status.PREPARED
    assert Account.objects.get(pk=receiver.pk).balance == 0

    page.fill("[data-testid=cert-password]", CERT_PASSWORD)
    with page.expect_request(lambda r: r.method == "POST" and "/confirm/" in r.url) as sent:
        page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=status]")).to_have_text("완료", timeout=20_000)
    # The certificate password never leaves the browser; the signature does.
    form = parse_qs(sent.value.post_data)
    assert "cert_password" not in form and CERT_PASSWORD not in sent.value.post_data
    transfer = Transfer.objects.get()
    assert base64.b64decode(form["signature"][0]) == bytes(transfer.signature)
    assert page.url.endswith(f"/transfers/{transfer.public_id}/")
    assert (transfer.status, transfer.amount, transfer.signer_certificate_serial) == (
        "completed",
        125_000,
        holder.certificate.serial,
    )
    assert Account.objects.get(pk=receiver.pk).balance == 125_000
    assert Account.objects.get(pk=holder.account.pk).balance == 375_000
    assert JournalEntry.objects.filter(kind="transfer_postoffice").count() == 1
    expect(page.locator("[data-testid=signer-serial]")).to_have_text(holder.certificate.serial)
    expect(page.locator("[data-testid=order-digest]")).to_have_text(transfer.signed_order_sha256)

    # Back and reload: the money moved once.
    page.go_back()
    page.reload()
    expect(page.locator("[data-testid=status]")).to_have_text("완료")
    assert JournalEntry.objects.filter(kind="transfer_postoffice").count() == 1

    page.click("[data-testid=receipt-link]")
    receipt = page.locator("[data-testid=receipt]")
    expect(receipt).to_contain_text(str(transfer.public_id))
    expect(receipt).to_contain_text("125,000 원")
    expect(receipt).to_contain_text(holder.certificate.serial)
    expect(page.locator("[data-testid=print]")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("[data-testid=print]")).to_be_hidden()
    page.emulate_media(media="screen")

    page.goto(f"{live_server.url}/transfers/results/?recipient=김수")
    expect(page.locator("[data-testid=result-row]")).to_have_count(1)
    expect(page.locator("[data-testid=result-row]")).to_contain_text("125,000")


def test_transfer_pages_at_phone_width(live_server, phone_context, holder):
    receiver = AccountFactory(owner=card_holder(name="박폰").customer, balance=0)
    phone = phone_context.new_page()
    _login(phone, live_server, holder, "/transfers/")
    _store_certificate(phone, holder)
    assert _fits_phone_width(phone)
    _enter(phone, receiver, "30000")
    assert _fits_phone_width(phone)
    phone.fill("#id_account_password", ACCOUNT_PASSWORD)
    phone.fill("#id_security_answer", _card_answer(phone, holder))
    phone.fill("[data-testid=cert-password]", CERT_PASSWORD)
    phone.click("[data-testid=confirm]")
    expect(phone.locator("[data-testid=status]")).to_have_text("완료", timeout=20_000)
    assert _fits_phone_width(phone)
    assert Account.objects.get(pk=receiver.pk).balance == 30_000
    phone.click("[data-testid=receipt-link]")
    expect(phone.locator("[data-testid=receipt]")).to_contain_text("30,000 원")
    assert _fits_phone_width(phone)
    phone.goto(f"{live_server.url}/transfers/results/")
    expect(phone.locator("[data-testid=result-row]")).to_have_count(1)
    assert _fits_phone_width(phone)


def test_above_three_million_a_day_asks_for_the_sms_code_at_phone_width(
    live_server, phone_context, holder
):
    """Fraud prevention: 4,000,000 won from a device that is not designated is refused
    until the SMS code sent to the customer's phone is entered; nothing moves before."""
    Account.objects.filter(pk=holder.account.pk).update(balance=5_000_000)
    receiver = AccountFactory(owner=card_holder(name="최고액").customer, balance=0)
    phone = phone_context.new_page()
    _login(phone, live_server, holder, "/transfers/")
    _store_certificate(phone, holder)
    _enter(phone, receiver, "4,000,000")
    expect(phone.locator("[data-testid=sms-send-form]")).to_contain_text("300만 원")
    assert _fits_phone_width(phone)

    phone.fill("#id_account_password", ACCOUNT_PASSWORD)
    phone.fill("#id_security_answer", _card_answer(phone, holder))
    phone.fill("[data-testid=cert-password]", CERT_PASSWORD)
    phone.click("[data-testid=confirm]")
    error = phone.locator("[data-testid=confirm-error]")
    expect(error).to_have_attribute("data-code", "extra_verification_required", timeout=20_000)
    expect(error).to_contain_text("SMS 인증번호")
    assert Transfer.objects.get().status == Transfer.Status.PREPARED
    assert Account.objects.get(pk=receiver.pk).balance == 0

    phone.click("[data-testid=sms-send]")
    expect(phone.locator(".message")).to_contain_text("인증번호를 보냈습니다")
    text = Notification.objects.filter(customer=holder.customer).latest("pk").text
    code = re.search(r"\b(\d{6})\b", text).group(1)
    phone.fill("#id_account_password", ACCOUNT_PASSWORD)
    phone.fill("#id_security_answer", _card_answer(phone, holder))
    phone.fill("#id_sms_code", code)
    phone.fill("[data-testid=cert-password]", CERT_PASSWORD)
    phone.click("[data-testid=confirm]")
    expect(phone.locator("[data-testid=status]")).to_have_text("완료", timeout=20_000)
    assert _fits_phone_width(phone)
    assert Account.objects.get(pk=receiver.pk).balance == 4_000_000
    assert Account.objects.get(pk=holder.account.pk).balance == 1_000_000
