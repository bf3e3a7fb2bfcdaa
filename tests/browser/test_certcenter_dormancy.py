"""Lifting a dormancy suspension in Chromium: the password login says why and links to the
security center's page; the certificate (imported from signCert.der / signPri.key into the
browser) signs the fresh nonce, the security card answers, and the customer logs in again.
A customer suspended for wrong entries is refused there (English, phone width)."""

import pytest
from playwright.sync_api import expect

from certcenter import ca as ca_ops
from certcenter import client as device
from certcenter.models import LoginChallenge
from enrollment.models import Customer
from postbank.models import AuditEvent
from tests.certcenter.conftest import certificate_make
from tests.enrollment.media import card_for
from tests.factories import DEFAULT_PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

CERT_PASSWORD = "Dormant-cert-2026!"
FILES_SUMMARY = {
    "ko": "인증서 파일 사용(하드디스크 또는 USB)",
    "en": "Use certificate files (hard disk or USB)",
}


@pytest.fixture
def bank_ca():
    from django.utils import timezone

    return ca_ops.ca_hierarchy_create(now=timezone.now())[1]


def _holder(tmp_path, suspension):
    """A customer with a security card and a certificate whose NPKI files are in tmp_path,
    then suspended for `suspension`."""
    customer = CustomerFactory(name="홍길동")
    _card, codes = card_for(customer)
    certificate, key = certificate_make(customer)
    (tmp_path / "signCert.der").write_bytes(bytes(certificate.der))
    (tmp_path / "signPri.key").write_bytes(device.private_key_encrypt(key, CERT_PASSWORD))
    Customer.objects.filter(pk=customer.pk).update(
        suspension=suspension, suspended_at="2026-05-01T00:00:00Z"
    )
    return customer, certificate, codes


def _import_and_sign(page, tmp_path, certificate, language="ko"):
    page.click(f"text={FILES_SUMMARY[language]}")
    page.set_input_files("#cert-file", str(tmp_path / "signCert.der"))
    page.set_input_files("#key-file", str(tmp_path / "signPri.key"))
    page.click("[data-import-files]")
    expect(page.locator("[data-testid=device-cert]")).to_have_value(certificate.serial)
    page.fill("[data-testid=dormancy-cert-password]", CERT_PASSWORD)
    page.click("[data-testid=dormancy-cert-submit]")


def _card_answer(page, codes, *, wrong=False) -> str:
    challenge = page.locator("[data-testid=challenge]")
    first = int(challenge.get_attribute("data-first"))
    second = int(challenge.get_attribute("data-second"))
    right = codes[first - 1][:2] + codes[second - 1][2:]
    return f"{(int(right) + 1) % 10_000:04d}" if wrong else right


