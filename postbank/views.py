from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from postbank.api import problem_json_response


def home(request):
    return render(request, "home.html")


@require_POST
def session_extend(request):
    """Extends an idle session: any request does, this one exists for the button."""
    if not request.user.is_authenticated:
        return JsonResponse({"seconds_left": 0}, status=401)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"seconds_left": settings.SESSION_COOKIE_AGE})
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    return redirect(target)


def page_not_found(request, exception=None):
    """API paths answer 404 as problem details too; pages get the normal page."""
    if request.path.startswith("/api/"):
        return problem_json_response(status_code=404, code="not_found", title="Not found.",
                                     instance=request.path)
    return render(request, "404.html", status=404)
