"""seed_demo's certificate: NPKI files that openssl opens with the printed password, a
certificate that openssl verifies against the published chain, and a re-run that changes
nothing."""

import subprocess

from certcenter import demo
from certcenter.models import Certificate
from enrollment import demo as enrollment_demo


def _openssl(*args, cwd):
    return subprocess.run(
        ["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )


def test_demo_certificate_files_open_with_openssl_and_rerun_changes_nothing(db, tmp_path):
    enrollment_demo.seed(lambda _line: None)
    printed: list[str] = []
    demo.seed(printed.append, folder=tmp_path)
    certificate = Certificate.objects.get(customer__user__username="demo")
    assert (certificate.cert_type, certificate.status, certificate.fee) == (
        "bank_personal",
        "valid",
        0,
    )
    path = demo.user_folder(tmp_path, certificate)
    assert path.parent == tmp_path / "NPKI" / "Postbank" / "USER"
    assert path.name.startswith("cn=홍길동()071") and path.name.endswith(",o=Postbank CA,c=kr")
    assert any(demo.DEMO_CERT_PASSWORD in line for line in printed)
    assert any(str(path) in line for line in printed)

    opened = _openssl(
        "pkcs8",
        "-inform",
        "DER",
        "-in",
        str(path / "signPri.key"),
        "-passin",
        f"pass:{demo.DEMO_CERT_PASSWORD}",
        "-out",
        "key.pem",
        cwd=tmp_path,
    )
    assert opened.returncode == 0, opened.stderr
    wrong = _openssl(
        "pkcs8",
        "-inform",
        "DER",
        "-in",
        str(path / "signPri.key"),
        "-passin",
        "pass:Wrong-pass-2026!",
        "-out",
        "wrong.pem",
        cwd=tmp_path,
    )
    assert wrong.returncode != 0
    key_modulus = _openssl("rsa", "-in", "key.pem", "-noout", "-modulus", cwd=tmp_path).stdout
    cert_modulus = _openssl(
        "x509",
        "-inform",
        "DER",
        "-in",
        str(path / "signCert.der"),
        "-noout",
        "-modulus",
        cwd=tmp_path,
    ).stdout
    assert key_modulus.startswith("Modulus=") and key_modulus == cert_modulus
    _openssl(
        "x509",
        "-inform",
        "DER",
        "-in",
        str(path / "signCert.der"),
        "-out",
        "cert.pem",
        cwd=tmp_path,
    )
    verify = _openssl("verify", "-CAfile", "ca.pem", "cert.pem", cwd=tmp_path)
    assert verify.returncode == 0, verify.stderr

    key_bytes = (path / "signPri.key").read_bytes()
    demo.seed(lambda _line: None, folder=tmp_path)
    assert Certificate.objects.filter(customer__user__username="demo").count() == 1
    assert (path / "signPri.key").read_bytes() == key_bytes


def test_demo_reissues_when_the_files_are_gone(db, tmp_path):
    enrollment_demo.seed(lambda _line: None)
    demo.seed(lambda _line: None, folder=tmp_path)
    first = Certificate.objects.get(customer__user__username="demo")
    (demo.user_folder(tmp_path, first) / "signPri.key").unlink()
    demo.seed(lambda _line: None, folder=tmp_path)
    first.refresh_from_db()
    assert (first.status, first.revocation_reason) == ("revoked", "superseded")
    second = Certificate.objects.get(customer__user__username="demo", status="valid")
    assert second.replaces == first
    assert (demo.user_folder(tmp_path, second) / "signPri.key").exists()
