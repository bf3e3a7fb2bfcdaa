import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_customer_logs_in_switches_language_and_sees_the_countdown(live_server, page,
                                                                          settings):
    settings.DEBUG = True
    call_command("seed_demo")
    settings.DEBUG = False
    page.goto(live_server.url + "/login/")
    expect(page.locator("h1")).to_have_text("로그인")
    page.fill("#id_user_id", "demo")
    page.fill("#id_password", "Demo-pass-2026!")
    page.click("[data-testid=login-submit]")
    expect(page.locator("h1")).to_contain_text("홍길동")

    countdown = page.locator("[data-testid=time-left]")
    expect(countdown).to_have_text(re.compile(r"^(10:00|09:5\d)$"))
    first = countdown.inner_text()
    page.wait_for_timeout(1500)
    assert countdown.inner_text() < first

    page.click("summary:has-text('설정')")
    page.click("[data-testid=lang-en]")
    expect(page.locator("h1")).to_contain_text("Welcome")
    expect(page.locator("[data-testid=extend]")).to_have_text("Extend")
    page.click("summary:has-text('Settings')")
    page.click("[data-testid=lang-ko]")
    expect(page.locator("[data-testid=extend]")).to_have_text("연장")

    page.click("[data-testid=extend]")
    expect(countdown).to_have_text(re.compile(r"^(10:00|09:5\d)$"))
    page.click("[data-testid=logout]")
    expect(page.locator("h1")).to_have_text("로그인")


def test_home_page_fits_a_phone(live_server, phone_context):
    page = phone_context.new_page()
    page.goto(live_server.url + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
