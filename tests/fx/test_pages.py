"""The F/X pages through the Django test client: rate inquiry, the SWIFT flow from form to
receipt, searches, the outbound message, ownership and CSRF."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from fx.models import Remittance
from fx.services import remittance_quote, remittance_send
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.factories import CustomerFactory
from tests.fx.conftest import REMIT_AT, SEPA, ledger_snapshot, signed
from tests.transfers.conftest import card_holder

pytestmark = pytest.mark.django_db


def signature_from_page(holder, html: str) -> str:
    """What certcenter/sign.js does in the browser: sign the form's data-sign-order."""
    return holder.sign_base64(re.search(r'data-sign-order="([^"]+)"', html).group(1))


@pytest.fixture
def client_for():
    def make(customer, **kwargs):
        client = Client(**kwargs)
        client.force_login(customer.user)
        return client
    return make


def test_rate_page_shows_the_latest_notice_converter_and_chart(client, notice,
                                                               at_remit_time):
    page = client.get(reverse("fx:rates"), {"currency": "JPY", "direction": "to_krw",
                                            "rate_kind": "cash_sell", "amount": "10000",
                                            "chart": "JPY"},
                      HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="rate-USD"' in html and 'data-testid="rate-JPY"' in html
    assert "(per 100)" in html
    assert "JPY 10,000 = 94,628 won" in " ".join(html.split())
    assert 'data-testid="rate-chart" data-points="1" data-last-rate="930.0000"' in html
    assert "<script>" not in html


def test_rate_page_earlier_notice_by_date_and_round(client, notice, at_remit_time):
    from fx.services import rate_notice_publish
    from tests.fx.conftest import RATES, rate_rows

    moved = dict(RATES, USD=("1410.00", "1385.33", "1434.68", "1424.10", "1395.90"))
    rate_notice_publish(rows=rate_rows(moved), source="counter",
                        noticed_at=REMIT_AT - timedelta(minutes=10))
    latest = client.get(reverse("fx:rates"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "round 2" in latest and "1,424.10" in latest
    first = client.get(reverse("fx:rates"), {"date": "2026-03-02", "round": "1"},
                       HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "round 1" in first and "1,414.35" in first
    missing = client.get(reverse("fx:rates"), {"date": "2026-03-02", "round": "9"},
                         HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No rate notice for this date and round." in missing


def test_swift_flow_form_quote_confirm_detail_receipt_message(client_for, sender, notice,
                                                              at_remit_time):
    client = client_for(sender.customer, enforce_csrf_checks=False)
    form = client.get(reverse("fx:swift"), HTTP_ACCEPT_LANGUAGE="en")
    token = form.context["form"].initial["form_token"]
    data = {"from_account": sender.account.number, "currency": "USD", "amount": "1,000.00",
            "sender_name": "KIM HAEOE", "charges": "OUR", "form_token": token, **SEPA}
    quoted = client.post(reverse("fx:swift"), data)
    assert quoted.status_code == 302
    remittance = Remittance.objects.get()
    assert quoted["Location"] == reverse("fx:confirm", args=[remittance.public_id])
    # A double submit of the same form quotes once.
    assert client.post(reverse("fx:swift"), data)["Location"] == quoted["Location"]
    page = client.get(quoted["Location"], HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    for text in ("1,414.35", "1,414,350", "10,000", "5,000", "25,458", "1,454,808"):
        assert text in html
    assert 'name="cert_password"' in html and "js/certcenter/sign.js" in html
    challenge = page.context["challenge"]
    answer = (sender.codes[challenge.first_index - 1][:2]
              + sender.codes[challenge.second_index - 1][2:])
    done = client.post(quoted["Location"], {"account_password": ACCOUNT_PASSWORD,
                                            "challenge_id": challenge.id,
                                            "security_answer": answer,
                                            "signature": signature_from_page(sender, html)})
    assert done["Location"] == reverse("fx:detail", args=[remittance.public_id])
    remittance.refresh_from_db()
    assert remittance.status == "received"
    assert remittance.signer_certificate_serial == sender.certificate.serial
    sender.account.refresh_from_db()
    assert sender.account.balance == 200_000_000 - 1_454_808
    assert client.get(reverse("fx:message", args=[remittance.public_id])).status_code == 404
    remittance_send(remittance_id=remittance.pk)
    message = client.get(reverse("fx:message", args=[remittance.public_id]))
    assert message["Content-Type"] == "application/xml; charset=utf-8"
    assert b"<IBAN>DE89370400440532013000</IBAN>" in message.content
    detail = client.get(done["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="event-received"' in detail and 'data-testid="event-sent"' in detail
    # The evidence of the signature: the signer, the digest, the signed bytes and signature.
    assert f'data-testid="signer-serial">{sender.certificate.serial}<' in detail
    assert f'data-testid="order-digest">{remittance.signed_order_sha256}<' in detail
    assert remittance.signature_base64 in detail
    assert str(remittance.public_id) in remittance.signed_order_text
    receipt = client.get(reverse("fx:receipt", args=[remittance.public_id]),
                         HTTP_ACCEPT_LANGUAGE="ko")
    assert receipt.status_code == 200 and b"1,454,808" in receipt.content
    assert f'data-testid="signer-serial">{sender.certificate.serial}<' in \
        receipt.content.decode()
    assert "전자서명" in receipt.content.decode()
    results = client.get(reverse("fx:swift-results"), {"status": "sent"})
    assert [r.pk for r in results.context["page"]] == [remittance.pk]
    assert list(client.get(reverse("fx:eurogiro-results")).context["page"]) == []
    credited = client.get(reverse("fx:swift-results"), {"status": "credited"})
    assert list(credited.context["page"]) == []


def test_bad_bic_is_shown_on_the_form_and_nothing_is_quoted(client_for, sender, notice,
                                                            at_remit_time):
    client = client_for(sender.customer)
    data = {"from_account": sender.account.number, "currency": "USD", "amount": "10.001",
            "sender_name": "KIM", "charges": "SHA", "form_token": "token-bad-0001",
            **dict(SEPA, bic="COBADE")}
    page = client.post(reverse("fx:swift"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "The amount has more decimals" in page.content.decode()
    page = client.post(reverse("fx:swift"), dict(data, amount="10.00"),
                       HTTP_ACCEPT_LANGUAGE="en")
    assert "The BIC is not valid" in page.content.decode()
    assert not Remittance.objects.exists()


def test_another_customers_remittance_is_not_found(client_for, sender, notice, at_remit_time):
    remittance = remittance_quote(customer=sender.customer, kind="swift",
                                  from_number=sender.account.number, currency="USD",
                                  amount="10", sender_name="KIM", idempotency_key="own-0001",
                                  **SEPA)
    other = client_for(card_holder().customer)
    for name in ("fx:detail", "fx:confirm", "fx:receipt", "fx:message"):
        assert other.get(reverse(name, args=[remittance.public_id])).status_code == 404


def test_pages_need_login_and_csrf(sender, notice):
    anonymous = Client()
    assert anonymous.get(reverse("fx:swift")).status_code == 302
    assert anonymous.get(reverse("fx:rates")).status_code == 200
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(CustomerFactory().user)
    assert strict.post(reverse("fx:swift"), {}).status_code == 403


def test_expired_quote_sends_back_to_the_form(client_for, sender, notice):
    with time_machine.travel(REMIT_AT, tick=False):
        remittance = remittance_quote(customer=sender.customer, kind="swift",
                                      from_number=sender.account.number, currency="USD",
                                      amount="10", sender_name="KIM",
                                      idempotency_key="late-0001", **SEPA)
    with time_machine.travel(REMIT_AT + timedelta(minutes=11), tick=False):
        page = client_for(sender.customer).get(reverse("fx:confirm",
                                                       args=[remittance.public_id]))
    assert page["Location"] == reverse("fx:swift")


def test_pages_are_in_korean_by_default(client_for, sender, notice, partners, at_remit_time):
    client = client_for(sender.customer)
    rates = client.get(reverse("fx:rates"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "<h1>환율조회</h1>" in rates and "송금 보내실 때" in rates and "100단위당" in rates
    swift = client.get(reverse("fx:swift"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "<h1>SWIFT 해외송금</h1>" in swift and "견적 받기" in swift
    giro = client.get(reverse("fx:eurogiro"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "<h1>유로지로 해외송금</h1>" in giro and "Japan Post Bank" in giro
    data = {"from_account": sender.account.number, "currency": "USD", "amount": "1.001",
            "sender_name": "KIM", "charges": "SHA", "form_token": "token-ko-0001", **SEPA}
    refused = client.post(reverse("fx:swift"), data, HTTP_ACCEPT_LANGUAGE="ko")
    assert "금액의 소수 자릿수가 통화가 허용하는 자릿수보다 많습니다." in refused.content.decode()


def _quoted(sender, key, amount="1000.00"):
    return remittance_quote(customer=sender.customer, kind="swift",
                            from_number=sender.account.number, currency="USD", amount=amount,
                            sender_name="KIM", idempotency_key=key, **SEPA)


def _confirm_page(client, url):
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    return page.content.decode(), page.context["challenge"]


def test_confirm_page_refusals(client_for, sender, notice, at_remit_time):
    client = client_for(sender.customer)
    remittance = _quoted(sender, "page-refuse-01")
    url = reverse("fx:confirm", args=[remittance.public_id])
    html, challenge = _confirm_page(client, url)
    malformed = client.post(url, {"account_password": "9999", "challenge_id": challenge.id,
                                  "security_answer": "0000", "signature": "not base64!"},
                            HTTP_ACCEPT_LANGUAGE="en")
    assert malformed.context["error_code"] == "invalid_signature_encoding"
    html, challenge = _confirm_page(client, url)
    wrong = client.post(url, {"account_password": "9999", "challenge_id": challenge.id,
                              "security_answer": "0000",
                              "signature": signature_from_page(sender, html)},
                        HTTP_ACCEPT_LANGUAGE="en")
    assert wrong.status_code == 200
    assert wrong.context["error_code"] == "wrong_security_code"
    remittance.refresh_from_db()
    assert remittance.status == "quoted"
    # Over the funds: the remittance fails with the reason, shown on its page.
    poor = AccountFactory(owner=sender.customer, balance=100_000)
    short = remittance_quote(customer=sender.customer, kind="swift", from_number=poor.number,
                             currency="USD", amount="1000.00", sender_name="KIM",
                             idempotency_key="page-refuse-02", **SEPA)
    url = reverse("fx:confirm", args=[short.public_id])
    html, challenge = _confirm_page(client, url)
    answer = (sender.codes[challenge.first_index - 1][:2]
              + sender.codes[challenge.second_index - 1][2:])
    failed = client.post(url, {"account_password": ACCOUNT_PASSWORD,
                               "challenge_id": challenge.id, "security_answer": answer,
                               "signature": signature_from_page(sender, html)},
                         HTTP_ACCEPT_LANGUAGE="en")
    assert failed["Location"] == reverse("fx:detail", args=[short.public_id])
    detail = client.get(failed["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-status="failed"' in detail.content.decode()
    assert "The balance available is not enough." in detail.content.decode()
    assert 'data-testid="evidence"' not in detail.content.decode()
    poor.refresh_from_db()
    assert poor.balance == 100_000
    assert client.get(reverse("fx:receipt", args=[short.public_id])).status_code == 404


def test_confirm_without_a_signature_is_refused_and_moves_nothing(client_for, sender, notice,
                                                                  at_remit_time):
    sender.certify()
    client = client_for(sender.customer)
    remittance = _quoted(sender, "page-unsigned-01")
    url = reverse("fx:confirm", args=[remittance.public_id])
    before = ledger_snapshot()
    html, challenge = _confirm_page(client, url)
    answer = (sender.codes[challenge.first_index - 1][:2]
              + sender.codes[challenge.second_index - 1][2:])
    # What a browser without sign.js (or a hand-made post) sends: no signature.
    page = client.post(url, {"account_password": ACCOUNT_PASSWORD,
                             "challenge_id": challenge.id, "security_answer": answer,
                             "cert_password": "Cert-pass-2026!"}, HTTP_ACCEPT_LANGUAGE="ko")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-code="signature_required"' in html
    assert "공동인증서로 송금 지시에 전자서명해 주십시오." in html
    remittance.refresh_from_db()
    assert (remittance.status, remittance.entry_id, remittance.signature) == (
        "quoted", None, None)
    assert ledger_snapshot() == before
    sender.account.refresh_from_db()
    assert sender.account.balance == 200_000_000


@pytest.mark.parametrize(("language", "text", "link"), [
    ("ko", "유효한 공동인증서가 없습니다", "인증센터에서 공동인증서 발급받기"),
    ("en", "you have no valid joint certificate", "Get a joint certificate in the certificate "
                                                  "center"),
])
def test_a_customer_without_a_certificate_is_sent_to_the_certificate_center(
        client_for, sender, notice, at_remit_time, language, text, link):
    client = client_for(sender.customer)
    remittance = _quoted(sender, f"page-nocert-{language}")
    url = reverse("fx:confirm", args=[remittance.public_id])
    html = " ".join(client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode().split())
    assert 'data-testid="no-certificate"' in html and text in html
    assert (f'href="{reverse("certcenter:issue")}" data-testid="certcenter-link">{link}</a>'
            in html)
    assert re.search(r'data-testid="confirm"\s+disabled', html)
    # With a certificate of the bank that can sign, the page asks only for its password.
    sender.certify()
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'data-testid="no-certificate"' not in html
    assert not re.search(r'data-testid="confirm"\s+disabled', html)
    assert 'name="cert_password"' in html


def test_search_period_and_status_filters(client_for, sender, notice, at_remit_time):
    from fx.services import remittance_confirm

    remittance = _quoted(sender, "page-search-01", amount="10.00")
    challenge_id, answer = sender.answer()
    remittance_confirm(customer=sender.customer, remittance=remittance,
                       account_password=ACCOUNT_PASSWORD, challenge_id=challenge_id,
                       security_answer=answer, signature=signed(sender, remittance))
    client = client_for(sender.customer)
    url = reverse("fx:swift-results")
    assert [r.pk for r in client.get(url, {"date_from": "2026-03-02",
                                           "date_to": "2026-03-02"}).context["page"]] == [
        remittance.pk]
    assert list(client.get(url, {"date_from": "2026-03-03", "date_to": "2026-03-31"})
                .context["page"]) == []
    assert [r.pk for r in client.get(url, {"status": "received"}).context["page"]] == [
        remittance.pk]
    too_long = client.get(url, {"date_from": "2025-01-01", "date_to": "2026-03-02"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert too_long.context["page"] is None
    assert "A search covers at most one year." in too_long.content.decode()
