"""What the certificate center does when another app reports an event."""

from certcenter.services import certificates_revoke_for_loss


def on_medium_lost(sender, *, customer, medium: str, channel: str = "web", **kwargs) -> None:
    """A lost certificate is revoked at once for key compromise (DOMAIN.md, "Service
    suspension"); runs inside enrollment's loss-report transaction."""
    if medium == "certificate":
        certificates_revoke_for_loss(customer=customer, channel=channel)
