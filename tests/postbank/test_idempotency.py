"""One table over every idempotent endpoint (postbank/idempotency.py): a replay answers the
first result and creates nothing, the same key with another request answers 422
`idempotency_key_reused` and changes nothing, two concurrent duplicates get one row, and a
missing or malformed key answers 400.

Each row is a small adapter: `make(key, variant)` sends one request and answers a Result
(HTTP status, the result's id or the problem code, whether it was marked replayed)."""

from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, CashTransaction
from accounts.services import cash_deposit
from certcenter import ca as ca_ops
from certcenter import client as device
from certcenter.models import Certificate
from enrollment import identity
from enrollment.security import security_challenge_issue
from fx.models import Remittance
from fx.services import rate_notice_publish
from postbank.errors import PostbankError
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.enrollment.media import card_answer, card_for
from tests.factories import DEFAULT_PASSWORD, CustomerFactory, UserFactory
from tests.fx.conftest import FUNDED_AT, NOTICE_AT, REMIT_AT, SEPA, rate_rows
from tests.threads import run_threads
from tests.transfers.conftest import card_holder, ledger_snapshot
from tests.transfers.test_api import client_for, order
from transfers.models import Transfer

KEY = "idem-key-0001"


@dataclass(frozen=True)
class Result:
    status: int
    value: str  # the result's id, or the problem's code
    replayed: bool = False  # Idempotent-Replayed: true


def api_result(response, id_field="id") -> Result:
    body = response.json()
    if response.status_code >= 400:
        return Result(response.status_code, body["code"])
    return Result(response.status_code, str(body[id_field]),
                  response.get("Idempotent-Replayed") == "true")


def headers(key) -> dict:
    return {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}


class Endpoint:
    """One idempotent endpoint. `first` and `replay` are the answers' status and replay mark
    for the first request and a repeat of it; `variants` name the different requests."""

    model: type
    first = (201, False)
    replay = (200, True)
    variants: tuple[str, ...] = ("other",)

    def setup(self):
        """The world the requests need, built in the test's thread."""

    def teardown(self):
        pass

    def client(self):
        """A client of its own for one thread."""
        return None

    def make(self, key, variant="same", client=None) -> Result:
        raise NotImplementedError

    def state(self) -> tuple:
        """Everything a request could change: its business rows and the ledger."""
        return (self.model.objects.count(), ledger_snapshot())


class TransferPrepareApi(Endpoint):
    """POST /api/v1/transfers/ with an Idempotency-Key header."""

    model = Transfer

    def setup(self):
        self.holder = card_holder(name="멱등사용자")
        self.holder.account = AccountFactory(owner=self.holder.customer, balance=500_000)
        self.receiver = AccountFactory()
        self.default = self.client()

    def client(self):
        return client_for(self.holder.customer)

    def make(self, key, variant="same", client=None):
        amount = {"same": 1_000, "other": 2_000}[variant]
        response = (client or self.default).post(
            "/api/v1/transfers/", order(self.holder, self.receiver.number, amount),
            format="json", **headers(key))
        return api_result(response)


class RemittanceQuoteApi(Endpoint):
    """POST /api/v1/fx/remittances/ with an Idempotency-Key header."""

    model = Remittance

    def setup(self):
        rate_notice_publish(rows=rate_rows(), source="counter", noticed_at=NOTICE_AT)
        with time_machine.travel(FUNDED_AT, tick=False):
            self.sender = card_holder(name="김해외")
            self.sender.account = AccountFactory(owner=self.sender.customer,
                                                 balance=200_000_000)
        self.travel = time_machine.travel(REMIT_AT, tick=True)
        self.travel.start()
        self.default = self.client()

    def teardown(self):
        self.travel.stop()

    def client(self):
        client = APIClient()
        client.force_authenticate(self.sender.customer.user)
        return client

    def make(self, key, variant="same", client=None):
        amount = {"same": "1000.00", "other": "999.00"}[variant]
        body = {"kind": "swift", "from_account": self.sender.account.number,
                "currency": "USD", "amount": amount, "sender_name": "KIM HAEOE",
                "charges": "OUR", **SEPA}
        response = (client or self.default).post(
            "/api/v1/fx/remittances/", body, format="json", **headers(key))
        return api_result(response)


