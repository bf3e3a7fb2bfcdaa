import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """Everyone who logs in: customers (by user ID), tellers and operators (`is_staff`,
    groups `teller` and `operator`)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_customer(self) -> bool:
        return hasattr(self, "customer")


class Customer(models.Model):
    """A customer of internet banking; the login (`user`) exists once registered online."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="customer", verbose_name=_("login"))
    class Suspension(models.TextChoices):
        WRONG_ENTRIES = "wrong_entries", _("5 wrong entries")
        DORMANT = "dormant", _("12 months without use")

    name = models.CharField(_("real name"), max_length=100)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Consecutive wrong entries of any secret (login or account password, security card,
    # OTP), across sessions and channels; the 5th suspends internet banking.
    wrong_entries = models.PositiveSmallIntegerField(_("consecutive wrong entries"), default=0)
    suspension = models.CharField(_("suspension"), max_length=16, choices=Suspension.choices,
                                  blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A Smart Banking app token; only its SHA-256 is stored. Idle tokens expire like
    sessions (policy.API_TOKEN_IDLE)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField()

    class Meta:
        verbose_name = _("app token")
        verbose_name_plural = _("app tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)
