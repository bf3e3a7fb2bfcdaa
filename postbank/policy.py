"""Every number of the domain rules (../shared/DOMAIN.md) in one place.

Rules marked *(choice)* in DOMAIN.md are simulation choices; they live here so that they
can change without touching the code that enforces them.
"""

from datetime import timedelta

# Time, money, identifiers
BANK_CODE = "071"
MAX_AMOUNT_WON = 1_000_000_000_000  # largest amount any single request may name
OTHER_BANKS = {
    "002": "KDB", "003": "IBK", "004": "KB", "007": "Suhyup", "011": "NH", "020": "Woori",
    "023": "SC", "027": "Citi", "031": "iM", "032": "Busan", "034": "Gwangju", "035": "Jeju",
    "037": "Jeonbuk", "039": "Kyongnam", "045": "MG", "048": "Shinhyup", "081": "Hana",
    "088": "Shinhan", "089": "K bank", "090": "Kakao Bank", "092": "Toss Bank",
}

# Accounts and history
ACCOUNT_OPENING_OFFICE = "014010"  # 6-digit office code of accounts opened here (choice)
HISTORY_MAX_DAYS = 366  # a history query covers at most one year, both ends included
HISTORY_PAGE_SIZE = 20

# Sessions
SESSION_IDLE_SECONDS = 600
API_TOKEN_IDLE = timedelta(seconds=SESSION_IDLE_SECONDS)

# Enrollment and suspension
MAJORITY_AGE = 19
MINOR_MAY_APPLY_ALONE_AGE = 18
MINOR_CHILD_UNDER_AGE = 13  # an "infant or child": family certificate as real-name proof (choice)
REGISTRATION_WINDOW_DAYS = 5  # counting the application day
WRONG_ENTRY_LIMIT = 5
DORMANCY_MONTHS = 12
DORMANCY_NOTICE_DAYS = 30  # (choice)
DORMANCY_BATCH_SIZE = 10_000  # customers per UPDATE of the dormancy sweep
SECURITY_CARD_CODES = 35
SECURITY_CHALLENGE_TTL = timedelta(minutes=5)  # a card challenge is answered within (choice)
OTP_DIGITS = 6
OTP_STEP_SECONDS = 60

# Transfer limits by grade: (per transfer, per day) in won
LIMITS = {
    "safe": (100_000_000, 500_000_000),
    "general": (5_000_000, 10_000_000),  # daily figure is a (choice)
    "minor": (1_000_000, 3_000_000),
}
EXTRA_VERIFICATION_DAILY_WON = 3_000_000  # above this a designated device or SMS code
SMS_CODE_TTL = timedelta(minutes=5)  # a fraud-prevention SMS code: valid this long,
SMS_CODE_MAX_TRIES = 5  # single use, destroyed after this many tries
MAX_DESIGNATED_DEVICES = 5

# Transfers
TRANSFER_FEE_WON = {"own": 0, "postoffice": 0, "interbank": 500}  # (choice)
TRANSFER_MEMO_MAX = 20  # characters of a memo shown on either statement
TRANSFER_PREPARED_TTL = timedelta(minutes=10)  # a recipient inquiry stays good this long
TRANSFER_SETTLEMENT_TIMEOUT = timedelta(minutes=2)  # clearing house silent: reversed (choice)
TRANSFER_SEARCH_MAX_DAYS = 366
SEARCH_YEARS_BACK = 10  # result searches start at most this many years before this year (choice)
TRANSFER_PAGE_SIZE = 20

# Joint certificates
CERT_FEES_WON = {
    "bank_personal": 0,
    "general_personal": 4_400,
    "general_corporate": 110_000,
    "etax": 4_400,
    "credit_card": 0,
}
CERT_RENEWAL_WINDOW_DAYS = 30
CERT_HOLD_MONTHS = 6  # a held certificate is "restored within 6 months" (calendar)
CERT_COPY_TTL = timedelta(minutes=5)  # (choice)
CERT_COPY_MAX_WRONG = 5

# Foreign exchange
SWIFT_CABLE_CHARGE_WON = 5_000
SWIFT_OUR_INTERMEDIARY_USD_CENTS = 1_800
SWIFT_ANNUAL_LIMIT_USD_CENTS = 10_000_000  # USD 100,000 per calendar year
SWIFT_SENDING_FEE_TIERS_USD = [  # (choice): (up to USD, fee in won)
    (500, 5_000),
    (2_000, 10_000),
    (5_000, 15_000),
    (20_000, 20_000),
    (None, 25_000),
]
EUROGIRO_MAX_USD_CENTS = 500_000
EUROGIRO_FEE_WON = 5_000  # (choice)
FX_RATE_MAX_AGE = timedelta(hours=24)  # a notice older than this is stale (choice)
FX_QUOTE_TTL = timedelta(minutes=10)  # a remittance quote stays good this long (choice)
FX_NETWORK_CREDIT_AFTER = timedelta(minutes=5)  # simulated network credits after (choice)
