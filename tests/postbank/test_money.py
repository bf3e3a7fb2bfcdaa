from decimal import Decimal

import pytest

from postbank.errors import InvalidInput
from postbank.money import format_won, parse_won


@pytest.mark.parametrize(("value", "expected"), [
    (1, 1), ("1", 1), ("1,000,000", 1_000_000), (" 25000 ", 25_000), (Decimal("700"), 700),
    (1_000_000_000_000, 1_000_000_000_000),
])
def test_parse_won_accepts_whole_positive_won(value, expected):
    assert parse_won(value) == expected


@pytest.mark.parametrize("value", [
    0, -1, "0", "-5", "1.5", 1.0, Decimal("1.5"), True, "", "abc", "1e6", None,
    1_000_000_000_001, "1000000000001",
])
def test_parse_won_refuses_everything_else(value):
    with pytest.raises(InvalidInput) as caught:
        parse_won(value)
    assert caught.value.code == "invalid_amount"


def test_format_won_groups_thousands():
    assert format_won(1234567) == "1,234,567"
