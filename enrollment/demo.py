"""Demo logins for `manage.py seed_demo` (idempotent)."""

from django.contrib.auth.models import Group
from django.db import transaction

from enrollment.models import Customer, User

DEMO_CUSTOMER = ("demo", "Demo-pass-2026!")
TELLER = ("teller", "Teller-pass-2026!")
OPERATOR = ("operator", "Operator-pass-2026!")


def _staff(username: str, password: str, group: str, name: str) -> User:
    user, created = User.objects.get_or_create(username=username,
                                               defaults={"is_staff": True, "first_name": name})
    if created:
        user.set_password(password)
        user.save()
    user.groups.add(Group.objects.get(name=group))
    return user


@transaction.atomic
def seed(out) -> None:
    _staff(*TELLER, "teller", "Teller Kim")
    _staff(*OPERATOR, "operator", "Operator Lee")
    user, created = User.objects.get_or_create(username=DEMO_CUSTOMER[0])
    if created:
        user.set_password(DEMO_CUSTOMER[1])
        user.save()
    Customer.objects.get_or_create(user=user, defaults={"name": "홍길동"})
    out("Demo logins:")
    for role, (username, password), url in [("customer", DEMO_CUSTOMER, "/login/"),
                                            ("teller", TELLER, "/counter/"),
                                            ("operator", OPERATOR, "/counter/")]:
        out(f"  {role:<9} {username} / {password}   http://127.0.0.1:8000{url}")
