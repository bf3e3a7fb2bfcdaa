"""CRL numbering and caching, and the OCSP responder over GET (RFC 6960 appendix A) with a
nonce, an unknown serial and a signature that verifies with the issuing CA."""

import base64
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp

from certcenter import services
from certcenter.models import RevocationList
from certcenter.tasks import crl_refresh
from tests.certcenter.conftest import certificate_make


def _issuer(bank_ca) -> x509.Certificate:
    return x509.load_pem_x509_certificate(bank_ca.certificate_pem.encode())


def test_crl_is_cached_numbered_and_republished_on_revocation(
    bank_ca, customer, client, django_capture_on_commit_callbacks
):
    certificate, _key = certificate_make(customer)
    first = client.get("/certcenter/crl")
    assert first["Content-Type"] == "application/pkix-crl"
    assert client.get("/certcenter/crl").content == first.content  # served from the cache
    assert RevocationList.objects.count() == 1
    crl = x509.load_der_x509_crl(first.content)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    assert crl.is_signature_valid(_issuer(bank_ca).public_key())

    assert crl_refresh() == 1  # the beat task: a new number each run, nothing else changes
    assert crl_refresh(bank_ca.pk) == 1
    assert list(RevocationList.objects.order_by("number").values_list("number", flat=True)) == [
        1,
        2,
        3,
    ]

    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(
            customer=customer, serial=certificate.serial, reason="cessation_of_operation"
        )
    crl = x509.load_der_x509_crl(client.get("/certcenter/crl").content)
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number == RevocationList.objects.order_by("-number").first().number > 3
    entry = crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.cessation_of_operation
    )


def _ocsp_get(client, bank_ca, cert: x509.Certificate, nonce: bytes):
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, _issuer(bank_ca), hashes.SHA1())  # noqa: S303  (openssl's default)
        .add_extension(x509.OCSPNonce(nonce), critical=False)
        .build()
    )
    encoded = urllib.parse.quote(
        base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode(), safe=""
    )
    answer = client.get(f"/certcenter/ocsp/{encoded}")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(answer.content)


def test_ocsp_get_answers_good_with_nonce_and_a_verifiable_signature(bank_ca, customer, client):
    certificate, _key = certificate_make(customer)
    cert = x509.load_der_x509_certificate(bytes(certificate.der))
    response = _ocsp_get(client, bank_ca, cert, b"0123456789abcdef")
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == cert.serial_number
    nonce = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert nonce == b"0123456789abcdef"
    _issuer(bank_ca).public_key().verify(
        response.signature,
        response.tbs_response_bytes,
        padding.PKCS1v15(),
        response.signature_hash_algorithm,
    )


def test_ocsp_unknown_serial_and_foreign_issuer(bank_ca, customer, client):
    from tests.certcenter.other_bank import OtherBankCa

    certificate, _key = certificate_make(customer)
    cert = x509.load_der_x509_certificate(bytes(certificate.der))
    certificate.delete()
    assert _ocsp_get(client, bank_ca, cert, b"n1").certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    other = OtherBankCa()
    foreign, _foreign_key = other.leaf()
    request = ocsp.OCSPRequestBuilder().add_certificate(foreign, other.sub, hashes.SHA256())
    answer = client.post(
        "/certcenter/ocsp",
        request.build().public_bytes(serialization.Encoding.DER),
        content_type="application/ocsp-request",
    )
    response = ocsp.load_der_ocsp_response(answer.content)
    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
