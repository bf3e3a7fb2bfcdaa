"""Demo logins for `manage.py seed_demo` (idempotent).

The demo customers' security cards are published with the demo passwords, so their codes
come from a fixed seed: a re-run finds the card already issued, prints the same codes and
issues nothing.
"""

import random
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from stdnum.kr import rrn as stdnum_rrn

from enrollment import identity
from enrollment.models import Customer, MediumStatus, SecurityCard, User
from enrollment.security import security_card_issue, security_card_matches
from postbank import policy
from postbank.kst import kst_date

DEMO_CUSTOMER = ("demo", "Demo-pass-2026!")
DEMO_MINOR = ("minor", "Minor-pass-2026!")
TELLER = ("teller", "Teller-pass-2026!")
OPERATOR = ("operator", "Operator-pass-2026!")
DEMO_RRN = "9001011234568"
DEMO_PHONE = "01012345678"
MINOR_PHONE = "01098765432"
CARD_SEEDS = {"demo": 20260101, "minor": 20260102}


def _staff(username: str, password: str, group: str, name: str) -> User:
    user, created = User.objects.get_or_create(username=username,
                                               defaults={"is_staff": True, "first_name": name})
    if created:
        user.set_password(password)
        user.save()
    user.groups.add(Group.objects.get(name=group))
    return user


def _minor_rrn(today: date) -> str:
    """An RRN of someone who turned 18 a hundred days ago: a minor who may apply alone."""
    born = today - timedelta(days=100) - relativedelta(years=policy.MINOR_MAY_APPLY_ALONE_AGE)
    front = f"{born:%y%m%d}" + ("3" if born.year >= 2000 else "1") + "01234"
    return front + stdnum_rrn.calc_check_digit(front)


def _customer(username: str, password: str, *, name: str, rrn: str, phone: str,
              **fields) -> Customer:
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(password)
        user.save()
    customer, created = Customer.objects.get_or_create(user=user, defaults={"name": name})
    if not customer.rrn_hash:
        Customer.objects.filter(pk=customer.pk).update(
            rrn_encrypted=identity.rrn_encrypt(rrn), rrn_hash=identity.rrn_hash(rrn),
            rrn_masked=identity.rrn_mask(rrn), phone_encrypted=identity.phone_encrypt(phone),
            phone_masked=identity.phone_mask(phone), **fields)
        customer.refresh_from_db()
    return customer


def _card(customer: Customer, seed: int) -> tuple[SecurityCard, list[str]]:
    rng = random.Random(seed)
    codes = [f"{rng.randrange(10_000):04d}" for _ in range(policy.SECURITY_CARD_CODES)]
    card = SecurityCard.objects.filter(customer=customer, status=MediumStatus.ACTIVE).first()
    if card is not None and security_card_matches(card=card, codes=codes):
        return card, codes
    if card is not None or customer.otp_devices.filter(status=MediumStatus.ACTIVE).exists():
        return card, []  # someone replaced the demo medium: its codes are not ours to print
    return security_card_issue(customer=customer, channel="demo", codes=codes)


def _print_card(out, label: str, card: SecurityCard | None, codes: list[str]) -> None:
    if card is None:
        out(f"  {label}: no security card (an OTP is in use)")
        return
    if not codes:
        out(f"  {label}: security card {card.serial} (replaced since the seed; codes unknown)")
        return
    out(f"  {label}: security card serial {card.serial}")
    for row in range(0, len(codes), 5):
        out("    " + "  ".join(f"{i:2d}:{codes[i - 1]}"
                               for i in range(row + 1, min(row + 6, len(codes) + 1))))


@transaction.atomic
def seed(out) -> None:
    _staff(*TELLER, "teller", "Teller Kim")
    _staff(*OPERATOR, "operator", "Operator Lee")
    # The demo customer has signed up for Smart Banking: a certificate may go to the phone.
    demo = _customer(*DEMO_CUSTOMER, name="홍길동", rrn=DEMO_RRN, phone=DEMO_PHONE,
                     smart_banking_since=timezone.now())
    today = kst_date()
    minor = _customer(*DEMO_MINOR, name="김민수", rrn=_minor_rrn(today), phone=MINOR_PHONE,
                      customer_type=Customer.Type.MINOR, minor_limited=True)
    cards = [(label, *_card(customer, CARD_SEEDS[key]))
             for key, label, customer in [("demo", "demo", demo), ("minor", "minor", minor)]]
    out("Demo logins:")
    for role, (username, password), url in [("customer", DEMO_CUSTOMER, "/login/"),
                                            ("minor", DEMO_MINOR, "/login/"),
                                            ("teller", TELLER, "/counter/"),
                                            ("operator", OPERATOR, "/counter/")]:
        out(f"  {role:<9} {username} / {password}   http://127.0.0.1:8000{url}")
    out("Security cards (a challenge asks the first two digits of one code and the last two "
        "of another):")
    for label, card, codes in cards:
        _print_card(out, label, card, codes)
