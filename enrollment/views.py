from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from enrollment.forms import LoginForm
from enrollment.services import customer_login
from postbank.errors import PostbankError


@sensitive_post_parameters("password")
@never_cache
def login_view(request):
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    if request.method == "POST" and form.is_valid():
        try:
            user = customer_login(request=request, user_id=form.cleaned_data["user_id"],
                                  password=form.cleaned_data["password"], channel="web")
        except PostbankError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user)
            return redirect(next_url)
    return render(request, "enrollment/login.html",
                  {"form": form, "next": next_url, "expired": "expired" in request.GET})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("enrollment:login")
