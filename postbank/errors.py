"""One error hierarchy with stable codes.

Services raise these; the API turns them into RFC 9457 problem details and the pages show
the same (translated) message.
"""

from django.utils.translation import gettext_lazy as _


class PostbankError(Exception):
    code = "error"
    status = 400
    title = _("The request could not be completed.")

    def __init__(self, message=None, *, code: str | None = None, **extra):
        self.message = message if message is not None else self.title
        if code:
            self.code = code
        self.extra = extra
        super().__init__(str(self.message))


class InvalidInput(PostbankError):
    code = "invalid_input"
    title = _("Some of the input is not valid.")


class NotFound(PostbankError):
    code = "not_found"
    status = 404
    title = _("Not found.")


class Refused(PostbankError):
    """A well-formed request that a business rule refuses."""

    code = "refused"
    status = 409
    title = _("The request was refused.")


class Forbidden(PostbankError):
    code = "forbidden"
    status = 403
    title = _("You may not do this.")


class ServiceUnavailable(PostbankError):
    """Redis (the cache) or the broker cannot be reached: what needs them answers 503 with
    Retry-After instead of failing; the money path needs neither."""

    code = "service_unavailable"
    status = 503
    title = _("This service is briefly unavailable. Please try again in a minute.")
    retry_after_seconds = 30
