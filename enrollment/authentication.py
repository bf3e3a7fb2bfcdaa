from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from enrollment.models import ApiToken
from postbank import policy

# The last use is written at most once a minute: a write per request would double the
# statements of every API call. Idle time is counted from the last recorded use, so a
# token ends at most a minute before policy.API_TOKEN_IDLE, never after it.
TOUCH_EVERY = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` for the Smart Banking app; idle tokens expire.

    One statement per request: the token with its user and the user's customer (which the
    API views use), plus the last-use write at most once a minute (TOUCH_EVERY)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        key = header[1].decode(errors="replace")
        now = timezone.now()
        try:  # key_hash is unique: get() reads without the ORDER BY of first()
            token = (ApiToken.objects.select_related("user", "user__customer")
                     .get(key_hash=ApiToken.hash_key(key)))
        except ApiToken.DoesNotExist:
            token = None
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
