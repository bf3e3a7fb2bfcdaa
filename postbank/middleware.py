"""Answers for the parts that depend on Redis when Redis or the broker is down."""

from django.shortcuts import render
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from postbank.api import problem_json_response
from postbank.errors import ServiceUnavailable


class ServiceUnavailableMiddleware:
    """Turns an unreachable cache or broker into 503 with Retry-After: problem details on
    the API, a page elsewhere, never a bare 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RedisError | OperationalError):
            return None
        problem = ServiceUnavailable()
        if request.path.startswith("/api/"):
            response = problem_json_response(status_code=problem.status, code=problem.code,
                                             title=str(problem.title), instance=request.path)
        else:
            response = render(request, "503.html", {"problem": problem}, status=problem.status)
        response["Retry-After"] = str(problem.retry_after_seconds)
        return response
