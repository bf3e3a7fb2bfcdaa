from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from enrollment.models import ApiToken, Customer, User
from postbank import policy, rawsql

# The last use is written at most once a minute: a write per request would double the
# statements of every API call. Idle time is counted from the last recorded use, so a
# token ends at most a minute before policy.API_TOKEN_IDLE, never after it.
TOUCH_EVERY = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` for the Smart Banking app; idle tokens expire.

    One statement per request: the token with its user and the user's customer (which the
    API views use), plus the last-use write at most once a minute (TOUCH_EVERY). The
    statement is hand-written (postbank.rawsql): every API call runs it."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        key = header[1].decode(errors="replace")
        now = timezone.now()
        token = _token_with_user(ApiToken.hash_key(key))
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if now - token.last_used_at > policy.API_TOKEN_IDLE:
            token.delete()
            raise exceptions.AuthenticationFailed(
                _("The session ended after 10 minutes without activity. Log in again."))
        if now - token.last_used_at >= TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


_TOKEN_SQL = (
    f"SELECT {rawsql.columns(ApiToken, 't')}, {rawsql.columns(User, 'u')}, "  # noqa: S608
    f"{rawsql.columns(Customer, 'c')} FROM {rawsql.table(ApiToken)} t "
    f"JOIN {rawsql.table(User)} u ON u.id = t.user_id "
    f"LEFT JOIN {rawsql.table(Customer)} c ON c.user_id = u.id WHERE t.key_hash = %s"
)


def _token_with_user(key_hash: str) -> ApiToken | None:
    """The token by its hash, with its user and the user's customer (or None) cached on it,
    as select_related("user", "user__customer") would."""
    found = rawsql.select(_TOKEN_SQL, [key_hash], ApiToken, User, Customer)
    if not found:
        return None
    token, user, customer = found[0]
    ApiToken.user.field.set_cached_value(token, user)
    User.customer.related.set_cached_value(user, customer)
    if customer is not None:
        Customer.user.field.set_cached_value(customer, user)
    return token