def _fits_phone_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_dormant_customer_lifts_the_suspension_with_certificate_and_card_then_logs_in(
    live_server, page, bank_ca, tmp_path
):
    customer, certificate, codes = _holder(tmp_path, Customer.Suspension.DORMANT)

    # The password login refuses and says why; the page links to the online lift.
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_user_id", customer.user.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator(".errors")).to_contain_text(
        "12개월 이상 이용하지 않아 인터넷뱅킹 이용이 정지되었습니다."
    )
    page.click("[data-testid=dormancy-lift-link]")
    expect(page.locator("h1")).to_have_text("장기 미사용 이용정지 해제")

    # A wrong certificate password is refused on the device: nothing reaches the bank.
    page.click(f"text={FILES_SUMMARY['ko']}")
    page.set_input_files("#cert-file", str(tmp_path / "signCert.der"))
    page.set_input_files("#key-file", str(tmp_path / "signPri.key"))
    page.click("[data-import-files]")
    expect(page.locator("[data-testid=device-cert] option")).to_have_count(1)
    page.fill("[data-testid=dormancy-cert-password]", "Wrong-pass-2026!")
    page.click("[data-testid=dormancy-cert-submit]")
    expect(page.locator("[data-testid=dormancy-device-error]")).to_have_text(
        "인증서 비밀번호가 올바르지 않습니다."
    )
    assert LoginChallenge.objects.filter(used_at__isnull=False).count() == 0

    # The certificate signs the nonce; a wrong card answer is counted and starts again.
    page.fill("[data-testid=dormancy-cert-password]", CERT_PASSWORD)
    page.click("[data-testid=dormancy-cert-submit]")
    expect(page.locator("[data-testid=dormancy-cert-ok]")).to_have_text(
        f"인증서 {certificate.serial} 확인이 완료되었습니다."
    )
    page.fill("[data-testid=dormancy-security-answer]", _card_answer(page, codes, wrong=True))
    page.click("[data-testid=dormancy-lift-submit]")
    expect(page.locator("[data-testid=dormancy-error]")).to_have_text(
        "보안코드가 올바르지 않습니다."
    )
    customer.refresh_from_db()
    assert (customer.suspension, customer.wrong_entries) == ("dormant", 1)

    # Again: the certificate stays in this browser; the right answer lifts the suspension.
    expect(page.locator("[data-testid=device-cert]")).to_have_value(certificate.serial)
    page.fill("[data-testid=dormancy-cert-password]", CERT_PASSWORD)
    page.click("[data-testid=dormancy-cert-submit]")
    expect(page.locator("[data-testid=dormancy-cert-ok]")).to_be_visible()
    page.fill("[data-testid=dormancy-security-answer]", _card_answer(page, codes))
    page.click("[data-testid=dormancy-lift-submit]")
    expect(page.locator("p.message.success")).to_have_text(
        "장기 미사용 이용정지가 해제되었습니다. 아이디 또는 인증서로 로그인하세요."
    )
    customer.refresh_from_db()
    assert (customer.suspension, customer.suspended_at, customer.wrong_entries) == ("", None, 0)
    event = AuditEvent.objects.get(event="suspension_lifted")
    assert event.detail == {"reason": "dormant", "by": "online", "certificate": certificate.serial}

    # ... and the password login works again.
    page.fill("#id_user_id", customer.user.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator("[data-testid=logout]")).to_be_visible()


def test_suspension_for_wrong_entries_is_refused_in_english_at_phone_width(
    live_server, phone_context, bank_ca, tmp_path
):
    customer, certificate, _codes = _holder(tmp_path, Customer.Suspension.WRONG_ENTRIES)
    phone_context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    phone = phone_context.new_page()
    phone.goto(f"{live_server.url}/certcenter/dormancy/")
    expect(phone.locator("h1")).to_have_text("Lift the dormancy suspension")
    assert _fits_phone_width(phone)
    _import_and_sign(phone, tmp_path, certificate, language="en")
    expect(phone.locator("[data-testid=dormancy-error]")).to_have_text(
        "Only a suspension for 12 months without use can be lifted online; for other "
        "suspensions visit a post office counter with your ID."
    )
    assert _fits_phone_width(phone)
    expect(phone.locator("[data-testid=dormancy-security-answer]")).to_have_count(0)
    customer.refresh_from_db()
    assert (customer.suspension, customer.wrong_entries) == ("wrong_entries", 0)
    assert AuditEvent.objects.filter(event="suspension_lifted").count() == 0


def test_a_file_import_clicked_while_the_page_script_loads_is_not_lost(
    live_server, page, bank_ca, tmp_path
):
    """The import button is rendered disabled and enabled once certpicker.js has attached
    its handler: a click before that used to do nothing, and the picker stayed empty. The
    module is held here until the files are chosen, as a busy machine would hold it."""
    _customer, certificate, _codes = _holder(tmp_path, Customer.Suspension.DORMANT)

    def held_module(route):
        response = route.fetch()
        hold = "await new Promise((resolve) => { window.releaseCertpicker = resolve; });\n"
        route.fulfill(response=response, body=hold + response.text())

    page.route("**/js/certcenter/certpicker.js", held_module)
    page.goto(f"{live_server.url}/certcenter/dormancy/")
    page.wait_for_function("Boolean(window.releaseCertpicker)")
    page.click(f"text={FILES_SUMMARY['ko']}")
    page.set_input_files("#cert-file", str(tmp_path / "signCert.der"))
    page.set_input_files("#key-file", str(tmp_path / "signPri.key"))
    expect(page.locator("[data-import-files]")).to_be_disabled()
    page.evaluate("window.releaseCertpicker()")
    page.click("[data-import-files]")
    expect(page.locator("[data-testid=device-cert]")).to_have_value(certificate.serial)
