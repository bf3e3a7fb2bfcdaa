"""Owner-scoped reads of the certificate center: another customer's certificate answers
like a missing one."""

from django.db.models import QuerySet
from django.utils import timezone

from certcenter.models import Certificate, DesignatedDevice, ForeignCertificate


def certificates_for_customer(*, customer) -> QuerySet[Certificate]:
    return (
        Certificate.objects.filter(customer=customer)
        .select_related("ca")
        .order_by("-issued_at", "-pk")
    )


def live_certificates_for_customer(*, customer) -> QuerySet[Certificate]:
    """Valid or suspended and not yet expired (an expired one keeps its status but is
    neither reissued, renewed nor used: only a new issuance replaces it)."""
    return certificates_for_customer(customer=customer).filter(
        status__in=[Certificate.Status.VALID, Certificate.Status.HELD],
        not_after__gt=timezone.now(),
    )


def devices_for_customer(*, customer) -> QuerySet[DesignatedDevice]:
    return DesignatedDevice.objects.filter(customer=customer).order_by("created_at", "pk")


def foreign_certificates_for_customer(*, customer) -> QuerySet[ForeignCertificate]:
    return ForeignCertificate.objects.filter(customer=customer).order_by("-registered_at")
