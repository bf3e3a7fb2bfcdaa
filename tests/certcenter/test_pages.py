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
