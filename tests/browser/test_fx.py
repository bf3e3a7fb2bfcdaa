"""F/X in Chromium: the exchange rate inquiry (notice, converter, chart), a SWIFT
remittance signed with the joint certificate in the browser, from the form to the receipt
(with the signature evidence) and the search, and a Eurogiro cash remittance at phone width
by a customer who first has no certificate and is sent to the certificate center."""

import base64
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Account, JournalEntry
from certcenter import client as device
from fx.models import EurogiroPartner, Remittance
from fx.reference import EUROGIRO_PARTNERS
from fx.services import rate_notice_publish, remittance_order_bytes, remittance_send
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.factories import DEFAULT_PASSWORD
from tests.fx.conftest import SEPA, rate_rows
from tests.transfers.conftest import card_holder

pytestmark = pytest.mark.django_db(transaction=True)
CERT_PASSWORD = "Remit-cert-2026!"
START = 200_000_000


@pytest.fixture
def fresh_notice():
    return rate_notice_publish(rows=rate_rows(), source="counter",
                               noticed_at=timezone.now() - timedelta(minutes=1))


@pytest.fixture
def partners():
    for country, name, bic, currency, account_payout, cash_payout in EUROGIRO_PARTNERS:
        EurogiroPartner.objects.create(country=country, name=name, bic=bic,
                                       currency_id=currency, account_payout=account_payout,
                                       cash_payout=cash_payout)


def _holder(name, *, certify):
    holder = card_holder(name=name)
    holder.account = AccountFactory(owner=holder.customer, balance=START)
    if certify:
        holder.certify()
    return holder


def _login(page, live_server, holder, next_url):
    page.goto(f"{live_server.url}/login/?next={next_url}")
    page.fill("#id_user_id", holder.customer.user.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"**{next_url}")


def _store_certificate(page, holder):
    encrypted = device.private_key_encrypt(holder.key, CERT_PASSWORD)
    page.evaluate(
        """async ([cert, key]) => {
          const dk = await import("/static/js/certcenter/devicekeys.js");
          const certDer = dk.fromBase64(cert);
          await dk.store.put({ ...dk.certificateSummary(certDer), certDer,
                               encKey: dk.fromBase64(key) });
        }""",
        [base64.b64encode(holder.certificate_der()).decode(),
         base64.b64encode(encrypted).decode()])


def _card_answer(page, holder) -> str:
    challenge = page.locator("[data-testid=challenge]")
    first = int(challenge.get_attribute("data-first"))
    second = int(challenge.get_attribute("data-second"))
    return holder.codes[first - 1][:2] + holder.codes[second - 1][2:]


def _fits_phone_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_rate_page_converter_and_chart(live_server, page, phone_context, fresh_notice):
    page.goto(f"{live_server.url}/fx/rates/")
    expect(page.locator("h1")).to_have_text("환율조회")
    expect(page.locator("[data-testid=rates] tbody tr")).to_have_count(5)
    expect(page.locator("[data-testid=tt-send-USD]")).to_have_text("1,414.35")
    expect(page.locator("[data-testid=rate-JPY]")).to_contain_text("100단위당")
    page.select_option("#id_currency", "JPY")
    page.select_option("#id_rate_kind", "cash_sell")
    page.fill("#id_amount", "10000")
    page.click("[data-testid=convert]")
    expect(page.locator("[data-testid=conversion]")).to_have_text("JPY 10,000 = 94,628 원")
    page.select_option("#id_direction", "from_krw")
    page.select_option("#id_rate_kind", "tt_send")
    page.select_option("#id_currency", "USD")
    page.fill("#id_amount", "1,000,000")
    page.click("[data-testid=convert]")
    expect(page.locator("[data-testid=conversion]")).to_have_text("1,000,000 원 = USD 707.03")
    page.click("[data-testid=chart-JPY]")
    chart = page.locator("svg[data-testid=rate-chart]")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("data-last-rate", "930.0000")
    assert chart.locator("polyline").count() == 1

    phone = phone_context.new_page()
    phone.goto(f"{live_server.url}/fx/rates/")
    expect(phone.locator("[data-testid=rate-USD]")).to_be_visible()
    assert _fits_phone_width(phone)


