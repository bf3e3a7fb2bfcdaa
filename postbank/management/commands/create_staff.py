"""`manage.py create_staff teller|operator <user_id>`: the first counter staff of a new bank.

The password comes from the STAFF_PASSWORD environment variable or, without it, from a
prompt (typed twice); never from the command line, where it would sit in the shell history
and the process list. A user ID that already belongs to a staff member of the role changes
nothing and succeeds, so the command is safe to re-run; one that belongs to anyone else is
refused. Tellers and operators get no superuser rights: their group's permissions only.
"""

import getpass
import os

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from enrollment.models import User
from postbank.audit import audit_record

PASSWORD_ENV = "STAFF_PASSWORD"  # noqa: S105 (the variable's name, not a password)
ROLES = ("teller", "operator")


class Command(BaseCommand):
    help = (
        "Creates a teller or operator for the counter site (/counter/). The password is read "
        f"from ${PASSWORD_ENV} or prompted for, never taken from the command line."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", choices=ROLES, help="the counter group to join")
        parser.add_argument("user_id", help="the login name")
        parser.add_argument("--name", default="", help="the name shown on the counter site")

    def handle(self, *args, role: str, user_id: str, name: str, **options):
        group = Group.objects.filter(name=role).first()
        if group is None:
            raise CommandError(f"The group {role!r} does not exist; run migrate first.")
        try:
            User.username_validator(user_id)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        existing = User.objects.filter(username=user_id).first()
        if existing is not None:
            self._existing(existing, role)
            return
        password = self._password()
        candidate = User(username=user_id, first_name=name, is_staff=True)
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        try:
            with transaction.atomic():
                candidate.set_password(password)
                candidate.save()
                candidate.groups.add(group)
                audit_record(event="staff_created", subject=f"user:{user_id}", channel="cli",
                             detail={"role": role})
        except IntegrityError:
            # Created by a concurrent run between the check above and the insert.
            self._existing(User.objects.get(username=user_id), role)
            return
        self.stdout.write(f"Created {role} {user_id}; they log in at /counter/.")

    def _existing(self, user: User, role: str) -> None:
        if user.is_staff and user.is_active and user.groups.filter(name=role).exists():
            self.stdout.write(f"The {role} {user.username} exists; nothing changed.")
            return
        raise CommandError(
            f"The user ID {user.username} is taken by someone who is not an active {role}; "
            "nothing changed. Choose another user ID."
        )

    def _password(self) -> str:
        password = os.environ.get(PASSWORD_ENV, "")
        if password:
            return password
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Password (again): ")
        except EOFError:
            raise CommandError(
                f"No password: set {PASSWORD_ENV} or run the command in a terminal."
            ) from None
        if password != again:
            raise CommandError("The passwords do not match; nothing changed.")
        if not password:
            raise CommandError("The password is empty; nothing changed.")
        return password
