import pytest
from cryptography.exceptions import InvalidTag

from postbank.crypto import decrypt, encrypt, keyed_hash, keyed_hash_matches


def test_encryption_round_trips_and_hides_the_plaintext():
    token = encrypt("rrn", "900101-1234567")
    assert "900101" not in token
    assert token != encrypt("rrn", "900101-1234567")  # random nonce
    assert decrypt("rrn", token) == "900101-1234567"


def test_a_token_sealed_for_one_purpose_does_not_open_for_another():
    with pytest.raises(InvalidTag):
        decrypt("card", encrypt("rrn", "900101-1234567"))


def test_keyed_hashes_are_stable_and_separated_by_purpose():
    assert keyed_hash("pin", "1234") == keyed_hash("pin", "1234")
    assert keyed_hash("pin", "1234") != keyed_hash("card", "1234")
    assert keyed_hash_matches("pin", "1234", keyed_hash("pin", "1234"))
    assert not keyed_hash_matches("pin", "1235", keyed_hash("pin", "1234"))
