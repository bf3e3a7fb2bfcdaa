import re

import pytest
from django.core.management import call_command

from enrollment.models import Customer, SecurityCard
from enrollment.security import security_answer_verify, security_challenge_issue
from enrollment.services import customer_limits
from postbank.models import AuditEvent

pytestmark = pytest.mark.django_db


def _printed_card(out: str, label: str) -> tuple[str, list[str]]:
    block = out.split(f"  {label}: security card serial ")[1]
    serial = block.split("\n", 1)[0].strip()
    codes = dict(re.findall(r"(\d{1,2}):(\d{4})", "\n".join(block.split("\n")[1:8])))
    return serial, [codes[str(i)] for i in range(1, 36)]


def test_demo_customers_get_security_cards_printed_once_issued_once(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out

    demo = Customer.objects.get(user__username="demo")
    minor = Customer.objects.get(user__username="minor")
    serial, codes = _printed_card(first, "demo")
    assert _printed_card(second, "demo") == (serial, codes)
    assert SecurityCard.objects.filter(customer=demo).count() == 1
    assert SecurityCard.objects.get(customer=demo).serial == serial
    assert AuditEvent.objects.filter(event="medium_issued").count() == 2
    assert demo.grade == "general"
    assert customer_limits(customer=demo) == (5_000_000, 10_000_000)
    assert demo.rrn_masked == "900101-1******"
    assert "9001011234568" not in first

    challenge = security_challenge_issue(customer=demo)
    answer = codes[challenge.first_index - 1][:2] + codes[challenge.second_index - 1][2:]
    security_answer_verify(customer=demo, challenge_id=challenge.id, answer=answer)

    assert "minor / Minor-pass-2026!" in first
    assert minor.customer_type == Customer.Type.MINOR and minor.minor_limited
    assert customer_limits(customer=minor) == (1_000_000, 3_000_000)
    minor_serial, _codes = _printed_card(first, "minor")
    assert SecurityCard.objects.get(customer=minor).serial == minor_serial
