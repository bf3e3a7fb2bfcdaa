"""The F/X API: public rates, quote → challenge → confirm with idempotency, problem details
with stable codes, searches and the outbound message."""

import base64
import hashlib

import pytest
from rest_framework.test import APIClient

from accounts.models import JournalEntry
from certcenter import client as device
from certcenter import services as certcenter
from fx.models import Remittance
from fx.services import remittance_send
from tests.accounts.factories import ACCOUNT_PASSWORD
from tests.fx.conftest import SEPA, ledger_snapshot
from tests.transfers.conftest import card_holder

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(sender):
    client = APIClient()
    client.force_authenticate(sender.customer.user)
    return client


def _body(sender, **overrides):
    return {"kind": "swift", "from_account": sender.account.number, "currency": "USD",
            "amount": "1000.00", "sender_name": "KIM HAEOE", "charges": "OUR", **SEPA,
            **overrides}


def test_rates_convert_history_and_partners_are_public(notice, partners, at_remit_time):
    client = APIClient()
    rates = client.get("/api/v1/fx/rates/").json()
    assert (rates["notice_date"], rates["round"]) == ("2026-03-02", 1)
    jpy = next(r for r in rates["rates"] if r["currency"] == "JPY")
    assert (jpy["unit"], jpy["tt_send"], jpy["minor_units"]) == (100, "939.3000", 0)
    converted = client.get("/api/v1/fx/rates/convert/", {
        "currency": "usd", "amount": "1000000", "direction": "from_krw",
        "rate_kind": "tt_send"}).json()
    assert (converted["foreign_amount"], converted["foreign_minor"], converted["won"]) == (
        "707.03", 70_703, 1_000_000)
    history = client.get("/api/v1/fx/rates/USD/history/", {"days": 7}).json()
    assert [(p["base"], p["tt_send"]) for p in history] == [("1400.0000", "1414.3500")]
    assert {p["country"] for p in client.get("/api/v1/fx/eurogiro/partners/").json()} == {
        "JP", "CH", "MN", "PH", "LK", "TH"}
    missing = client.get("/api/v1/fx/rates/", {"date": "2026-03-01"})
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/problem+json")
    assert missing.json()["code"] == "rate_notice_not_found"


def test_quote_confirm_detail_search_message(api, sender, notice, at_remit_time):
    assert api.post("/api/v1/fx/remittances/", _body(sender), format="json").json()[
        "code"] == "idempotency_key_required"
    first = api.post("/api/v1/fx/remittances/", _body(sender), format="json",
                     HTTP_IDEMPOTENCY_KEY="api-quote-0001")
    assert first.status_code == 201
    quote = first.json()
    assert (quote["status"], quote["krw_amount"], quote["sending_fee"], quote["cable_charge"],
            quote["intermediary_krw"], quote["total_krw"], quote["rate"]) == (
        "quoted", 1_414_350, 10_000, 5_000, 25_458, 1_454_808, "1414.3500")
    replay = api.post("/api/v1/fx/remittances/", _body(sender), format="json",
                      HTTP_IDEMPOTENCY_KEY="api-quote-0001")
    assert (replay.status_code, replay["Idempotent-Replayed"], replay.json()["id"]) == (
        200, "true", quote["id"])
    conflict = api.post("/api/v1/fx/remittances/", _body(sender, amount="999"),
                        format="json", HTTP_IDEMPOTENCY_KEY="api-quote-0001")
    assert (conflict.status_code, conflict.json()["code"]) == (422, "idempotency_key_reused")

    challenge = api.post(f"/api/v1/fx/remittances/{quote['id']}/challenge/").json()
    answer = (sender.codes[challenge["first_index"] - 1][:2]
              + sender.codes[challenge["second_index"] - 1][2:])
    confirmed = api.post(f"/api/v1/fx/remittances/{quote['id']}/confirm/", {
        "account_password": ACCOUNT_PASSWORD, "challenge_id": challenge["challenge_id"],
        "security_answer": answer, "signature": sender.sign_base64(quote["order"])},
        format="json")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "received"
    assert confirmed.json()["signer_certificate_serial"] == sender.certificate.serial
    assert [e["status"] for e in confirmed.json()["events"]] == ["received"]
    sender.account.refresh_from_db()
    assert sender.account.balance == 200_000_000 - 1_454_808
    again = api.post(f"/api/v1/fx/remittances/{quote['id']}/confirm/", {
        "account_password": ACCOUNT_PASSWORD, "security_answer": "0000"}, format="json")
    assert again.json()["status"] == "received"
    sender.account.refresh_from_db()
    assert sender.account.balance == 200_000_000 - 1_454_808

    assert api.get(f"/api/v1/fx/remittances/{quote['id']}/message/").json()["code"] \
        == "message_not_sent"
    remittance_send(remittance_id=Remittance.objects.get().pk)
    message = api.get(f"/api/v1/fx/remittances/{quote['id']}/message/").json()
    assert message["format"] == "pacs.008.001.08"
    assert "<BICFI>COBADEFFXXX</BICFI>" in message["message"]
    found = api.get("/api/v1/fx/remittances/search/", {"kind": "swift"}).json()
    assert (found["count"], found["results"][0]["id"], found["results"][0]["status"]) == (
        1, quote["id"], "sent")
    assert api.get("/api/v1/fx/remittances/search/", {"kind": "eurogiro"}).json()[
        "count"] == 0
    assert api.get(f"/api/v1/fx/remittances/{quote['id']}/").json()["message_reference"] \
        .startswith("PB")


