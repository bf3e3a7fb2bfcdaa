from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from enrollment.models import ApiToken
from postbank.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

# Named instants: a working morning in Seoul.
MORNING = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 09:30 KST


def _login(client, username, password=DEFAULT_PASSWORD):
    return client.post("/login/", {"user_id": username, "password": password})


def test_customer_logs_in_and_out(client):
    customer = CustomerFactory()
    response = _login(client, customer.user.username)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert b'data-testid="logout"' in client.get("/").content
    assert AuditEvent.objects.filter(event="login", subject=customer.user.username).exists()
    client.post("/logout/")
    assert b'data-testid="login-link"' in client.get("/").content


def test_wrong_password_says_so_and_records_it(client):
    customer = CustomerFactory()
    response = _login(client, customer.user.username, "not-the-password")
    assert response.status_code == 200
    assert "The user ID or password is not correct." in response.content.decode() or \
        "아이디 또는 비밀번호" in response.content.decode()
    assert AuditEvent.objects.filter(event="login_failed").count() == 1


def test_staff_cannot_use_the_customer_login(client):
    staff = UserFactory(is_staff=True)
    assert _login(client, staff.username).status_code == 200
    assert "_auth_user_id" not in client.session


def test_open_redirect_is_refused(client):
    customer = CustomerFactory()
    response = client.post("/login/?next=https://evil.example/", {
        "user_id": customer.user.username, "password": DEFAULT_PASSWORD,
        "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_session_ends_after_ten_idle_minutes(client):
    customer = CustomerFactory()
    with time_machine.travel(MORNING, tick=False) as traveller:
        _login(client, customer.user.username)
        traveller.shift(timedelta(minutes=9, seconds=59))
        assert b'data-testid="logout"' in client.get("/").content  # activity: 10 more minutes
        traveller.shift(timedelta(minutes=9, seconds=59))
        assert b'data-testid="logout"' in client.get("/").content
        traveller.shift(timedelta(minutes=10, seconds=1))
        assert b'data-testid="login-link"' in client.get("/").content


def test_extend_button_keeps_the_session(client):
    customer = CustomerFactory()
    with time_machine.travel(MORNING, tick=False) as traveller:
        _login(client, customer.user.username)
        traveller.shift(timedelta(minutes=9))
        response = client.post("/session/extend/", HTTP_ACCEPT="application/json")
        assert response.json() == {"seconds_left": 600}
        traveller.shift(timedelta(minutes=9))
        assert b'data-testid="logout"' in client.get("/").content


def test_app_token_login_use_idle_expiry_and_logout(client):
    customer = CustomerFactory()
    with time_machine.travel(MORNING, tick=False) as traveller:
        response = client.post("/api/v1/auth/token/", {"user_id": customer.user.username,
                                                       "password": DEFAULT_PASSWORD},
                               content_type="application/json")
        assert response.status_code == 201
        token = response.json()["token"]
        assert ApiToken.objects.get().key_hash != token  # only the hash is stored
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        assert client.get("/api/v1/me/", **auth).json() == {
            "user_id": customer.user.username, "name": customer.name}
        traveller.shift(timedelta(minutes=9))
        assert client.get("/api/v1/me/", **auth).status_code == 200
        traveller.shift(timedelta(minutes=10, seconds=1))
        expired = client.get("/api/v1/me/", **auth)
        assert expired.status_code == 401
        assert expired.json()["code"] == "authentication_failed"
        assert not ApiToken.objects.exists()

        token = client.post("/api/v1/auth/token/", {"user_id": customer.user.username,
                                                    "password": DEFAULT_PASSWORD},
                            content_type="application/json").json()["token"]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        assert client.post("/api/v1/auth/logout/", **auth).status_code == 204
        assert client.get("/api/v1/me/", **auth).status_code == 401
