"""A lost certificate reported through enrollment's loss report is revoked at once for key
compromise; CRL and OCSP say so."""

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from certcenter import services
from certcenter.models import Certificate
from enrollment.security import medium_report_lost
from postbank.models import AuditEvent
from tests.certcenter.conftest import certificate_make


def _ocsp_status(bank_ca, certificate):
    issuer = x509.load_pem_x509_certificate(bank_ca.certificate_pem.encode())
    cert = x509.load_der_x509_certificate(bytes(certificate.der))
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
    response = ocsp.load_der_ocsp_response(
        services.ocsp_respond(request_der=request.public_bytes(serialization.Encoding.DER))
    )
    return response.certificate_status, response.revocation_reason


def test_certificate_loss_report_revokes_every_live_certificate(
    bank_ca, customer, django_capture_on_commit_callbacks
):
    valid, _ = certificate_make(customer, cert_type="bank_personal")
    held, _ = certificate_make(customer, cert_type="general_personal")
    services.certificate_hold(customer=customer, serial=held.serial)
    with django_capture_on_commit_callbacks(execute=True):
        medium_report_lost(customer=customer, medium="certificate", channel="web")
    for row in (valid, held):
        row.refresh_from_db()
        assert (row.status, row.revocation_reason) == ("revoked", "key_compromise")
        assert _ocsp_status(bank_ca, row) == (
            ocsp.OCSPCertStatus.REVOKED,
            x509.ReasonFlags.key_compromise,
        )
    assert (
        AuditEvent.objects.filter(event="certificate_revoked", detail__by="loss_report").count()
        == 2
    )
    crl = x509.load_der_x509_crl(services.crl_current_der())
    entry = crl.get_revoked_certificate_by_serial_number(int(valid.serial, 16))
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise
    )


def test_security_card_loss_leaves_certificates_alone(bank_ca, customer):
    from tests.enrollment.media import card_for

    certificate, _ = certificate_make(customer)
    card_for(customer)
    medium_report_lost(customer=customer, medium="security_card", channel="web")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID


def test_lost_certificate_reported_on_the_discard_page(bank_ca, customer, client):
    from django.urls import reverse

    from enrollment.models import Notification
    from tests.factories import DEFAULT_PASSWORD

    certificate, _ = certificate_make(customer)
    assert client.login(username=customer.user.username, password=DEFAULT_PASSWORD)
    assert client.get(reverse("certcenter:discard")).status_code == 200
    unconfirmed = client.post(reverse("certcenter:lost"))
    assert unconfirmed.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == "valid"
    assert not Notification.objects.filter(customer=customer).exists()

    answer = client.post(reverse("certcenter:lost"), {"confirm": "on"})
    assert answer.status_code == 302 and answer["Location"] == reverse("certcenter:discard")
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revocation_reason) == ("revoked", "key_compromise")
    assert Notification.objects.filter(customer=customer, kind="loss_report").count() == 1
