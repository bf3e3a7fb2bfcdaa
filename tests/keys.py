"""A pool of pre-made RSA-2048 keys for the tests, behind certcenter's key seam
(settings.CERTCENTER_KEY_SOURCE = "tests.keys.pool_key", set in tests/conftest.py).

A new key costs about 50 ms of CPU and the suite asked for some 900 (two per CA hierarchy,
one per customer certificate): instead, every test takes the pool's keys in order from the
start (conftest rewinds the pool before each test), so the keys within one test are all
distinct, as freshly generated ones would be, and the pool only ever holds as many keys as
the most demanding test took. The tests' database and cache are emptied between tests, so
a key seen again in a later test meets nothing of the earlier one.

A fixture broader than a test must not take keys from the pool: the rewind would hand its
keys out again to the test.
"""

import threading

from cryptography.hazmat.primitives.asymmetric import rsa

_keys: list[rsa.RSAPrivateKey] = []
_next = 0
_lock = threading.Lock()  # live-server and concurrency tests run code in other threads


def pool_key() -> rsa.RSAPrivateKey:
    global _next
    with _lock:
        if _next == len(_keys):
            _keys.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        key = _keys[_next]
        _next += 1
        return key


def pool_rewind() -> None:
    global _next
    with _lock:
        _next = 0
