from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import ApiToken, User
from postbank.audit import audit_record, client_ip
from postbank.errors import PostbankError


class LoginFailed(PostbankError):
    code = "login_failed"
    status = 401
    title = _("The user ID or password is not correct.")


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
