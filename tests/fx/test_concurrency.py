"""The annual USD 100,000 limit under two remittances posted at the same moment (real
threads, PostgreSQL row locks). The race is run on remittance_post, the locked step after
the secrets: one customer's security card has one open challenge at a time, so two full
confirmations of one customer cannot be answered at the same instant."""

import threading

import pytest
import time_machine
from django.db import connection

from accounts.reconciliation import reconciliation_run
from fx.models import AnnualUsage, Remittance
from fx.services import remittance_order_bytes, remittance_post, remittance_quote
from postbank import policy
from postbank.errors import PostbankError
from tests.fx.conftest import REMIT_AT, SEPA, signed
from tests.locks import advisory_locks_held
from tests.threads import run_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_remittances_cannot_pass_the_annual_limit_together(sender, notice):
    AnnualUsage.objects.create(customer=sender.customer, year=2026, used_usd_cents=4_000_000)
    with time_machine.travel(REMIT_AT, tick=True):
        # USD 40,000 used; each USD 35,000 fits alone (75,000), together they would be
        # 110,000. Only one of the two may pass.
        quotes = [remittance_quote(customer=sender.customer, kind="swift",
                                   from_number=sender.account.number, currency="USD",
                                   amount=amount, sender_name="KIM HAEOE", charges="SHA",
                                   idempotency_key=f"race-key-{n}", **SEPA)
                  for n, amount in enumerate(["35000.00", "35000.01"])]
        signatures = [signed(sender, q) for q in quotes]
        serial = sender.customer.certificates.get().serial
        barrier = threading.Barrier(2)
        outcomes: dict[int, object] = {}

        def run(index: int) -> None:
            try:
                barrier.wait(timeout=10)
                outcomes[index] = remittance_post(
                    remittance=quotes[index], signed_order=remittance_order_bytes(
                        remittance=quotes[index]),
                    signature=signatures[index], signer=serial)
            except PostbankError as exc:
                outcomes[index] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    passed = [o for o in outcomes.values() if isinstance(o, Remittance)]
    refused = [o for o in outcomes.values() if isinstance(o, PostbankError)]
    assert len(passed) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "annual_limit_exceeded"
    winner = passed[0]
    assert winner.status == Remittance.Status.RECEIVED
    loser = Remittance.objects.exclude(pk=winner.pk).get()
    assert (loser.status, loser.entry_id) == (Remittance.Status.FAILED, None)
    usage = AnnualUsage.objects.get(customer=sender.customer, year=2026)
    assert usage.used_usd_cents == 4_000_000 + winner.usd_cents
    assert usage.used_usd_cents <= policy.SWIFT_ANNUAL_LIMIT_USD_CENTS
    sender.account.refresh_from_db()
    assert sender.account.balance == 200_000_000 - winner.total_krw
    assert reconciliation_run(trigger="test").ok


def test_a_double_submit_posts_once_spends_the_challenge_once_and_counts_no_wrong_entry(
        sender, notice):
    """Two confirmations of one quote at the same instant (the same challenge answer, the
    same signature): the claim (postbank.orders) lets one check the secrets and post; the
    other waits for it in PostgreSQL and answers its result."""
    from accounts.models import JournalEntry
    from enrollment.models import CardChallenge, Customer
    from fx.services import remittance_confirm
    from tests.accounts.factories import ACCOUNT_PASSWORD

    with time_machine.travel(REMIT_AT, tick=True):
        quote = remittance_quote(customer=sender.customer, kind="swift",
                                 from_number=sender.account.number, currency="USD",
                                 amount="1000.00", sender_name="KIM HAEOE", charges="SHA",
                                 idempotency_key="double-submit-1", **SEPA)
        signature = signed(sender, quote)
        challenge_id, answer = sender.answer()

        def confirm(_index):
            done = remittance_confirm(
                customer=Customer.objects.get(pk=sender.customer.pk),
                remittance=Remittance.objects.get(pk=quote.pk),
                account_password=ACCOUNT_PASSWORD, challenge_id=challenge_id,
                security_answer=answer, signature=signature)
            return done.status, done.entry_id

        outcomes = run_threads(2, confirm)

    assert outcomes[0] == outcomes[1], outcomes
    status, entry_id = outcomes[0]
    assert status == Remittance.Status.RECEIVED and entry_id is not None
    assert JournalEntry.objects.filter(reference=str(quote.public_id)).count() == 1
    assert Customer.objects.get(pk=sender.customer.pk).wrong_entries == 0
    assert CardChallenge.objects.filter(pk=challenge_id, used_at__isnull=False).count() == 1
    sender.account.refresh_from_db()
    assert sender.account.balance == 200_000_000 - Remittance.objects.get(pk=quote.pk).total_krw
    assert advisory_locks_held() == 0
    assert reconciliation_run(trigger="test").ok
