"""The joint certificate in Chromium: issued on the PC (key made in the browser), copied to
the smartphone (a second context at phone width) with the 12-digit number, then used there
to log in, to sign (the certificate check and a real-time transfer) and to change its
password."""

import re

import pytest
from django.db.models import Sum
from playwright.sync_api import expect

from accounts.models import Posting
from certcenter import ca as ca_ops
from certcenter.models import Certificate, CopySession
from enrollment import identity
from enrollment.models import CardChallenge
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.enrollment.media import card_for
from tests.factories import DEFAULT_PASSWORD, CustomerFactory
from transfers.models import Transfer

pytestmark = pytest.mark.django_db(transaction=True)

RRN = "9001011234568"
CERT_PASSWORD = "Browser-cert-2026!"


@pytest.fixture
def bank_ca():
    from django.utils import timezone

    return ca_ops.ca_hierarchy_create(now=timezone.now())[1]


@pytest.fixture
def holder():
    customer = CustomerFactory(
        name="홍길동", rrn_hash=identity.rrn_hash(RRN), rrn_encrypted=identity.rrn_encrypt(RRN)
    )
    account = AccountFactory(owner=customer, balance=100_000)
    _card, codes = card_for(customer)
    return customer, account, codes


def _login(page, live_server, customer, next_url):
    page.goto(f"{live_server.url}/login/?next={next_url}")
    page.fill("#id_user_id", customer.user.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("[data-testid=login-submit]")


def _card_answer(page, codes) -> str:
    challenge_id = page.locator("input[name=security_challenge_id]").input_value()
    challenge = CardChallenge.objects.get(pk=challenge_id)
    return codes[challenge.first_index - 1][:2] + codes[challenge.second_index - 1][2:]


def _fits_phone_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_issue_on_pc_copy_to_phone_then_login_and_sign(
    live_server, page, phone_context, bank_ca, holder
):
    customer, account, codes = holder

    # PC: issue a general-purpose certificate; the key is generated and kept in the browser.
    _login(page, live_server, customer, "/certcenter/issue/")
    expect(page.locator("h1")).to_have_text("인증서 발급/재발급")
    page.select_option("#id_cert_type", "general_personal")
    page.select_option("#id_medium", "pc")
    page.fill("#id_user_id", customer.user.username)
    page.fill("#id_rrn", RRN)
    page.select_option("#id_account", account.number)
    page.fill("#id_account_password", ACCOUNT_PASSWORD)
    page.fill("#id_security_answer", _card_answer(page, codes))
    page.fill("[data-testid=cert-password]", "short1!")
    page.fill("[data-testid=cert-password2]", "short1!")
    page.click("[data-testid=issue-submit]")
    expect(page.locator("[data-keygen-error]")).to_contain_text("10~50자")
    assert Certificate.objects.count() == 0
    page.fill("[data-testid=cert-password]", CERT_PASSWORD)
    page.fill("[data-testid=cert-password2]", CERT_PASSWORD)
    page.click("[data-testid=issue-submit]")
    expect(page.locator("[data-testid=store-status]")).to_have_text(
        "인증서가 이 기기에 저장되었습니다.", timeout=30_000
    )
    certificate = Certificate.objects.get(customer=customer)
    assert (certificate.cert_type, certificate.status, certificate.fee) == (
        "general_personal",
        "valid",
        4_400,
    )
    account.refresh_from_db()
    assert account.balance == 100_000 - 4_400
    assert (
        Posting.objects.filter(ledger_account__code="fee_income").aggregate(s=Sum("amount"))["s"]
        == 4_400
    )

    # Smartphone: nothing stored yet, so signing says so (in Korean, the default language).
    phone = phone_context.new_page()
    _login(phone, live_server, customer, "/certcenter/sign-check/")
    phone.fill("[data-testid=sign-password]", CERT_PASSWORD)
    phone.click("[data-testid=sign-submit]")
    expect(phone.locator("[data-testid=sign-error]")).to_have_text(
        "이 기기에 저장된 인증서가 없습니다."
    )

    # Import (PC -> smartphone): the phone shows the 12-digit number as 4-4-4 ...
    phone.goto(f"{live_server.url}/certcenter/copy/import/")
    expect(phone.locator("[data-copy][data-ready]")).to_have_count(1)
    assert _fits_phone_width(phone)
    phone.click("[data-testid=copy-start]")
    code_box = phone.locator("[data-testid=copy-code]")
    expect(code_box).to_have_text(re.compile(r"^\d{4}-\d{4}-\d{4}$"))
    number = code_box.inner_text()

    # ... and the PC picks the certificate, enters its password and the number, and sends.
    page.goto(f"{live_server.url}/certcenter/copy/import/")
    expect(page.locator("[data-copy][data-ready]")).to_have_count(1)
    expect(page.locator("[data-testid=device-cert] option")).to_have_count(1)
    page.fill("[data-testid=copy-password]", CERT_PASSWORD)
    page.fill("[data-testid=copy-number]", number.replace("-", ""))
    page.click("[data-testid=copy-send]")
    expect(page.locator("[data-testid=copy-result]")).to_have_text(
        "전송했습니다. 스마트폰에서 완료를 확인하세요."
    )
    expect(phone.locator("[data-testid=copy-result]")).to_have_text(
        "인증서가 이 기기에 복사되었습니다.", timeout=15_000
    )
    session = CopySession.objects.get(customer=customer)
    assert session.consumed_at is not None
    assert session.encrypted_key is None and session.certificate_der is None

    # Smartphone: log out, then log in with the certificate.
    phone.click("[data-testid=logout]")
    phone.goto(f"{live_server.url}/certcenter/login/")
    expect(phone.locator("[data-testid=device-cert] option")).to_have_count(1)
    phone.fill("[data-testid=login-password]", CERT_PASSWORD)
    phone.click("[data-testid=cert-login-submit]")
    expect(phone.locator("[data-testid=logout]")).to_be_visible()

    # ... and sign: a wrong password is refused on the device, the right one is verified.
    phone.goto(f"{live_server.url}/certcenter/sign-check/")
    assert _fits_phone_width(phone)
    phone.fill("[data-testid=sign-password]", "Wrong-pass-2026!")
    phone.click("[data-testid=sign-submit]")
    expect(phone.locator("[data-testid=sign-error]")).to_have_text(
        "인증서 비밀번호가 올바르지 않습니다."
    )
    phone.fill("[data-testid=sign-password]", CERT_PASSWORD)
    phone.click("[data-testid=sign-submit]")
    expect(phone.locator("[data-testid=sign-check-ok]")).to_contain_text(certificate.serial)
    expect(phone.locator("[data-testid=sign-password]")).to_have_value("")

    # ... and sign a real-time transfer with the copied certificate.
    receiver = AccountFactory(owner=CustomerFactory(name="김수취"), balance=0)
    phone.goto(f"{live_server.url}/transfers/")
    phone.fill("#id_account_number", receiver.formatted_number)
    phone.fill("#id_amount", "50,000")
    phone.click("[data-testid=inquiry]")
    expect(phone.locator("h1")).to_have_text("이체 확인")
    challenge = phone.locator("[data-testid=challenge]")
    first = int(challenge.get_attribute("data-first"))
    second = int(challenge.get_attribute("data-second"))
    phone.fill("#id_account_password", ACCOUNT_PASSWORD)
    phone.fill("#id_security_answer", codes[first - 1][:2] + codes[second - 1][2:])
    phone.fill("[data-testid=cert-password]", CERT_PASSWORD)
    phone.click("[data-testid=confirm]")
    expect(phone.locator("[data-testid=status]")).to_have_text("완료", timeout=20_000)
    transfer = Transfer.objects.get()
    assert (transfer.status, transfer.amount, transfer.signer_certificate_serial) == (
        "completed",
        50_000,
        certificate.serial,
    )
    account.refresh_from_db()
    receiver.refresh_from_db()
    assert receiver.balance == 50_000
    assert account.balance == 100_000 - 4_400 - transfer.total

    # Change the certificate password on the phone (the key is re-encrypted there), sign with
    # the new one, then delete the certificate from the phone.
    new_password = "Phone-cert-2027#"
    phone.goto(f"{live_server.url}/certcenter/password/")
    expect(phone.locator("[data-testid=device-cert] option")).to_have_count(1)
    phone.fill("[data-testid=old-password]", CERT_PASSWORD)
    phone.fill("[data-testid=new-password]", new_password)
    phone.fill("[data-testid=new-password2]", new_password)
    phone.click("[data-testid=change-password]")
    expect(phone.locator("[data-testid=result]")).to_have_text("인증서 비밀번호를 변경했습니다.")
    phone.goto(f"{live_server.url}/certcenter/sign-check/")
    phone.fill("[data-testid=sign-password]", CERT_PASSWORD)
    phone.click("[data-testid=sign-submit]")
    expect(phone.locator("[data-testid=sign-error]")).to_have_text(
        "인증서 비밀번호가 올바르지 않습니다."
    )
    phone.fill("[data-testid=sign-password]", new_password)
    phone.click("[data-testid=sign-submit]")
    expect(phone.locator("[data-testid=sign-check-ok]")).to_contain_text(certificate.serial)
    phone.goto(f"{live_server.url}/certcenter/password/")
    expect(phone.locator("[data-testid=device-cert] option")).to_have_count(1)
    phone.fill("[data-testid=old-password]", new_password)
    phone.click("[data-testid=delete-cert]")
    expect(phone.locator("[data-testid=result]")).to_have_text("이 기기에서 인증서를 삭제했습니다.")
    expect(phone.locator("[data-testid=device-cert] option")).to_have_count(0)


def test_demo_files_import_on_the_phone_then_export_to_the_pc(
    live_server, page, phone_context, tmp_path
):
    from certcenter import demo
    from enrollment import demo as enrollment_demo

    enrollment_demo.seed(lambda _line: None)
    demo.seed(lambda _line: None, folder=tmp_path)
    certificate = Certificate.objects.get(customer__user__username="demo")
    folder = demo.user_folder(tmp_path, certificate)

    # Smartphone: the seed's signCert.der / signPri.key imported from files, then used to log in.
    phone = phone_context.new_page()
    phone.goto(f"{live_server.url}/certcenter/login/")
    assert _fits_phone_width(phone)
    phone.click("text=인증서 파일 사용(하드디스크 또는 USB)")
    phone.set_input_files("#cert-file", str(folder / "signCert.der"))
    phone.set_input_files("#key-file", str(folder / "signPri.key"))
    phone.click("[data-import-files]")
    expect(phone.locator("[data-testid=device-cert] option")).to_have_count(1)
    expect(phone.locator("[data-testid=device-cert]")).to_have_value(certificate.serial)
    phone.fill("[data-testid=login-password]", demo.DEMO_CERT_PASSWORD)
    phone.click("[data-testid=cert-login-submit]")
    expect(phone.locator("[data-testid=logout]")).to_be_visible()

    # Export (smartphone -> PC): the phone sends and shows the number; the PC receives with it.
    phone.goto(f"{live_server.url}/certcenter/copy/export/")
    expect(phone.locator("[data-copy][data-ready]")).to_have_count(1)
    phone.fill("[data-testid=copy-password]", demo.DEMO_CERT_PASSWORD)
    phone.click("[data-testid=copy-start]")
    code_box = phone.locator("[data-testid=copy-code]")
    expect(code_box).to_have_text(re.compile(r"^\d{4}-\d{4}-\d{4}$"))
    number = code_box.inner_text()

    page.goto(f"{live_server.url}/login/?next=/certcenter/copy/export/")
    page.fill("#id_user_id", "demo")
    page.fill("#id_password", enrollment_demo.DEMO_CUSTOMER[1])
    page.click("[data-testid=login-submit]")
    expect(page.locator("[data-copy][data-ready]")).to_have_count(1)
    wrong = f"{(int(number.replace('-', '')) + 1) % 10**12:012d}"
    page.fill("[data-testid=copy-number]", wrong)
    page.click("[data-testid=copy-receive]")
    expect(page.locator("[data-testid=copy-result]")).to_have_text("인증번호가 올바르지 않습니다.")
    page.fill("[data-testid=copy-number]", number)
    page.click("[data-testid=copy-receive]")
    expect(page.locator("[data-testid=copy-result]")).to_have_text(
        "인증서가 이 기기에 복사되었습니다."
    )
    assert CopySession.objects.get().wrong_attempts == 1

    # The PC signs with the copy.
    page.goto(f"{live_server.url}/certcenter/sign-check/")
    page.fill("[data-testid=sign-password]", demo.DEMO_CERT_PASSWORD)
    page.click("[data-testid=sign-submit]")
    expect(page.locator("[data-testid=sign-check-ok]")).to_contain_text(certificate.serial)


def test_a_registered_certificate_of_another_bank_logs_in_from_its_files(
    live_server, page, tmp_path
):
    from cryptography.hazmat.primitives import serialization

    from certcenter import client
    from postbank.models import AuditEvent
    from tests.certcenter.other_bank import registered_certificate

    customer = CustomerFactory(name="홍길동")
    leaf, key, registered = registered_certificate(customer)
    der = leaf.public_bytes(serialization.Encoding.DER)
    (tmp_path / "signCert.der").write_bytes(der)
    (tmp_path / "signPri.key").write_bytes(client.private_key_encrypt(key, CERT_PASSWORD))

    page.goto(f"{live_server.url}/certcenter/login/")
    page.click("text=인증서 파일 사용(하드디스크 또는 USB)")
    page.set_input_files("#cert-file", str(tmp_path / "signCert.der"))
    page.set_input_files("#key-file", str(tmp_path / "signPri.key"))
    page.click("[data-import-files]")
    expect(page.locator("[data-testid=device-cert] option")).to_have_count(1)
    page.fill("[data-testid=login-password]", CERT_PASSWORD)
    page.click("[data-testid=cert-login-submit]")
    expect(page.locator("[data-testid=logout]")).to_be_visible()
    assert AuditEvent.objects.filter(
        event="certificate_login", subject=f"foreign:{registered.serial}", actor=customer.user
    ).exists()