class CertificateIssueApi(Endpoint):
    """POST certcenter-api-issue, key in the body's
    `idempotency_key`. The API answers 201 to a repeat too (the first status)."""

    model = Certificate
    replay = (201, False)
    # Another key pair for the same type; the same key pair for another type.
    variants = ("other_key", "other_type")
    RRN = "9001011234568"

    def setup(self):
        ca_ops.ca_hierarchy_create(now=timezone.now())
        customer = CustomerFactory(name="홍길동")
        customer.rrn_hash = identity.rrn_hash(self.RRN)
        customer.rrn_encrypted = identity.rrn_encrypt(self.RRN)
        customer.save(update_fields=["rrn_hash", "rrn_encrypted"])
        self.customer = customer
        self.account = AccountFactory(owner=customer, balance=10_000)
        _card, codes = card_for(customer)
        challenge = security_challenge_issue(customer=customer)
        self.keys = {"same": device.key_generate(), "other_key": device.key_generate()}
        self.proof = {
            "user_id": customer.user.username,
            "rrn_or_business_number": self.RRN,
            "account_number": self.account.number,
            "account_password": ACCOUNT_PASSWORD,
            "security_challenge_id": challenge.id,
            "security_answer": card_answer(codes, challenge),
        }
        self.default = self.client()

    def client(self):
        client = Client()
        assert client.login(username=self.customer.user.username, password=DEFAULT_PASSWORD)
        return client

    def make(self, key, variant="same", client=None):
        body = {
            **self.proof,
            "csr": device.csr_make(self.keys.get(variant, self.keys["same"])).decode(),
            "cert_type": "etax" if variant == "other_type" else "general_personal",
        }
        if key is not None:
            body["idempotency_key"] = key
        response = (client or self.default).post(
            reverse("certcenter-api-issue"), body, content_type="application/json")
        return api_result(response, id_field="serial")

    def state(self):
        self.customer.refresh_from_db()
        return (*super().state(), self.customer.wrong_entries)


class CounterCashDeposit(Endpoint):
    """The counter's cash deposit form: accounts.services.cash_deposit. A service has no
    HTTP status: a record answers 200, a refusal its PostbankError's status and code."""

    model = CashTransaction
    first = (200, False)
    replay = (200, False)

    def setup(self):
        self.teller = UserFactory(username="teller-idem", is_staff=True)
        self.account = AccountFactory()

    def make(self, key, variant="same", client=None):
        amount = {"same": 10_000, "other": 20_000}[variant]
        try:
            record = cash_deposit(account=Account.objects.get(pk=self.account.pk),
                                  amount=amount, id_document="passport", teller=self.teller,
                                  idempotency_key=key)
        except PostbankError as exc:
            return Result(exc.status, exc.code)
        return Result(200, str(record.pk))


ENDPOINTS = [TransferPrepareApi, RemittanceQuoteApi, CertificateIssueApi, CounterCashDeposit]



@pytest.fixture
def endpoint(request):
    endpoint = request.param()
    endpoint.setup()
    yield endpoint
    endpoint.teardown()


def by_name(value):
    if isinstance(value, type):
        return value.__name__
    if value is None:
        return "missing"
    short = {"": "blank", "k" * 65: "65chars", "idempotency_key_required": "required",
             "invalid_idempotency_key": "invalid"}
    return short.get(value, value)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True, ids=by_name)
def test_same_key_same_request_answers_the_first_result_once(endpoint):
    before = endpoint.state()
    first = endpoint.make(KEY)
    assert (first.status, first.replayed) == endpoint.first, first
    created = endpoint.state()
    assert created[0] == before[0] + 1

    again = endpoint.make(KEY)

    assert again == Result(endpoint.replay[0], first.value, endpoint.replay[1]), again
    assert endpoint.state() == created


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("endpoint", "variant"),
    [pytest.param(cls, variant) for cls in ENDPOINTS for variant in cls.variants],
    indirect=["endpoint"], ids=by_name)
def test_same_key_different_request_is_422_and_changes_nothing(endpoint, variant):
    first = endpoint.make(KEY)
    assert (first.status, first.replayed) == endpoint.first, first
    before = endpoint.state()

    reused = endpoint.make(KEY, variant)

    assert reused == Result(422, "idempotency_key_reused"), (first, reused)
    assert endpoint.state() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("endpoint", [pytest.param(cls) for cls in ENDPOINTS],
                         indirect=True, ids=by_name)
def test_concurrent_duplicates_get_one_row_and_the_same_result(endpoint):
    before = endpoint.state()
    clients = [endpoint.client(), endpoint.client()]

    outcomes = run_threads(2, lambda index: endpoint.make(KEY, client=clients[index]))

    assert all(isinstance(outcome, Result) for outcome in outcomes), outcomes
    assert endpoint.state()[0] == before[0] + 1, outcomes
    assert outcomes[0].value == outcomes[1].value, outcomes
    # One answer is the first one, the other the endpoint's replay answer.
    assert sorted((o.status, o.replayed) for o in outcomes) == sorted(
        [endpoint.first, endpoint.replay]), outcomes
    # Money moved once: the state is that of one request, which a repeat leaves as it is.
    once = endpoint.state()
    again = endpoint.make(KEY)
    assert again == Result(endpoint.replay[0], outcomes[0].value, endpoint.replay[1]), again
    assert endpoint.state() == once


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("endpoint", "key", "code"),
    [pytest.param(cls, key, code) for cls in ENDPOINTS for key, code in [
        (None, "idempotency_key_required"),
        ("", "idempotency_key_required"),
        ("bad key!", "invalid_idempotency_key"),
        ("k" * 65, "invalid_idempotency_key"),
    ]],
    indirect=["endpoint"], ids=by_name)
def test_missing_or_malformed_key_is_400_and_creates_nothing(endpoint, key, code):
    before = endpoint.state()

    answer = endpoint.make(key)

    assert answer == Result(400, code), answer
    assert endpoint.state() == before
