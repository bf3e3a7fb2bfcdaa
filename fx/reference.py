"""Reference data: the currencies the bank quotes (ISO 4217 minor units; JPY quoted per
100 yen) and the Eurogiro partner postal institutions of DOMAIN.md (choice)."""

from django.utils.translation import gettext_lazy as _

# (code, English name, minor units, quoted per, order)
CURRENCIES = [
    ("USD", "US dollar", 2, 1, 10),
    ("EUR", "Euro", 2, 1, 20),
    ("JPY", "Japanese yen", 0, 100, 30),
    ("CNY", "Chinese yuan", 2, 1, 40),
    ("GBP", "Pound sterling", 2, 1, 50),
    ("CHF", "Swiss franc", 2, 1, 60),
    ("CAD", "Canadian dollar", 2, 1, 70),
    ("AUD", "Australian dollar", 2, 1, 80),
    ("HKD", "Hong Kong dollar", 2, 1, 90),
    ("THB", "Thai baht", 2, 1, 100),
    ("MNT", "Mongolian togrog", 2, 1, 110),
    ("PHP", "Philippine peso", 2, 1, 120),
    ("LKR", "Sri Lankan rupee", 2, 1, 130),
]

CURRENCY_LABELS = {
    "USD": _("US dollar"),
    "EUR": _("Euro"),
    "JPY": _("Japanese yen"),
    "CNY": _("Chinese yuan"),
    "GBP": _("Pound sterling"),
    "CHF": _("Swiss franc"),
    "CAD": _("Canadian dollar"),
    "AUD": _("Australian dollar"),
    "HKD": _("Hong Kong dollar"),
    "THB": _("Thai baht"),
    "MNT": _("Mongolian togrog"),
    "PHP": _("Philippine peso"),
    "LKR": _("Sri Lankan rupee"),
}

# (country, institution, BIC, payout currency, pays into accounts, pays cash)
EUROGIRO_PARTNERS = [
    ("JP", "Japan Post Bank", "JPPSJPJJ", "JPY", True, True),
    ("CH", "PostFinance", "POFICHBE", "CHF", True, False),
    ("MN", "Mongol Post", "MNPOMNUB", "MNT", True, True),
    ("PH", "PhilPost", "PHPOPHMM", "PHP", True, True),
    ("LK", "Sri Lanka Post", "LKPOLKLX", "LKR", False, True),
    ("TH", "Thailand Post", "THPOTHB1", "THB", True, True),
]
