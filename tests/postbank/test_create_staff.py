import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from enrollment.models import User
from postbank.management.commands import create_staff
from postbank.models import AuditEvent
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Counter-first-2026!"


@pytest.fixture(autouse=True)
def _english():
    """The validators' refusals are asserted in English (the default language is Korean)."""
    with translation.override("en"):
        yield


@pytest.fixture
def prompt(monkeypatch):
    """Answers the password prompts in turn; records what was asked."""
    asked: list[str] = []

    def answer(*answers: str) -> list[str]:
        replies = iter(answers)

        def getpass(text: str) -> str:
            asked.append(text)
            try:
                return next(replies)
            except StopIteration:
                raise EOFError from None

        monkeypatch.setattr(create_staff.getpass, "getpass", getpass)
        return asked

    monkeypatch.delenv(create_staff.PASSWORD_ENV, raising=False)
    return answer


def test_creates_a_teller_with_the_password_from_the_environment(monkeypatch, client, capsys):
    monkeypatch.setenv(create_staff.PASSWORD_ENV, PASSWORD)
    call_command("create_staff", "teller", "kim.teller", "--name", "Teller Kim")

    user = User.objects.get(username="kim.teller")
    assert user.is_staff and user.is_active and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["teller"]
    assert user.first_name == "Teller Kim"
    assert user.check_password(PASSWORD)
    assert "Created teller kim.teller" in capsys.readouterr().out
    event = AuditEvent.objects.get(event="staff_created")
    assert (event.subject, event.channel, event.detail) == (
        "user:kim.teller", "cli", {"role": "teller"})
    # The counter site lets them in with that password.
    response = client.post("/counter/login/?next=/counter/",
                           {"username": "kim.teller", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/counter/"
    assert client.get("/counter/").status_code == 200


def test_creates_an_operator_with_the_password_typed_twice(prompt):
    asked = prompt(PASSWORD, PASSWORD)
    call_command("create_staff", "operator", "lee.operator")

    user = User.objects.get(username="lee.operator")
    assert list(user.groups.values_list("name", flat=True)) == ["operator"]
    assert user.is_staff and not user.is_superuser and user.check_password(PASSWORD)
    assert asked == ["Password: ", "Password (again): "]


def test_a_second_run_changes_nothing(monkeypatch, prompt, capsys):
    monkeypatch.setenv(create_staff.PASSWORD_ENV, PASSWORD)
    call_command("create_staff", "teller", "kim.teller")
    monkeypatch.setenv(create_staff.PASSWORD_ENV, "Another-pass-2026!")
    call_command("create_staff", "teller", "kim.teller")

    assert "The teller kim.teller exists; nothing changed." in capsys.readouterr().out
    assert User.objects.get(username="kim.teller").check_password(PASSWORD)
    assert AuditEvent.objects.filter(event="staff_created").count() == 1


def test_a_user_id_of_a_customer_or_of_the_other_role_is_refused(monkeypatch):
    monkeypatch.setenv(create_staff.PASSWORD_ENV, PASSWORD)
    customer = CustomerFactory()
    call_command("create_staff", "operator", "lee.operator")
    users = User.objects.count()

    with pytest.raises(CommandError, match="taken by someone who is not an active teller"):
        call_command("create_staff", "teller", customer.user.username)
    with pytest.raises(CommandError, match="not an active teller"):
        call_command("create_staff", "teller", "lee.operator")

    customer.user.refresh_from_db()
    assert not customer.user.is_staff and not customer.user.groups.exists()
    assert User.objects.count() == users
    assert list(User.objects.get(username="lee.operator").groups.values_list(
        "name", flat=True)) == ["operator"]


@pytest.mark.parametrize("answers, message", [
    ((PASSWORD, "Counter-first-2027!"), "do not match"),
    (("", ""), "empty"),
    ((), "set STAFF_PASSWORD or run the command in a terminal"),
    (("password", "password"), "too common"),
    (("kim.teller1", "kim.teller1"), "too similar"),
])
def test_a_bad_or_missing_password_creates_nobody(prompt, answers, message):
    prompt(*answers)
    with pytest.raises(CommandError, match=message):
        call_command("create_staff", "teller", "kim.teller")
    assert not User.objects.filter(username="kim.teller").exists()
    assert not AuditEvent.objects.filter(event="staff_created").exists()


def test_the_password_is_never_taken_from_the_command_line(monkeypatch):
    monkeypatch.setenv(create_staff.PASSWORD_ENV, PASSWORD)
    with pytest.raises(CommandError, match="unrecognized arguments"):
        call_command("create_staff", "teller", "kim.teller", "--password", PASSWORD)
    assert not User.objects.filter(username="kim.teller").exists()


@pytest.mark.parametrize("args, message", [
    (["manager", "kim"], "invalid choice"),
    (["teller", "kim teller"], "Enter a valid username"),
])
def test_an_unknown_role_or_an_invalid_user_id_is_refused(monkeypatch, args, message):
    monkeypatch.setenv(create_staff.PASSWORD_ENV, PASSWORD)
    with pytest.raises(CommandError, match=message):
        call_command("create_staff", *args)
    assert not User.objects.filter(is_staff=True).exists()
