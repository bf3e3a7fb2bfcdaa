"""API errors as RFC 9457 problem details, from one handler."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from postbank.errors import PostbankError

PROBLEM_CONTENT_TYPE = "application/problem+json"

_DRF_CODES = {
    exceptions.ValidationError: "invalid_input",
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def problem_body(*, status_code: int, code: str, title: str, detail: str = "",
                 instance: str = "", **extra) -> dict:
    """An RFC 9457 problem details object with the project's stable `code`."""
    # Extension members never replace the standard ones (RFC 9457 section 3.2).
    body = dict(extra)
    body.update({"type": f"urn:postbank:problem:{code}", "title": title,
                 "status": status_code, "code": code})
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    return body


def problem_json_response(**problem) -> JsonResponse:
    """problem_body as a plain Django response, for answers made outside DRF's views."""
    return JsonResponse(problem_body(**problem), status=problem["status_code"],
                        content_type=PROBLEM_CONTENT_TYPE)


def problem_response(**problem) -> Response:
    return Response(problem_body(**problem), status=problem["status_code"],
                    content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc, context):
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, PostbankError):
        extra = {k: v for k, v in exc.extra.items() if isinstance(v, str | int | list | dict)}
        return problem_response(status_code=exc.status, code=exc.code, title=str(exc.title),
                                detail=str(exc.message), instance=instance, **extra)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        response = problem_response(status_code=status.HTTP_400_BAD_REQUEST, code=code,
                                    title=_("Some of the input is not valid."),
                                    detail=_("Check the fields named in errors."),
                                    instance=instance, errors=exc.detail)
    else:
        response = problem_response(status_code=exc.status_code, code=code,
                                    title=str(exc.detail), instance=instance)
    for name, value in headers.items():
        response[name] = value
    return response
