import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args, **env):
    dropped = {"DEBUG", "SECRET_KEY", "PERSONAL_DATA_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True,
                          text=True, env={**clean, **env}, timeout=120, check=False)


def test_without_secret_key_production_refuses_to_start():
    result = _run("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_makemigrations_check_runs_without_the_production_secrets():
    result = _run("makemigrations", "--check", "--dry-run", DEBUG="0")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    # The exception is makemigrations only: anything else still refuses to start.
    assert _run("migrate", "--plan", DEBUG="0").returncode != 0


def test_without_personal_data_key_production_refuses_to_start():
    result = _run("check", DEBUG="0", SECRET_KEY="k" * 60)
    assert result.returncode != 0
    assert "PERSONAL_DATA_KEY must be set when DEBUG is off" in result.stderr


def test_production_settings_pass_check_deploy():
    result = _run("check", "--deploy", "--fail-level", "WARNING", DEBUG="0",
                  SECRET_KEY="x" * 20 + "-production-like-random-" + "y" * 20,
                  PERSONAL_DATA_KEY="cHJvZHVjdGlvbi1saWtlLXBlcnNvbmFsLWRhdGEta2V5IQ",
                  ALLOWED_HOSTS="bank.example")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/login/", "/api/docs/", "/counter/login/"])
def test_every_page_sends_a_csp_without_unsafe_inline(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_pages_reference_no_external_host(client):
    body = client.get("/login/").content.decode()
    assert "http://" not in body.replace("http://127.0.0.1:8000", "")
    assert "https://" not in body


def test_time_zone_and_languages(settings):
    assert settings.TIME_ZONE == "Asia/Seoul"
    assert settings.USE_TZ is True
    assert [code for code, _name in settings.LANGUAGES] == ["ko", "en"]
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.ATOMIC_REQUESTS is False
