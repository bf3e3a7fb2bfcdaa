"""The CA as relying parties see it: openssl verifies the certificate against ca.pem,
parses the CRL and gets OCSP answers (good, then revoked after discard)."""

import subprocess
from datetime import UTC, datetime

import pytest
import time_machine
from cryptography import x509
from cryptography.x509 import ocsp
from django.core.management import call_command

from certcenter import profile, services
from certcenter.models import Certificate, CertificateAuthority, RevocationList
from tests.certcenter.conftest import certificate_make

ISSUE_INSTANT = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # 10:30 KST, 10 March 2026


def _openssl(*args, cwd):
    return subprocess.run(
        ["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )


def test_ca_init_creates_encrypted_root_and_issuing(db, capsys):
    call_command("ca_init")
    call_command("ca_init")  # idempotent
    root = CertificateAuthority.objects.get(role="root", active=True)
    issuing = CertificateAuthority.objects.get(role="issuing", active=True)
    assert issuing.parent == root
    assert CertificateAuthority.objects.count() == 2
    assert "ENCRYPTED PRIVATE KEY" in root.encrypted_key_pem
    assert "ENCRYPTED PRIVATE KEY" in issuing.encrypted_key_pem


def test_chain_endpoint_without_ca_answers_503(client, db):
    assert client.get("/certcenter/ca.pem").status_code == 503


def test_profile_of_issued_certificate(bank_ca, customer):
    with time_machine.travel(ISSUE_INSTANT, tick=False):
        certificate, _key = certificate_make(customer, cert_type="general_personal")
    cert = x509.load_der_x509_certificate(bytes(certificate.der))
    assert cert.public_key().key_size == 2048
    assert cert.signature_hash_algorithm.name == "sha256"
    assert cert.not_valid_before_utc == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # 00:00 KST
    assert cert.not_valid_after_utc == datetime(2027, 3, 9, 14, 59, 59, tzinfo=UTC)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_encipherment
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
    assert policies.critical
    assert [p.policy_identifier.dotted_string for p in policies.value] == [
        f"{profile.PROJECT_OID_ARC}.1.2"
    ]
    dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    assert dp.value[0].full_name[0].value.endswith("/certcenter/crl")
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    assert aia.value[0].access_location.value.endswith("/certcenter/ocsp")
    rdns = cert.subject.rfc4514_string()
    assert rdns.startswith("CN=홍길동()071")
    assert "OU=Postbank RA,OU=personal4IB,O=Postbank CA,C=kr" in rdns
    assert len(rdns.split("()")[1].split(",")[0]) == 22


def test_openssl_verifies_crl_and_ocsp(
    bank_ca, customer, client, tmp_path, django_capture_on_commit_callbacks
):
    certificate, _key = certificate_make(customer)
    (tmp_path / "ca.pem").write_bytes(client.get("/certcenter/ca.pem").content)
    (tmp_path / "issuing.pem").write_text(bank_ca.certificate_pem)
    (tmp_path / "cert.der").write_bytes(bytes(certificate.der))
    _openssl("x509", "-inform", "DER", "-in", "cert.der", "-out", "cert.pem", cwd=tmp_path)
    verify = _openssl(
        "verify",
        "-CAfile",
        "ca.pem",
        "-policy_check",
        "-explicit_policy",
        "-policy",
        f"{profile.PROJECT_OID_ARC}.1.1",
        "cert.pem",
        cwd=tmp_path,
    )
    assert verify.returncode == 0, verify.stderr
    assert "cert.pem: OK" in verify.stdout

    def ocsp_status() -> str:
        req = _openssl(
            "ocsp",
            "-issuer",
            "issuing.pem",
            "-cert",
            "cert.pem",
            "-reqout",
            "req.der",
            "-no_nonce",
            cwd=tmp_path,
        )
        assert req.returncode == 0, req.stderr
        answer = client.post(
            "/certcenter/ocsp",
            (tmp_path / "req.der").read_bytes(),
            content_type="application/ocsp-request",
        )
        assert answer["Content-Type"] == "application/ocsp-response"
        (tmp_path / "resp.der").write_bytes(answer.content)
        check = _openssl(
            "ocsp",
            "-respin",
            "resp.der",
            "-issuer",
            "issuing.pem",
            "-CAfile",
            "ca.pem",
            "-cert",
            "cert.pem",
            cwd=tmp_path,
        )
        assert check.returncode == 0, check.stderr
        assert "Response verify OK" in check.stderr
        return check.stdout

    assert "cert.pem: good" in ocsp_status()

    (tmp_path / "crl.der").write_bytes(client.get("/certcenter/crl").content)
    crl = _openssl(
        "crl",
        "-inform",
        "DER",
        "-in",
        "crl.der",
        "-CAfile",
        "ca.pem",
        "-noout",
        "-text",
        cwd=tmp_path,
    )
    assert crl.returncode == 0, crl.stderr
    assert "verify OK" in crl.stderr
    assert "No Revoked Certificates" in crl.stdout
    first_number = RevocationList.objects.get().number

    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_revoke(
            customer=customer, serial=certificate.serial, reason="key_compromise"
        )
    status = ocsp_status()
    assert "cert.pem: revoked" in status
    assert "Reason: keyCompromise" in status

    (tmp_path / "crl.der").write_bytes(client.get("/certcenter/crl").content)
    crl = _openssl(
        "crl",
        "-inform",
        "DER",
        "-in",
        "crl.der",
        "-CAfile",
        "ca.pem",
        "-noout",
        "-text",
        cwd=tmp_path,
    )
    assert "verify OK" in crl.stderr
    # openssl prints whole bytes: a serial of an odd number of hex digits gets a leading 0.
    printed = certificate.serial.upper()
    assert f"Serial Number: {printed.zfill(len(printed) + len(printed) % 2)}" in crl.stdout
    assert "Key Compromise" in crl.stdout
    latest = RevocationList.objects.order_by("-number").first()
    assert latest.number > first_number
    crl_check = (
        _openssl(
            "verify",
            "-crl_check",
            "-CAfile",
            "ca.pem",
            "-CRLfile",
            "crl.pem",
            "cert.pem",
            cwd=tmp_path,
        )
        if _openssl(
            "crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem", cwd=tmp_path
        ).returncode
        == 0
        else None
    )
    assert crl_check is not None and crl_check.returncode != 0
    assert "certificate revoked" in crl_check.stderr + crl_check.stdout


@pytest.mark.parametrize("body", [b"", b"\x30\x03\x02\x01\x01", b"garbage" * 100])
def test_ocsp_malformed_request_answers_malformed(bank_ca, client, body):
    answer = client.post("/certcenter/ocsp", body, content_type="application/ocsp-request")
    assert answer.status_code == 200
    response = ocsp.load_der_ocsp_response(answer.content)
    assert response.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_held_certificate_is_on_hold_in_ocsp_and_crl(
    bank_ca, customer, client, django_capture_on_commit_callbacks
):
    certificate, _key = certificate_make(customer)
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_hold(customer=customer, serial=certificate.serial)
    crl = x509.load_der_x509_crl(client.get("/certcenter/crl").content)
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_int)
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.certificate_hold
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.certificate_restore(customer=customer, serial=certificate.serial)
    crl = x509.load_der_x509_crl(client.get("/certcenter/crl").content)
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_int) is None
    assert Certificate.objects.get(pk=certificate.pk).status == "valid"
