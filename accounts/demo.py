"""Demo data for `manage.py seed_demo`: the demo customer's ordinary and savings accounts
with a year of history (salary, card payments, bills, transfers). Deterministic (a fixed
random seed, dates counted back from today) and idempotent (skipped once the demo customer
has an account).

The past year is loaded the way a bank migrates historical records: balanced entries
written with their original booking times in one transaction, the running balance after
each posting, and the balances moved once at the end; `manage.py reconcile` proves the
result like any other ledger data.
"""

import random
from datetime import datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import F

from accounts.models import Account, Posting
from accounts.services import account_open, ledger_account
from enrollment.models import Customer
from postbank.kst import KST, kst_date

DEMO_ACCOUNT_PASSWORD = "1234"
SEED = 20260101
MERCHANTS = [("GS25", 3_000, 15_000), ("스타벅스", 4_500, 12_000), ("이마트", 20_000, 160_000),
             ("쿠팡", 9_000, 90_000), ("교통카드", 1_250, 1_500), ("배달의민족", 15_000, 38_000),
             ("올리브영", 8_000, 45_000), ("CGV", 14_000, 30_000)]


def _history(today) -> list[tuple[datetime, str, list[tuple[str, int, str, str]]]]:
    """(booked at, kind, [(side, amount, counterparty, memo)]) with side "main", "savings"
    or a ledger code, oldest first."""
    rng = random.Random(SEED)
    start = today - timedelta(days=365)
    events = [(datetime.combine(start, time(10, 5), KST), "cash_deposit",
               [("main", 1_500_000, "창구입금", "계좌 개설"), ("vault_cash", -1_500_000, "", "")])]
    day = start + timedelta(days=1)
    while day < today:
        def at(hour_from=8, hour_to=22, day=day):
            return datetime.combine(day, time(rng.randint(hour_from, hour_to - 1),
                                              rng.randint(0, 59), rng.randint(0, 59)), KST)
        if day.day == 25:
            events.append((at(9, 10), "salary", [
                ("main", 3_200_000, "(주)우정상사", "급여"),
                ("interbank_clearing", -3_200_000, "", "")]))
        if day.day == 1:
            events.append((at(9, 12), "transfer_out", [
                ("main", -650_000, "김임대", "월세"), ("interbank_clearing", 650_000, "", "")]))
        if day.day == 10:
            events.append((at(6, 7), "auto_debit", [
                ("main", -rng.randint(120, 210) * 1_000, "관리비", "아파트 관리비"),
                ("interbank_clearing", None, "", "")]))
            events.append((at(6, 7), "auto_debit", [
                ("main", -55_000, "KT", "휴대폰 요금"), ("interbank_clearing", None, "", "")]))
        if day.day == 14:
            events.append((at(6, 7), "auto_debit", [
                ("main", -rng.randint(50, 110) * 10_000, "우체국카드", "신용카드 대금"),
                ("interbank_clearing", None, "", "")]))
        if day.day == 26:
            events.append((at(9, 10), "transfer_own", [
                ("main", -300_000, "정기적금", "자동이체"),
                ("savings", 300_000, "보통예금", "자동이체")]))
        if day.day == 15 and day.month % 2 == 0:
            events.append((at(), "transfer_out", [
                ("main", -200_000, "홍부모", "용돈"), ("interbank_clearing", None, "", "")]))
        if rng.random() < 0.08:
            events.append((at(), "transfer_in", [
                ("main", rng.choice([30_000, 50_000, 100_000]), rng.choice(["이친구", "박동료"]),
                 "더치페이"), ("interbank_clearing", None, "", "")]))
        for _n in range(rng.choice([0, 0, 1, 1, 1, 2])):
            name, low, high = rng.choice(MERCHANTS)
            amount = rng.randint(low // 10, high // 10) * 10
            events.append((at(), "card_payment", [
                ("main", -amount, f"체크카드 {name}", name),
                ("interbank_clearing", None, "", "")]))
        day += timedelta(days=1)
    for _at, _kind, lines in events:  # the ledger side mirrors the customer side
        if lines[1][1] is None:
            lines[1] = (lines[1][0], -lines[0][1], "", "")
    events.sort(key=lambda event: event[0])
    return events


def _load(accounts: dict[str, Account], events) -> None:
    running = {side: 0 for side in accounts}
    postings = []
    with connection.cursor() as cursor:
        for booked_at, kind, lines in events:
            if any(side in running and running[side] + amount < 0
                   for side, amount, _c, _m in lines):
                continue  # never overdraw, as entry_post would refuse
            cursor.execute(
                "INSERT INTO accounts_journalentry (kind, memo, reference, created_at) "
                "VALUES (%s, %s, %s, %s) RETURNING id", [kind, lines[0][3], "demo", booked_at])
            entry_id = cursor.fetchone()[0]
            for side, amount, counterparty, memo in lines:
                posting = Posting(entry_id=entry_id, amount=amount, created_at=booked_at,
                                  counterparty=counterparty, memo=memo)
                if side in accounts:
                    running[side] += amount
                    posting.account = accounts[side]
                    posting.balance_after = running[side]
                else:
                    posting.ledger_account = ledger_account(side)
                postings.append(posting)
    Posting.objects.bulk_create(postings, batch_size=500)
    for side, account in accounts.items():
        Account.objects.filter(pk=account.pk).update(balance=F("balance") + running[side])


def seed(out=print) -> None:
    customer = Customer.objects.filter(user__username="demo").first()
    if customer is None:
        out("accounts: no demo customer (run the enrollment seed first)")
        return
    if not Account.objects.filter(owner=customer).exists():
        with transaction.atomic():
            accounts = {
                "main": account_open(customer=customer, subject="01",
                                     password=DEMO_ACCOUNT_PASSWORD),
                "savings": account_open(customer=customer, subject="02",
                                        password=DEMO_ACCOUNT_PASSWORD),
            }
            Account.objects.select_for_update().filter(
                pk__in=[a.pk for a in accounts.values()]).count()
            _load(accounts, _history(kst_date()))
    for account in Account.objects.filter(owner=customer).order_by("subject"):
        out(f"  demo account {account.formatted_number} ({account.get_subject_display()}): "
            f"balance {account.balance:,} won, account password {DEMO_ACCOUNT_PASSWORD}")
