"""Demo data for `manage.py seed_demo` (idempotent): the clearing house directory and a few
transfers of the demo customer (to other banks: accepted, and rejected and reversed).

The demo transfers are seeded history, posted on the demo channel without a signature:
the certificate center's demo gives the customer a certificate only after this seed runs,
and the database accepts an unsigned transfer on that channel only. Every transfer a
person makes in the demo goes through the full confirmation, signature included.
"""

from accounts.selectors import accounts_for_customer
from enrollment.models import Customer
from postbank.errors import PostbankError
from transfers.models import DEMO_CHANNEL, ClearingHouseAccount, Transfer
from transfers.services import transfer_post, transfer_prepare, transfer_settle

DIRECTORY = [
    ("004", "94370200123456", "김국민", "accept", ""),
    ("088", "110234567890", "이신한", "accept", ""),
    ("020", "1002345678901", "박우리", "accept", ""),
    ("081", "35791024681357", "최하나", "reject", "Account closed / 해지된 계좌"),
    ("090", "3333012345678", "정카카오", "timeout", ""),
    ("092", "100012345678", "강토스", "accept", ""),
    ("011", "3020123456781", "윤농협", "reject", "Account holder deceased / 예금주 사망"),
]

DEMO_TRANSFERS = [  # (key, bank, number, amount, memo)
    ("demo-seed-transfer-1", "004", "94370200123456", 150_000, "월세"),
    ("demo-seed-transfer-2", "088", "110234567890", 32_000, "모임회비"),
    ("demo-seed-transfer-3", "081", "35791024681357", 50_000, "중고거래"),
]


def seed(out) -> None:
    for bank, number, holder, outcome, reason in DIRECTORY:
        ClearingHouseAccount.objects.update_or_create(
            bank_code=bank,
            number=number,
            defaults={"holder_name": holder, "outcome": outcome, "reject_reason": reason},
        )
    out(
        f"Clearing house directory: {len(DIRECTORY)} accounts at other banks "
        "(operator edits them at /counter/transfers/clearinghouseaccount/)."
    )
    customer = Customer.objects.filter(user__username="demo").first()
    if customer is None:
        return
    source = next(
        (a for a in accounts_for_customer(customer=customer) if a.balance >= 300_000), None
    )
    if source is None:
        out("Demo transfers skipped: the demo customer has no funded account yet.")
        return
    for key, bank, number, amount, memo in DEMO_TRANSFERS:
        try:
            transfer = transfer_prepare(
                customer=customer,
                from_number=source.number,
                bank_code=bank,
                account_number=number,
                amount=amount,
                sender_memo=memo,
                idempotency_key=key,
                channel=DEMO_CHANNEL,
            )
            if transfer.status == Transfer.Status.PREPARED:
                transfer = transfer_post(
                    transfer_id=transfer.pk,
                    signed_order=None,
                    signature=None,
                    signer_certificate_serial="",
                )
                transfer_settle(transfer_id=transfer.pk)
        except PostbankError as exc:
            # E.g. no security medium yet (no grade, no limit): the rest of the demo stands.
            out(f"Demo transfers skipped: {exc.code} ({exc.message}).")
            return
    out(f"Demo transfers from {source.formatted_number}: see /transfers/results/.")
