import pytest
import time_machine

from fx import demo
from fx.models import Currency, EurogiroPartner, RateNotice, Remittance
from fx.services import notice_current
from tests.fx.conftest import REMIT_AT

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_leaves_a_current_notice():
    lines = []
    with time_machine.travel(REMIT_AT, tick=False):
        demo.seed(lines.append)
        counts = (Currency.objects.count(), EurogiroPartner.objects.count(),
                  RateNotice.objects.count())
        demo.seed(lines.append)
        assert (Currency.objects.count(), EurogiroPartner.objects.count(),
                RateNotice.objects.count()) == counts
        # 17 February to Monday 2 March 2026: 10 business days (today included)
        assert counts == (13, 6, 10)
        current = notice_current()
    assert current.notice_date.isoformat() == "2026-03-02"
    assert current.rates.count() == 13
    assert "10 new rate notices" in lines[0] and "0 new rate notices" in lines[1]
    # No seeded remittance: each one in the demo is signed by the customer who makes it.
    assert not Remittance.objects.exists()