def test_refusals_are_problem_details_and_move_nothing(api, sender, notice, partners,
                                                       at_remit_time):
    cases = [
        (_body(sender, bic="COBADE"), "invalid_bic"),
        (_body(sender, account="DE00370400440532013000"), "invalid_iban"),
        (_body(sender, amount="1.001"), "invalid_amount_decimals"),
        (_body(sender, beneficiary_name="홍길동"), "unsupported_characters"),
        (_body(sender, currency="XAU"), "currency_not_offered"),
        (_body(sender, country="KP"), "country_not_offered"),
        (_body(sender, kind="eurogiro", country="JP", account="1234567", amount="5000.01"),
         "eurogiro_cap_exceeded"),
        (_body(sender, amount="100000.01"), "annual_limit_exceeded"),
    ]
    for number, (body, code) in enumerate(cases):
        answer = api.post("/api/v1/fx/remittances/", body, format="json",
                          HTTP_IDEMPOTENCY_KEY=f"api-bad-{number:04d}")
        assert answer["Content-Type"].startswith("application/problem+json")
        assert (answer.json()["code"], answer.status_code in (400, 409)) == (code, True)
    assert not Remittance.objects.exists()
    sender.account.refresh_from_db()
    assert sender.account.balance == 200_000_000


def test_another_customers_remittance_is_not_found(api, sender, notice, at_remit_time):
    quote = api.post("/api/v1/fx/remittances/", _body(sender), format="json",
                     HTTP_IDEMPOTENCY_KEY="api-own-0001").json()
    other = APIClient()
    other.force_authenticate(card_holder().customer.user)
    for path in ("", "message/"):
        answer = other.get(f"/api/v1/fx/remittances/{quote['id']}/{path}")
        assert (answer.status_code, answer.json()["code"]) == (404, "remittance_not_found")
    assert other.post(f"/api/v1/fx/remittances/{quote['id']}/confirm/", {
        "account_password": "1234", "security_answer": "0000"}, format="json"
    ).status_code == 404


def test_confirm_answers_signature_problems_with_codes(api, sender, notice, at_remit_time):
    quote = api.post("/api/v1/fx/remittances/", _body(sender, charges="SHA"), format="json",
                     HTTP_IDEMPOTENCY_KEY="api-signed-01").json()
    sender.certify()
    url = f"/api/v1/fx/remittances/{quote['id']}/confirm/"

    def post(signature):
        challenge = api.post(f"/api/v1/fx/remittances/{quote['id']}/challenge/").json()
        answer = (sender.codes[challenge["first_index"] - 1][:2]
                  + sender.codes[challenge["second_index"] - 1][2:])
        body = {"account_password": ACCOUNT_PASSWORD,
                "challenge_id": challenge["challenge_id"], "security_answer": answer}
        if signature is not None:
            body["signature"] = signature
        return api.post(url, body, format="json")

    before = ledger_snapshot()

    def nothing_moved():
        remittance = Remittance.objects.get()
        assert (remittance.status, remittance.entry_id, remittance.signature) == (
            "quoted", None, None)
        assert ledger_snapshot() == before
        sender.account.refresh_from_db()
        assert sender.account.balance == 200_000_000

    other_order = base64.b64encode(b'{"remittance":"something else"}').decode()
    forged = base64.b64encode(device.sign(device.key_generate(),
                                          base64.b64decode(quote["order"]))).decode()
    for signature, status, code in [
        (None, 400, "signature_required"),
        ("", 400, "signature_required"),
        ("not base64!", 400, "invalid_signature_encoding"),
        (forged, 409, "invalid_signature"),
        (sender.sign_base64(other_order), 409, "invalid_signature"),
    ]:
        response = post(signature)
        assert response["Content-Type"] == "application/problem+json"
        assert (response.status_code, response.json()["code"],
                response.json()["status"]) == (status, code, status)
        nothing_moved()
    certcenter.certificate_hold(customer=sender.customer, serial=sender.certificate.serial)
    held = post(sender.sign_base64(quote["order"])).json()
    assert (held["status"], held["code"], held["certificate_status"]) == (
        409, "invalid_signature", "held")
    nothing_moved()
    certcenter.certificate_restore(customer=sender.customer, serial=sender.certificate.serial)
    done = post(sender.sign_base64(quote["order"]))
    assert done.status_code == 200
    signed = done.json()
    remittance = Remittance.objects.get()
    assert (signed["status"], signed["signer_certificate_serial"], signed["signature"],
            signed["signed_order_sha256"]) == (
        "received", sender.certificate.serial, remittance.signature_base64,
        hashlib.sha256(base64.b64decode(quote["order"])).hexdigest())
    assert JournalEntry.objects.filter(kind="fx_swift").count() == 1
    sender.account.refresh_from_db()
    assert sender.account.balance == 200_000_000 - 1_429_350


def test_the_schema_documents_the_signature(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    confirm_in = schema["components"]["schemas"]["FxConfirmInputRequest"]["properties"]
    assert "signature_required" in confirm_in["signature"]["description"]
    assert "`order`" in confirm_in["signature"]["description"]
    out = schema["components"]["schemas"]["FxRemittance"]["properties"]
    assert {"signer_certificate_serial", "signature", "signed_order_sha256"} <= set(out)
