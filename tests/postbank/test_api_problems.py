import pytest

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _problem(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:postbank:problem:{code}"
    return body


def test_unauthenticated_api_call_is_a_problem(client):
    _problem(client.get("/api/v1/me/"), 401, "not_authenticated")


def test_unknown_api_path_is_a_problem(client):
    _problem(client.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_malformed_json_is_a_problem(client):
    response = client.post("/api/v1/auth/token/", data="{not json",
                           content_type="application/json")
    _problem(response, 400, "malformed_request")


def test_missing_fields_are_named(client):
    body = _problem(client.post("/api/v1/auth/token/", data={}, content_type="application/json"),
                    400, "invalid_input")
    assert set(body["errors"]) == {"user_id", "password"}


def test_wrong_password_is_a_problem(client):
    customer = CustomerFactory()
    response = client.post("/api/v1/auth/token/",
                           data={"user_id": customer.user.username, "password": "wrong"},
                           content_type="application/json")
    _problem(response, 401, "login_failed")


def test_schema_is_served_offline(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/auth/token/" in response.content
    docs = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar" in docs
    assert "https://" not in docs


def test_session_api_requires_csrf(client):
    from django.test import Client

    customer = CustomerFactory()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer.user)
    response = strict.post("/api/v1/auth/logout/", content_type="application/json")
    _problem(response, 403, "forbidden")