def test_swift_remittance_signed_in_the_browser(live_server, page, fresh_notice):
    holder = _holder("해외송금고객", certify=True)
    _login(page, live_server, holder, "/fx/swift/")
    _store_certificate(page, holder)
    expect(page.locator("h1")).to_have_text("SWIFT 해외송금")
    page.select_option("#id_currency", "USD")
    page.fill("#id_amount", "1,000.00")
    page.fill("#id_sender_name", "KIM HAEOE")
    page.fill("#id_beneficiary_name", "홍길동")
    page.fill("#id_beneficiary_address", SEPA["beneficiary_address"])
    page.select_option("#id_country", "US")
    expect(page.locator("[data-testid=local-hint]")).to_be_visible()
    page.select_option("#id_country", "DE")
    expect(page.locator("[data-testid=iban-hint]")).to_be_visible()
    expect(page.locator("[data-testid=local-hint]")).to_be_hidden()
    page.fill("#id_account", SEPA["account"])
    page.fill("#id_bic", SEPA["bic"])
    page.fill("#id_purpose", SEPA["purpose"])
    page.check("input[name=charges][value=OUR]")
    page.click("[data-testid=get-quote]")
    # Hangul cannot travel in the SWIFT message: refused on the form, nothing quoted.
    expect(page.locator("[data-testid=error-beneficiary_name]")).to_contain_text("홍")
    assert not Remittance.objects.exists()
    page.fill("#id_beneficiary_name", "Hans Müller")
    page.click("[data-testid=get-quote]")

    expect(page.locator("h1")).to_have_text("송금 확인")
    expect(page.locator("[data-testid=beneficiary]")).to_have_text("Hans Muller")
    expect(page.locator("[data-testid=rate]")).to_have_text("1,414.35")
    expect(page.locator("[data-testid=krw-amount]")).to_have_text("1,414,350")
    expect(page.locator("[data-testid=sending-fee]")).to_have_text("10,000")
    expect(page.locator("[data-testid=cable-charge]")).to_have_text("5,000")
    expect(page.locator("[data-testid=intermediary]")).to_contain_text("25,458")
    expect(page.locator("[data-testid=total]")).to_have_text("1,454,808")

    expect(page.locator("[data-testid=no-certificate]")).to_have_count(0)
    page.fill("#id_account_password", ACCOUNT_PASSWORD)
    page.fill("#id_security_answer", _card_answer(page, holder))
    # A wrong certificate password: the browser cannot sign, nothing is sent.
    page.fill("[data-testid=cert-password]", "Wrong-pass-2026!")
    page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=sign-error]")).to_have_text(
        "인증서 비밀번호가 올바르지 않습니다.")
    assert Remittance.objects.get().status == "quoted"
    assert not JournalEntry.objects.filter(kind="fx_swift").exists()
    page.fill("[data-testid=cert-password]", CERT_PASSWORD)
    with page.expect_request(lambda r: r.method == "POST" and "/confirm/" in r.url) as sent:
        page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=status]")).to_have_text("접수", timeout=20_000)
    form = parse_qs(sent.value.post_data)
    assert "cert_password" not in form and CERT_PASSWORD not in sent.value.post_data
    remittance = Remittance.objects.get()
    assert base64.b64decode(form["signature"][0]) == bytes(remittance.signature)
    assert remittance.signer_certificate_serial == holder.certificate.serial
    assert bytes(remittance.signed_order) == remittance_order_bytes(remittance=remittance)
    expect(page.locator("[data-testid=signer-serial]")).to_have_text(holder.certificate.serial)
    expect(page.locator("[data-testid=order-digest]")).to_have_text(
        remittance.signed_order_sha256)
    assert Account.objects.get(pk=holder.account.pk).balance == START - 1_454_808
    assert JournalEntry.objects.filter(kind="fx_swift").count() == 1

    # Back and reload: the money moved once.
    page.go_back()
    page.reload()
    expect(page.locator("[data-testid=status]")).to_have_text("접수")
    assert JournalEntry.objects.filter(kind="fx_swift").count() == 1

    remittance_send(remittance_id=remittance.pk)
    page.reload()
    expect(page.locator("[data-testid=status]")).to_have_text("송금")
    expect(page.locator("[data-testid=event-sent]")).to_be_visible()
    with page.expect_download() as download:
        page.click("[data-testid=message-link]")
    assert download.value.suggested_filename == f"swift-{remittance.public_id}.xml"
    page.click("[data-testid=receipt-link]")
    expect(page.locator("[data-testid=receipt]")).to_contain_text("1,454,808")
    expect(page.locator("[data-testid=receipt] [data-testid=signer-serial]")).to_have_text(
        holder.certificate.serial)
    page.emulate_media(media="print")
    expect(page.locator("[data-testid=print]")).to_be_hidden()
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/fx/swift/results/?status=sent")
    expect(page.locator("[data-testid=result-row]")).to_have_count(1)
    expect(page.locator("[data-testid=result-row]")).to_contain_text("USD 1,000.00")


