"""Counter screens: rate notices entered and loaded from CSV, remittance list and a test
return by an operator; tellers see but cannot return."""

from datetime import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.reconciliation import reconciliation_run
from fx.models import RateNotice, Remittance
from fx.services import remittance_confirm, remittance_quote
from postbank.kst import KST
from tests.accounts.factories import ACCOUNT_PASSWORD
from tests.factories import UserFactory
from tests.fx.conftest import RATES, REMIT_AT, SEPA, signed

pytestmark = pytest.mark.django_db


def staff(group: str) -> Client:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_operator_enters_a_notice_and_a_bad_order_is_refused(db):
    operator = staff("operator")
    url = reverse("admin:fx_ratenotice_enter")
    page = operator.get(url)
    rows = page.context["formset"].initial
    data = {"rates-TOTAL_FORMS": len(rows), "rates-INITIAL_FORMS": len(rows)}
    for index, row in enumerate(rows):
        data[f"rates-{index}-currency"] = row["currency"]
        values = RATES.get(row["currency"], ("",) * 5)
        for name, value in zip(("base", "cash_buy", "cash_sell", "tt_send", "tt_receive"),
                               values, strict=True):
            data[f"rates-{index}-{name}"] = value
    usd = next(i for i, row in enumerate(rows) if row["currency"] == "USD")
    wrong = dict(data, **{f"rates-{usd}-tt_send": "1399.00"})
    refused = operator.post(url, wrong)
    assert refused.context["problem"].code == "rate_ordering"
    assert not RateNotice.objects.exists()
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=KST), tick=False):
        done = operator.post(url, data)
        assert operator.get(done["Location"]).status_code == 200
    notice = RateNotice.objects.get()
    assert done["Location"] == reverse("admin:fx_ratenotice_change", args=[notice.pk])
    assert (notice.round, notice.source, notice.rates.count()) == (1, "counter", len(RATES))


def test_operator_loads_a_csv_file(db):
    operator = staff("operator")
    text = (b"currency,base,cash_buy,cash_sell,tt_send,tt_receive\n"
            b"USD,1400.00,1375.50,1424.50,1414.00,1386.00\n")
    operator.post(reverse("admin:fx_ratenotice_csv"),
                  {"file": SimpleUploadedFile("rates.csv", text, "text/csv")})
    notice = RateNotice.objects.get()
    assert (notice.source, notice.rates.get().tt_send) == ("csv", 1414)
    bad = operator.post(reverse("admin:fx_ratenotice_csv"), {"file": SimpleUploadedFile(
        "rates.csv", text + b"JPY,930,960,946,939,920\n", "text/csv")})
    assert bad.context["problem"].code == "invalid_rate_file"
    assert "Line 3" in str(bad.context["problem"].message)
    assert RateNotice.objects.count() == 1


def test_operator_makes_a_return_teller_cannot(sender, notice):
    with time_machine.travel(REMIT_AT, tick=False):
        remittance = remittance_quote(customer=sender.customer, kind="swift",
                                      from_number=sender.account.number, currency="USD",
                                      amount="500.00", sender_name="KIM",
                                      idempotency_key="counter-0001", **SEPA)
        challenge_id, answer = sender.answer()
        remittance_confirm(customer=sender.customer, remittance=remittance,
                           account_password=ACCOUNT_PASSWORD, challenge_id=challenge_id,
                           security_answer=answer, signature=signed(sender, remittance))
    url = reverse("admin:fx_remittance_return", args=[remittance.pk])
    teller = staff("teller")
    assert teller.get(reverse("admin:fx_remittance_changelist")).status_code == 200
    assert teller.post(url, {"reason": "test"}).status_code == 403
    operator = staff("operator")
    change = operator.get(reverse("admin:fx_remittance_change", args=[remittance.pk]))
    assert b'data-testid="make-return"' in change.content
    # The signature evidence is on the operator's screen too.
    remittance.refresh_from_db()
    assert remittance.signer_certificate_serial == sender.certificate.serial
    assert remittance.signer_certificate_serial.encode() in change.content
    assert remittance.signed_order_sha256.encode() in change.content
    with time_machine.travel(REMIT_AT.replace(hour=11), tick=False):
        operator.post(url, {"reason": "Beneficiary account closed"})
        again = operator.post(url, {"reason": "again"})
    remittance.refresh_from_db()
    # USD 500.00 at TT receive 1,386.00
    assert (remittance.status, remittance.refund_krw) == ("returned", 693_000)
    sender.account.refresh_from_db()
    assert sender.account.balance == 200_000_000 - remittance.total_krw + 693_000
    assert again.context["problem"].code == "not_returnable"
    assert Remittance.objects.get().return_entry_id == remittance.return_entry_id
    assert reconciliation_run(trigger="test").ok
