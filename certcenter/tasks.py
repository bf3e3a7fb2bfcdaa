"""Beat-driven jobs of the certificate center; each takes ids and is safe to run twice."""

from celery import shared_task

from certcenter import services
from certcenter.models import CertificateAuthority


@shared_task
def crl_refresh(ca_id: int | None = None) -> int:
    """Publishes a fresh CRL (hourly from beat, and after every status change)."""
    cas = CertificateAuthority.objects.filter(role=CertificateAuthority.Role.ISSUING, active=True)
    if ca_id is not None:
        cas = cas.filter(pk=ca_id)
    return sum(1 for ca in cas if services.crl_publish(ca=ca))


@shared_task
def holds_expire() -> int:
    """Revokes certificates suspended for more than 6 months."""
    return services.holds_expire()


@shared_task
def copy_sessions_purge() -> int:
    """Deletes expired PC/smartphone copy sessions and their encrypted payloads."""
    from certcenter.copy import copy_sessions_purge as purge

    return purge()