def test_eurogiro_cash_remittance_at_phone_width(live_server, phone_context, fresh_notice,
                                                 partners):
    holder = _holder("유로지로고객", certify=False)
    phone = phone_context.new_page()
    _login(phone, live_server, holder, "/fx/eurogiro/")
    expect(phone.locator("[data-testid=partner-LK]")).to_be_visible()
    assert _fits_phone_width(phone)
    phone.select_option("#id_country", "TH")
    phone.select_option("#id_currency", "THB")
    phone.fill("#id_amount", "10000.00")
    phone.fill("#id_sender_name", "KIM HAEOE")
    phone.fill("#id_beneficiary_name", "Somchai Jaidee")
    phone.fill("#id_beneficiary_address", "99 Sukhumvit Road, Bangkok 10110")
    phone.check("input[name=payout][value=cash]")
    expect(phone.locator("#id_account")).to_be_hidden()
    phone.fill("#id_purpose", "Family support")
    phone.click("[data-testid=get-quote]")
    expect(phone.locator("h1")).to_have_text("송금 확인")
    confirm_url = phone.url
    # 10,000 baht at 40.40 = 404,000 won; fee 5,000
    expect(phone.locator("[data-testid=total]")).to_have_text("409,000")
    # No joint certificate yet: the page says so and where to get one; it cannot confirm.
    notice = phone.locator("[data-testid=no-certificate]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("유효한 공동인증서가 없습니다")
    expect(phone.locator("[data-testid=confirm]")).to_be_disabled()
    assert _fits_phone_width(phone)
    phone.click("[data-testid=certcenter-link]")
    phone.wait_for_url("**/certcenter/issue/")
    assert Remittance.objects.get().status == "quoted"
    assert Account.objects.get(pk=holder.account.pk).balance == START

    # The customer gets a certificate on this phone and comes back to the quote.
    holder.certify()
    _store_certificate(phone, holder)
    phone.goto(confirm_url)
    expect(phone.locator("[data-testid=no-certificate]")).to_have_count(0)
    expect(phone.locator("[data-testid=signature]")).to_be_visible()
    phone.fill("#id_account_password", ACCOUNT_PASSWORD)
    phone.fill("#id_security_answer", _card_answer(phone, holder))
    phone.fill("[data-testid=cert-password]", CERT_PASSWORD)
    phone.click("[data-testid=confirm]")
    expect(phone.locator("[data-testid=status]")).to_have_text("접수", timeout=20_000)
    expect(phone.locator("[data-testid=signer-serial]")).to_have_text(holder.certificate.serial)
    assert _fits_phone_width(phone)
    remittance = Remittance.objects.get()
    assert (remittance.kind, remittance.payout, remittance.total_krw,
            remittance.signer_certificate_serial) == ("eurogiro", "cash", 409_000,
                                                      holder.certificate.serial)
    assert Account.objects.get(pk=holder.account.pk).balance == START - 409_000
    phone.goto(f"{live_server.url}/fx/eurogiro/results/")
    expect(phone.locator("[data-testid=result-row]")).to_have_count(1)
    assert _fits_phone_width(phone)


def test_rate_page_refuses_hostile_input_at_phone_width(live_server, phone_context,
                                                        fresh_notice):
    """An exponent amount is a form error in Korean, a NUL chart currency falls back to the
    USD chart; the page still fits the phone."""
    phone = phone_context.new_page()
    phone.goto(f"{live_server.url}/fx/rates/?chart=%00")
    expect(phone.locator("svg[data-testid=rate-chart]")).to_have_attribute(
        "data-last-rate", "1400.0000")
    phone.select_option("#id_currency", "USD")
    phone.fill("#id_amount", "1e30")
    phone.click("[data-testid=convert]")
    expect(phone.locator("[data-testid=conversion-error]")).to_have_text(
        "금액은 숫자로 입력하세요. 소수점은 쓸 수 있습니다.")
    expect(phone.locator("[data-testid=conversion]")).to_have_count(0)
    assert _fits_phone_width(phone)
