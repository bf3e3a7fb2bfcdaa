"""Renewal window, fee in the ledger, hold limit and its beat task, with frozen instants."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db.models import Sum

from accounts.models import JournalEntry, Posting
from certcenter import client, services
from certcenter.models import Certificate
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.certcenter.conftest import certificate_make

ISSUED = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # 10 March 2026, 10:30 KST
# Expires 9 March 2027 23:59:59 KST = 14:59:59 UTC; the window opens 7 Feb 2027 00:00 KST.
DAY_MINUS_31 = datetime(2027, 2, 6, 14, 59, 59, tzinfo=UTC)  # 6 Feb 23:59:59 KST
DAY_MINUS_30 = datetime(2027, 2, 6, 15, 0, 0, tzinfo=UTC)  # 7 Feb 00:00:00 KST
EXPIRY_DAY = datetime(2027, 3, 9, 14, 0, tzinfo=UTC)  # 9 March 23:00 KST
AFTER_EXPIRY = datetime(2027, 3, 9, 15, 0, 0, tzinfo=UTC)  # 10 March 00:00 KST


def _fee_income() -> int:
    return (
        Posting.objects.filter(ledger_account__code="fee_income").aggregate(s=Sum("amount"))["s"]
        or 0
    )


def _renew(customer, certificate, account, key=None, idem="renew-1", password=ACCOUNT_PASSWORD):
    key = key or client.key_generate()
    return services.certificate_renew(
        customer=customer,
        serial=certificate.serial,
        csr=client.csr_make(key).decode(),
        account_number=account.number,
        account_password=password,
        idempotency_key=idem,
    )


@pytest.fixture
def general(bank_ca, customer):
    with time_machine.travel(ISSUED, tick=False):
        certificate, _key = certificate_make(customer, cert_type="general_personal")
    account = AccountFactory(owner=customer, balance=10_000)
    return certificate, account


@pytest.mark.parametrize("instant", [DAY_MINUS_31, AFTER_EXPIRY])
def test_renewal_refused_outside_window(general, customer, instant):
    certificate, account = general
    with time_machine.travel(instant, tick=False), pytest.raises(services.RenewalWindow):
        _renew(customer, certificate, account)
    account.refresh_from_db()
    assert account.balance == 10_000
    assert Certificate.objects.count() == 1
    assert not JournalEntry.objects.filter(kind="certificate_fee").exists()


@pytest.mark.parametrize("instant", [DAY_MINUS_30, EXPIRY_DAY])
def test_renewal_inside_window_runs_a_year_from_old_expiry(general, customer, instant):
    certificate, account = general
    income = _fee_income()
    with time_machine.travel(instant, tick=False):
        renewed = _renew(customer, certificate, account)
    assert renewed.not_after == datetime(2028, 3, 9, 14, 59, 59, tzinfo=UTC)
    assert renewed.replaces == certificate
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revocation_reason) == ("revoked", "superseded")
    account.refresh_from_db()
    assert account.balance == 10_000 - 4_400
    assert _fee_income() - income == 4_400
    entry = JournalEntry.objects.get(kind="certificate_fee")
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-4_400, 4_400]


def test_renewal_repeat_with_same_key_is_idempotent(general, customer):
    certificate, account = general
    key = client.key_generate()
    with time_machine.travel(DAY_MINUS_30, tick=False):
        first = _renew(customer, certificate, account, key=key)
        again = _renew(customer, certificate, account, key=key)
    assert first.pk == again.pk
    account.refresh_from_db()
    assert account.balance == 10_000 - 4_400


def test_renewal_wrong_account_password_refused_and_nothing_moves(general, customer):
    from accounts.services import WrongAccountPassword

    certificate, account = general
    with time_machine.travel(DAY_MINUS_30, tick=False), pytest.raises(WrongAccountPassword):
        _renew(customer, certificate, account, password="9999")
    account.refresh_from_db()
    certificate.refresh_from_db()
    assert account.balance == 10_000 and certificate.status == "valid"
    customer.refresh_from_db()
    assert customer.wrong_entries == 1


def test_renewal_with_insufficient_funds_refused(bank_ca, customer):
    from accounts.services import InsufficientFunds

    with time_machine.travel(ISSUED, tick=False):
        certificate, _key = certificate_make(customer, cert_type="general_personal")
    account = AccountFactory(owner=customer, balance=4_000)
    with time_machine.travel(DAY_MINUS_30, tick=False), pytest.raises(InsufficientFunds):
        _renew(customer, certificate, account)
    certificate.refresh_from_db()
    assert certificate.status == "valid"
    assert Certificate.objects.count() == 1


HELD = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
MONTH_END = datetime(2026, 8, 31, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("held", "instant", "restored"),
    [
        (HELD, datetime(2026, 10, 1, 3, 0, 0, tzinfo=UTC), True),  # held + 6 months exactly
        (HELD, datetime(2026, 10, 1, 3, 0, 1, tzinfo=UTC), False),
        # 6 calendar months from 31 August end on the last day of February (181 days).
        (MONTH_END, datetime(2027, 2, 28, 3, 0, 0, tzinfo=UTC), True),
        (MONTH_END, datetime(2027, 2, 28, 3, 0, 1, tzinfo=UTC), False),
    ],
)
def test_restore_within_six_months_only(bank_ca, customer, held, instant, restored):
    with time_machine.travel(held, tick=False):
        certificate, _key = certificate_make(customer)
        services.certificate_hold(customer=customer, serial=certificate.serial)
    with time_machine.travel(instant, tick=False):
        if restored:
            services.certificate_restore(customer=customer, serial=certificate.serial)
        else:
            with pytest.raises(services.HoldExpired):
                services.certificate_restore(customer=customer, serial=certificate.serial)
    certificate.refresh_from_db()
    assert certificate.status == ("valid" if restored else "held")
    assert (certificate.held_at is None) == restored


def test_beat_revokes_holds_older_than_six_months_once(bank_ca, customer):
    with time_machine.travel(HELD, tick=False):
        old, _key = certificate_make(customer)
        services.certificate_hold(customer=customer, serial=old.serial)
    with time_machine.travel(datetime(2026, 9, 1, 3, 0, tzinfo=UTC), tick=False):
        recent, _key = certificate_make(customer, cert_type="etax")
        services.certificate_hold(customer=customer, serial=recent.serial)
    with time_machine.travel(datetime(2026, 10, 2, 3, 0, tzinfo=UTC), tick=False):
        from certcenter.tasks import holds_expire

        assert holds_expire() == 1
        assert holds_expire() == 0
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.revocation_reason) == ("revoked", "cessation_of_operation")
    assert recent.status == "held"


def test_beat_revokes_a_month_end_hold_on_the_last_day_of_february(bank_ca, customer):
    with time_machine.travel(MONTH_END, tick=False):
        certificate, _key = certificate_make(customer)
        services.certificate_hold(customer=customer, serial=certificate.serial)
    from certcenter.tasks import holds_expire

    with time_machine.travel(datetime(2027, 2, 28, 3, 0, 0, tzinfo=UTC), tick=False):
        assert holds_expire() == 0
    with time_machine.travel(datetime(2027, 2, 28, 3, 0, 1, tzinfo=UTC), tick=False):
        assert holds_expire() == 1
    certificate.refresh_from_db()
    assert certificate.status == "revoked"


def test_discard_needs_a_known_reason_and_owner(bank_ca, customer):
    from postbank.errors import InvalidInput, NotFound
    from tests.factories import CustomerFactory

    certificate, _key = certificate_make(customer)
    with pytest.raises(InvalidInput):
        services.certificate_revoke(
            customer=customer, serial=certificate.serial, reason="superseded"
        )
    with pytest.raises(NotFound):
        services.certificate_revoke(
            customer=CustomerFactory(), serial=certificate.serial, reason="cessation_of_operation"
        )
    certificate.refresh_from_db()
    assert certificate.status == "valid"
