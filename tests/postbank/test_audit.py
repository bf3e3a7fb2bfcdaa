import pytest
from django.db import IntegrityError, connection, transaction

from postbank.audit import audit_record
from postbank.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_record_writes_an_event():
    event = audit_record(event="login", subject="demo", channel="web", ip="127.0.0.1")
    assert AuditEvent.objects.get(pk=event.pk).event == "login"


def test_database_refuses_update_and_delete_of_audit_events():
    event = audit_record(event="login", subject="demo")
    for sql in ("UPDATE postbank_auditevent SET event = 'forged' WHERE id = %s",
                "DELETE FROM postbank_auditevent WHERE id = %s"):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).event == "login"
