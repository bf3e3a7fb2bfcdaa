"""Every certificate center endpoint answers hostile input with a problem-details code (or
an OCSP error status), never a 500."""

import base64

import pytest
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD

GARBAGE_B64 = base64.b64encode(b"\x30\x82\xff\xff" + b"\x00" * 64).decode()
NESTED_B64 = base64.b64encode(b"\x30\x80" * 400).decode()


@pytest.fixture
def api(client, bank_ca, customer):
    assert client.login(username=customer.user.username, password=DEFAULT_PASSWORD)
    return client


CASES = [
    (
        "certcenter-api-foreign",
        {},
        {"certificate": GARBAGE_B64, "nonce": "x", "signature": "AA=="},
        "extra_verification_needed",
    ),
    (
        "certcenter-api-copy-send",
        {},
        {"code": "1234-5678-9012", "encrypted_key": NESTED_B64, "certificate": GARBAGE_B64},
        "invalid_key_file",
    ),
    (
        "certcenter-api-copy-send",
        {},
        {"code": "🙂" * 5, "encrypted_key": "%%%", "certificate": "x"},
        "invalid_input",
    ),
    ("certcenter-api-copy-receive", {}, {"code": "0" * 12}, "copy_code_wrong"),
    ("certcenter-api-copy-receive", {}, {"code": "abc"}, "copy_code_wrong"),
    ("certcenter-api-copy-start", {}, {"direction": "sideways"}, "invalid_input"),
    (
        "certcenter-api-signature-verify",
        {},
        {"data": GARBAGE_B64, "signature": NESTED_B64},
        "invalid_signature",
    ),
    ("certcenter-api-signature-verify", {}, {"data": "", "signature": "AA=="}, "invalid_input"),
    (
        "certcenter-api-discard",
        {"serial": "zz"},
        {"reason": "key_compromise"},
        "certificate_not_found",
    ),
    ("certcenter-api-discard", {"serial": "1"}, {"reason": "because"}, "invalid_reason"),
    ("certcenter-api-hold", {"serial": "x' OR '1'='1"}, None, "certificate_not_found"),
    (
        "certcenter-api-renew",
        {"serial": "ab"},
        {"csr": NESTED_B64, "account_number": "1", "account_password": "1", "idempotency_key": "k"},
        "invalid_csr",
    ),
    (
        "certcenter-api-login",
        {},
        {"nonce": "'; drop table", "certificate": GARBAGE_B64, "signature": "AA=="},
        "challenge_invalid",
    ),
]


@pytest.mark.parametrize(("name", "kwargs", "body", "code"), CASES)
def test_hostile_api_input_is_a_problem(api, name, kwargs, body, code):
    response = api.post(reverse(name, kwargs=kwargs), body or {}, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_non_json_body_is_a_problem(api):
    response = api.post(
        reverse("certcenter-api-issue"), b"\xff\xfe{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "path", ["/certcenter/ocsp/%%%%", "/certcenter/ocsp/AAAA", "/certcenter/ocsp/" + "A" * 20_000]
)
def test_hostile_ocsp_get_is_an_ocsp_error(bank_ca, client, path):
    from cryptography.x509 import ocsp

    response = client.get(path)
    assert response.status_code == 200
    status = ocsp.load_der_ocsp_response(response.content).response_status
    assert status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


HOSTILE_SERIALS = ["\x00", "\x00zz", "zz", "ab\x00cd", "a" * 41, "12 34", "\uff10\uff11", "-1"]


@pytest.mark.parametrize("serial", HOSTILE_SERIALS)
def test_hostile_serial_in_a_url_is_not_found_and_changes_nothing(api, customer, serial):
    from certcenter.models import Certificate
    from tests.certcenter.conftest import certificate_make

    certificate, _key = certificate_make(customer)
    page = api.get(reverse("certcenter:detail", kwargs={"serial": serial}))
    assert page.status_code == 404
    for name in ("certcenter-api-hold", "certcenter-api-restore"):
        response = api.post(
            reverse(name, kwargs={"serial": serial}), content_type="application/json"
        )
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "certificate_not_found"
    response = api.post(
        reverse("certcenter-api-discard", kwargs={"serial": serial}),
        {"reason": "key_compromise"},
        content_type="application/json",
    )
    assert response.json()["code"] == "certificate_not_found"
    assert Certificate.objects.get(pk=certificate.pk).status == "valid"


def test_raw_nul_paths_are_404(api, customer):
    assert api.get("/certcenter/certificates/%00zz/").status_code == 404
    response = api.post(
        "/api/v1/certcenter/certificates/%00/hold/", content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "certificate_not_found"


def test_a_serial_in_capitals_or_with_spaces_still_finds_the_certificate(customer, bank_ca):
    from certcenter import services
    from tests.certcenter.conftest import certificate_make

    certificate, _key = certificate_make(customer)
    found = services.certificate_get(customer=customer, serial=f" {certificate.serial.upper()} ")
    assert found == certificate
