"""Signals other apps listen to."""

from django.dispatch import Signal

# Sent (sender=Customer, customer=..., medium="certificate" | "security_card" | "otp") once a
# loss report has stopped the medium; the certificate center revokes certificates on it.
medium_lost = Signal()
