"""Security media for tests of every app: issue one and answer its challenges."""

import pyotp

from enrollment.models import Customer, OtpDevice, SecurityCard
from enrollment.security import SecurityChallenge, otp_issue, security_card_issue
from postbank import policy


def card_for(customer: Customer) -> tuple[SecurityCard, list[str]]:
    """A new active security card and its 35 codes (codes[0] is code no. 1)."""
    return security_card_issue(customer=customer)


def otp_for(customer: Customer) -> tuple[OtpDevice, str]:
    """A new active OTP and its base32 TOTP secret."""
    return otp_issue(customer=customer)


def card_answer(codes: list[str], challenge: SecurityChallenge) -> str:
    """The right answer: first two digits of one code, last two of the other."""
    return codes[challenge.first_index - 1][:2] + codes[challenge.second_index - 1][2:]


def otp_code(secret: str) -> str:
    """The OTP's current code."""
    return pyotp.TOTP(secret, digits=policy.OTP_DIGITS, interval=policy.OTP_STEP_SECONDS).now()
