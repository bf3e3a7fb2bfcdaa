"""Every certificate page answers for a logged-in customer, in both languages, and the
pages that need a login send visitors to it."""

import pytest
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD

PAGES = [
    "issue",
    "renew",
    "discard",
    "password",
    "copy-import",
    "copy-export",
    "foreign",
    "devices",
    "list",
    "sign-check",
]


@pytest.fixture
def logged_in(client, customer):
    assert client.login(username=customer.user.username, password=DEFAULT_PASSWORD)
    return client


@pytest.mark.parametrize("name", PAGES)
def test_customer_pages_render(logged_in, bank_ca, name):
    response = logged_in.get(reverse(f"certcenter:{name}"))
    assert response.status_code == 200
    assert "unsafe-inline" not in response.get("Content-Security-Policy", "")
    assert b"<script>" not in response.content


@pytest.mark.parametrize("name", PAGES)
def test_visitors_are_sent_to_login(client, db, name):
    response = client.get(reverse(f"certcenter:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("enrollment:login"))


def test_public_info_and_login_pages(client, db):
    assert client.get(reverse("certcenter:info")).status_code == 200
    assert client.get(reverse("certcenter:login")).status_code == 200


def test_other_customers_certificate_is_not_found(logged_in, bank_ca):
    from tests.certcenter.conftest import certificate_make
    from tests.factories import CustomerFactory

    theirs, _key = certificate_make(CustomerFactory())
    response = logged_in.get(reverse("certcenter:detail", args=[theirs.serial]))
    assert response.status_code == 404


HEADINGS = {
    "issue": ("인증서 발급/재발급", "Issue/reissue a certificate"),
    "renew": ("인증서 갱신", "Renew a certificate"),
    "discard": ("인증서 폐기", "Discard a certificate"),
    "password": ("인증서 암호 변경/삭제", "Change/delete the certificate password"),
    "copy-import": ("인증서 가져오기(PC → 스마트폰)", "Import a certificate (PC → Smartphone)"),
    "copy-export": ("인증서 내보내기(스마트폰 → PC)", "Export a certificate (Smartphone → PC)"),
    "foreign": ("타기관 인증서 등록", "Register another institute's certificate"),
    "devices": ("인증서 발급 사전지정/변경", "Pre-consent/ change of certificate issuance"),
    "list": ("내 인증서", "My certificates"),
    "sign-check": ("인증서 확인", "Check my certificate"),
    "info": ("공동인증서 안내", "Joint certificate information"),
    "login": ("인증서 로그인", "Certificate login"),
}


@pytest.mark.parametrize("name", sorted(HEADINGS))
def test_pages_in_korean_and_english(logged_in, bank_ca, settings, name):
    import html

    korean, english = HEADINGS[name]
    page = html.unescape(logged_in.get(reverse(f"certcenter:{name}")).content.decode())
    assert f"<h1>{korean}</h1>" in page
    logged_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = html.unescape(logged_in.get(reverse(f"certcenter:{name}")).content.decode())
    assert f"<h1>{english}</h1>" in page


@pytest.mark.parametrize(
    ("name", "secrets"),
    [
        ("issue", {"rrn": "9001011234568", "account_password": "1234", "security_answer": "5678"}),
        ("renew", {"account_password": "1234"}),
    ],
)
def test_secret_form_fields_are_hidden_from_error_reports(logged_in, bank_ca, name, secrets):
    """The RRN, account password and security answer never reach an error report."""
    from django.views.debug import SafeExceptionReporterFilter

    response = logged_in.post(reverse(f"certcenter:{name}"), {**secrets, "serial": "ab"})
    assert response.status_code == 200
    cleansed = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    for field in secrets:
        assert cleansed[field] == "********************"
    assert cleansed["serial"] == "ab"


@pytest.mark.parametrize(
    ("customer_type", "offered"), [("individual", False), ("sole_proprietor", True)]
)
def test_corporate_certificate_offered_to_business_customers_only(
    logged_in, bank_ca, customer, customer_type, offered
):
    from tests.accounts.factories import AccountFactory
    from tests.enrollment.media import card_for

    AccountFactory(owner=customer, balance=0)
    card_for(customer)
    customer.customer_type = customer_type
    customer.save(update_fields=["customer_type"])
    page = logged_in.get(reverse("certcenter:issue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="general_personal"' in html
    assert ('value="general_corporate"' in html) is offered
