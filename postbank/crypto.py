"""Keys for personal and secret data, kept out of the database.

`PERSONAL_DATA_KEY` (environment, 32+ random bytes as URL-safe base64) is the root key; each
use derives its own subkey with HKDF, so a keyed hash for lookups and an encryption key never
share material. A database dump alone reveals neither RRNs (encrypted) nor account
passwords or security-card codes (keyed hashes: with only 10,000 four-digit values, a slow
unkeyed hash would not protect them; the key does).
"""

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@cache
def _subkey(purpose: str) -> bytes:
    root = base64.urlsafe_b64decode(settings.PERSONAL_DATA_KEY.encode() + b"===")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"postbank",
                info=purpose.encode()).derive(root)


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` under the purpose's subkey (hex)."""
    return hmac.new(_subkey(purpose), value.encode(), hashlib.sha256).hexdigest()


def keyed_hash_matches(purpose: str, value: str, expected: str) -> bool:
    return hmac.compare_digest(keyed_hash(purpose, value), expected)


def encrypt(purpose: str, plaintext: str) -> str:
    """AES-256-GCM with a random nonce; the purpose is bound as associated data."""
    nonce = os.urandom(12)
    sealed = AESGCM(_subkey(purpose)).encrypt(nonce, plaintext.encode(), purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(purpose: str, token: str) -> str:
    raw = base64.urlsafe_b64decode(token.encode())
    return AESGCM(_subkey(purpose)).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
