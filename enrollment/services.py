from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import ApiToken, Customer, User
from postbank import policy
from postbank.audit import audit_record, client_ip
from postbank.errors import Forbidden, PostbankError


class LoginFailed(PostbankError):
    code = "login_failed"
    status = 401
    title = _("The user ID or password is not correct.")


class CustomerSuspended(Forbidden):
    code = "customer_suspended"
    title = _("Internet banking is suspended.")


SUSPENSION_MESSAGES = {
    Customer.Suspension.WRONG_ENTRIES: _(
        "Internet banking is suspended after 5 wrong entries of a password or security code. "
        "Visit a post office counter with your ID to lift the suspension."),
    Customer.Suspension.DORMANT: _(
        "Internet banking is suspended after 12 months without use. Visit a post office "
        "counter with your ID, or lift it in the security center with your joint "
        "certificate and security medium."),
}


def customer_ensure_active(*, customer: Customer) -> None:
    if customer.suspension:
        raise CustomerSuspended(SUSPENSION_MESSAGES[customer.suspension],
                                reason=customer.suspension)


def wrong_entry_record(*, customer: Customer, kind: str, channel: str,
                       ip: str | None = None) -> int:
    """Counts one wrong entry (`kind`: login_password, account_password, security_card, otp)
    and suspends internet banking at the 5th in a row. Returns the count.

    Runs in its own transaction and commits before the caller refuses the request, so the
    count survives the refusal; callers check secrets before opening a money transaction.
    """
    with transaction.atomic(durable=True):
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        locked.wrong_entries += 1
        fields = ["wrong_entries"]
        audit_record(event="wrong_entry", actor=locked.user, subject=f"customer:{locked.pk}",
                     channel=channel, ip=ip, detail={"kind": kind, "count": locked.wrong_entries})
        if locked.wrong_entries >= policy.WRONG_ENTRY_LIMIT and not locked.suspension:
            locked.suspension = Customer.Suspension.WRONG_ENTRIES
            locked.suspended_at = timezone.now()
            fields += ["suspension", "suspended_at"]
            audit_record(event="suspended", actor=locked.user, subject=f"customer:{locked.pk}",
                         channel=channel, ip=ip, detail={"reason": locked.suspension})
        locked.save(update_fields=fields)
    customer.wrong_entries = locked.wrong_entries
    customer.suspension, customer.suspended_at = locked.suspension, locked.suspended_at
    return locked.wrong_entries


def wrong_entries_reset(*, customer: Customer) -> None:
    """A correct entry ends the run of wrong ones."""
    if customer.wrong_entries:
        Customer.objects.filter(pk=customer.pk, wrong_entries__gt=0).update(wrong_entries=0)
        customer.wrong_entries = 0


def customer_login(*, request, user_id: str, password: str, channel: str) -> User:
    """Checks a customer's user ID and password; staff use the counter site."""
    user = authenticate(request, username=user_id, password=password)
    if user is None or not user.is_customer:
        # Recorded and committed before refusing: a failure must leave its trace.
        audit_record(event="login_failed", subject=user_id[:128], channel=channel,
                     ip=client_ip(request))
        raise LoginFailed()
    audit_record(event="login", actor=user, subject=user.username, channel=channel,
                 ip=client_ip(request))
    return user


def api_token_issue(*, user: User) -> str:
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key),
                            last_used_at=timezone.now())
    return key


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).delete()
