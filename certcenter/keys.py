"""New RSA-2048 keys: the CA's root and issuing keys (certcenter.ca) and the keys the device
side makes in Python (certcenter.client: the Smart Banking app, the demo, the tests).

settings.CERTCENTER_KEY_SOURCE, when set, is the dotted path of a callable that returns a new
RSA-2048 private key, used instead of generating one: the tests hand out pre-made keys from a
pool (tests/keys.py), since a key costs about 50 ms of CPU and the suite needs some 900. It
is set in code only (no environment variable reads it), so a deployment always generates.
"""

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.utils.module_loading import import_string

KEY_SIZE = 2048


def rsa_key_generate() -> rsa.RSAPrivateKey:
    source = settings.configured and getattr(settings, "CERTCENTER_KEY_SOURCE", "")
    if source:
        return import_string(source)()
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
