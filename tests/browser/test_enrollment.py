"""Enrollment in Chromium: a teller takes an application at the counter screens, the
customer registers online with the printed reference and card, then uses the security
center at phone width in both languages; the teller lifts a suspension."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from enrollment.models import Application, Customer, Document, IdCheck, MediumStatus
from enrollment.services import wrong_entry_record
from tests.enrollment.helpers import rrn_born, submit
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Blue-harbor-2026!"


def _teller():
    user = UserFactory(username="teller-choi", is_staff=True)
    user.groups.add(Group.objects.get(name="teller"))
    return user


def _counter_login(page, live_server, user):
    page.goto(live_server.url + "/counter/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def _fill_application(page, *, rrn, documents, representation=""):
    page.fill("#id_name", "정약용")
    page.fill("#id_rrn", rrn)
    page.fill("#id_phone", "010-5555-6666")
    page.select_option("#id_id_document_type", "resident_card")
    page.fill("#id_id_document_number", "AB9876543")
    page.fill("#id_new_account_password", "2468")
    page.check("input[name=authentication][value=seal]")
    page.check("input[name=medium][value=security_card]")
    page.select_option("#id_representation", representation)
    if representation:
        page.fill("#id_representative_name", "정부모")
    for document in documents:
        page.check(f"input[name=documents][value={document}]")
    page.click("[data-testid=application-submit]")


def test_counter_application_then_online_registration_and_security_center(
        live_server, page, phone_context):
    _counter_login(page, live_server, _teller())
    page.goto(live_server.url + "/counter/enrollment/application/add/")
    _fill_application(page, rrn=rrn_born(date(2010, 1, 1)),
                      documents=[Document.APPLICATION_FORM, Document.PASSBOOK_SEAL],
                      representation="one_parent")
    expect(page.locator("[data-testid=problem]")).to_be_visible()
    assert Application.objects.count() == 0

    page.goto(live_server.url + "/counter/enrollment/application/add/")
    _fill_application(page, rrn=rrn_born(date(1984, 2, 29)),
                      documents=[Document.APPLICATION_FORM, Document.PASSBOOK_SEAL])
    expect(page.locator("[data-testid=application-printout]")).to_be_visible()
    reference = page.locator("[data-testid=reference]").inner_text()
    account = page.locator("[data-testid=designated-account]").inner_text()
    codes = {n: page.locator(f"[data-testid=code-{n}]").inner_text() for n in range(1, 36)}
    assert Application.objects.get().reference == reference

    customer_page = phone_context.new_page()
    customer_page.goto(live_server.url + "/login/")
    customer_page.click("[data-testid=register-link]")
    customer_page.fill("#id_reference_or_rrn", reference)
    customer_page.fill("#id_account_number", account)
    customer_page.fill("#id_account_password", "2468")
    customer_page.click("[data-testid=register-next]")
    challenge = customer_page.locator("[data-testid=challenge]")
    expect(challenge).to_be_visible()
    first = int(challenge.get_attribute("data-first"))
    second = int(challenge.get_attribute("data-second"))
    customer_page.fill("#id_security_answer", codes[first][:2] + codes[second][2:])
    customer_page.fill("#id_user_id", "yakyong84")
    customer_page.fill("#id_password", NEW_PASSWORD)
    customer_page.fill("#id_password_again", NEW_PASSWORD)
    customer_page.check("#id_terms")
    assert customer_page.evaluate("document.documentElement.scrollWidth") <= 375
    customer_page.click("[data-testid=register-submit]")

    expect(customer_page.locator("h1")).to_have_text("로그인")
    customer_page.fill("#id_user_id", "yakyong84")
    customer_page.fill("#id_password", NEW_PASSWORD)
    customer_page.click("[data-testid=login-submit]")
    customer_page.goto(live_server.url + "/security/")
    expect(customer_page.locator("h1")).to_have_text("보안센터")
    expect(customer_page.locator("[data-testid=limit-transfer]")).to_have_text("5,000,000")
    assert customer_page.evaluate("document.documentElement.scrollWidth") <= 375

    customer_page.click("summary:has-text('설정')")
    customer_page.click("[data-testid=lang-en]")
    expect(customer_page.locator("h1")).to_have_text("Security center")
    customer_page.check("input[name=medium][value=security_card]")
    customer_page.click("[data-testid=loss-submit]")
    expect(customer_page.locator(".message.success")).to_contain_text("medium is stopped")
    expect(customer_page.locator("[data-testid=medium-security_card] [data-testid=medium-status]")
           ).to_have_text("reported lost")
    customer = Customer.objects.get(user__username="yakyong84")
    assert customer.security_cards.get().status == MediumStatus.LOST


def test_teller_lifts_a_suspension_in_the_browser(live_server, page):
    customer = submit().application.customer
    for _ in range(5):
        wrong_entry_record(customer=customer, kind="otp", channel="api")
    _counter_login(page, live_server, _teller())
    page.goto(live_server.url + f"/counter/enrollment/customer/{customer.pk}/change/")
    page.click("[data-testid=lift-link]")
    page.select_option("#id_id_document_type", "passport")
    page.fill("#id_id_document_number", "M12345678")
    page.click("[data-testid=lift-submit]")
    expect(page.locator(".messagelist")).to_be_visible()
    customer.refresh_from_db()
    assert customer.suspension == "" and customer.wrong_entries == 0
    assert IdCheck.objects.get().id_document_masked == "M1*****78"
