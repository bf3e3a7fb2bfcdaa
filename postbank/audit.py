"""The audit log: one call per security event, inside the caller's transaction."""

from postbank import rawsql
from postbank.models import AuditEvent


def audit_statement(*, event: str, actor=None, subject: str = "", channel: str = "",
                    ip: str | None = None, detail: dict | None = None) -> tuple[str, list]:
    """audit_record's INSERT, to run with other writes in one statement (rawsql.together)."""
    return rawsql.insert_statement(AuditEvent(event=event, actor=actor, subject=subject,
                                              channel=channel, ip=ip or None,
                                              detail=detail or {}))


def audit_record(*, event: str, actor=None, subject: str = "", channel: str = "",
                 ip: str | None = None, detail: dict | None = None) -> AuditEvent:
    # Hand-written (postbank.rawsql): every transfer writes one.
    record = AuditEvent(event=event, actor=actor, subject=subject, channel=channel,
                        ip=ip or None, detail=detail or {})
    rawsql.insert(record)
    return record


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def channel_of(request) -> str:
    if request is None:
        return "system"
    return "api" if request.path.startswith("/api/") else "web"
