"""Reads of the customer's own security state."""

from dataclasses import dataclass

from django.http import Http404

from enrollment.models import Customer, MediumStatus
from enrollment.services import customer_limits


@dataclass(frozen=True)
class MediumView:
    kind: str
    serial: str
    status: str
    issued_at: object


@dataclass(frozen=True)
class SecurityOverview:
    grade: str | None
    per_transfer: int
    per_day: int
    own_per_transfer: int | None
    own_per_day: int | None
    minor_limited: bool
    suspension: str
    media: list[MediumView]


def security_overview(*, customer: Customer) -> SecurityOverview:
    """The customer's grade, limits and media in use (the last loss report stays visible)."""
    customer.refresh_from_db()
    per_transfer, per_day = customer_limits(customer=customer)
    media = [MediumView("security_card", c.serial, c.status, c.issued_at)
             for c in customer.security_cards.exclude(status=MediumStatus.REPLACED)
             .order_by("-issued_at")[:3]]
    media += [MediumView("otp", d.serial, d.status, d.issued_at)
              for d in customer.otp_devices.exclude(status=MediumStatus.REPLACED)
              .order_by("-issued_at")[:3]]
    return SecurityOverview(grade=customer.grade, per_transfer=per_transfer, per_day=per_day,
                            own_per_transfer=customer.own_limit_per_transfer,
                            own_per_day=customer.own_limit_per_day,
                            minor_limited=customer.minor_limited,
                            suspension=customer.suspension, media=media)


def customer_of_request(request) -> Customer:
    """The logged-in customer of a page or API request; staff and visitors get the same 404
    as a missing object (the API answers it as a not_found problem)."""
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise Http404
    return customer
