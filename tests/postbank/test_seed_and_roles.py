import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from enrollment.models import Customer, User

pytestmark = pytest.mark.django_db


def test_groups_exist_with_permissions():
    teller = Group.objects.get(name="teller")
    operator = Group.objects.get(name="operator")
    assert teller.permissions.filter(codename="add_customer").exists()
    assert operator.permissions.filter(codename="view_auditevent").exists()
    assert not operator.permissions.filter(codename="add_customer").exists()


def test_seed_demo_is_idempotent(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (User.objects.count(), Customer.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Customer.objects.count()) == counts
    out = capsys.readouterr().out
    assert "demo / Demo-pass-2026!" in out
    teller = User.objects.get(username="teller")
    assert teller.is_staff and teller.groups.filter(name="teller").exists()


def test_seed_demo_refuses_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
