"""The demo customer's year of history: realistic, balanced, idempotent, deterministic."""

from datetime import datetime

import pytest
import time_machine
from django.core.management import call_command

from accounts import demo
from accounts.models import Account, JournalEntry, Posting, ReconciliationReport
from enrollment import demo as enrollment_demo
from postbank.kst import KST

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=KST)


@time_machine.travel(TODAY, tick=False)
def test_seed_gives_the_demo_customer_a_year_that_reconciles(capsys):
    enrollment_demo.seed(print)
    demo.seed(print)
    main = Account.objects.get(owner__user__username="demo", subject="01")
    savings = Account.objects.get(owner__user__username="demo", subject="02")
    kinds = set(main.postings.values_list("entry__kind", flat=True))
    assert {"salary", "card_payment", "transfer_out", "transfer_in", "transfer_own",
            "auto_debit"} <= kinds
    assert main.postings.filter(entry__kind="salary").count() == 12
    assert savings.balance == 300_000 * 12
    first = main.postings.order_by("created_at").first()
    assert first.created_at.astimezone(KST).date().isoformat() == "2025-11-23"
    assert main.balance == sum(main.postings.values_list("amount", flat=True))
    assert main.balance == main.postings.order_by("-created_at", "-id").first().balance_after
    assert not main.postings.filter(balance_after__lt=0).exists()
    entries = JournalEntry.objects.count()
    demo.seed(print)  # idempotent
    assert JournalEntry.objects.count() == entries
    call_command("reconcile")
    assert ReconciliationReport.objects.get().ok
    assert "account password 1234" in capsys.readouterr().out


@time_machine.travel(TODAY, tick=False)
def test_history_is_deterministic():
    first = demo._history(TODAY.date())
    second = demo._history(TODAY.date())
    assert first == second and len(first) > 300
    assert sum(1 for _at, kind, _lines in first if kind == "card_payment") > 150
    assert all(sum(amount for _side, amount, _c, _m in lines) == 0
               for _at, _kind, lines in first)
    assert Posting.objects.count() == 0
