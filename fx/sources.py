"""Rate sources for the beat task: a class with `fetch() -> list[dict]` (one dict of text
values per currency: currency, base, cash_buy, cash_sell, tt_send, tt_receive).

Set settings.FX_RATE_SOURCE to a dotted path to plug another one in. The default reads a
rate sheet from a file; nothing here reaches the internet.
"""

import csv
from pathlib import Path

from django.conf import settings

DEFAULT_FILE = Path(__file__).parent / "data" / "rates.csv"


class FileRateSource:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or getattr(settings, "FX_RATE_FILE", "") or DEFAULT_FILE)

    def fetch(self) -> list[dict]:
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            return [{(k or "").strip(): (v or "").strip() for k, v in row.items()}
                    for row in csv.DictReader(handle)]
