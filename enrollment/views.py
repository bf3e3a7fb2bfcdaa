from functools import wraps

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from enrollment import selectors
from enrollment.applications import (
    ApplicationExpired,
    registration_complete,
    registration_identify,
)
from enrollment.forms import (
    LoginForm,
    OnlineLossReportForm,
    OwnLimitsForm,
    RegistrationCompleteForm,
    RegistrationIdentifyForm,
)
from enrollment.models import Application
from enrollment.security import medium_report_lost, security_challenge_issue
from enrollment.services import customer_limits_lower, customer_login
from postbank.errors import PostbankError

REGISTRATION_SESSION_KEY = "enrollment_registration"


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


@sensitive_post_parameters("reference_or_rrn", "account_password")
@never_cache
def register_view(request):
    """Online registration, step 1: the application and a designated account."""
    form = RegistrationIdentifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = registration_identify(channel="web", **form.cleaned_data)
        except ApplicationExpired as exc:
            return render(request, "enrollment/register_expired.html", {"problem": exc})
        except PostbankError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.cycle_key()
            request.session[REGISTRATION_SESSION_KEY] = application.pk
            return redirect("enrollment:register-confirm")
    return render(request, "enrollment/register.html", {"form": form})


@sensitive_post_parameters("security_answer", "password", "password_again")
@never_cache
def register_confirm_view(request):
    """Step 2: the security medium, the user ID and password, the terms."""
    application = (Application.objects.select_related("customer")
                   .filter(pk=request.session.get(REGISTRATION_SESSION_KEY)).first())
    if application is None:
        return redirect("enrollment:register")
    form = RegistrationCompleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = registration_complete(
                application=application, challenge_id=request.POST.get("challenge_id"),
                security_answer=data["security_answer"], user_id=data["user_id"],
                password=data["password"], terms_accepted=data["terms"], channel="web")
        except ApplicationExpired as exc:
            request.session.pop(REGISTRATION_SESSION_KEY, None)
            return render(request, "enrollment/register_expired.html", {"problem": exc})
        except PostbankError as exc:
            field = exc.extra.get("field")
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            request.session.pop(REGISTRATION_SESSION_KEY, None)
            messages.success(request, _("Registration is complete. Log in with your new user "
                                        "ID %(user_id)s.") % {"user_id": user.username})
            return redirect("enrollment:login")
    try:
        challenge = security_challenge_issue(customer=application.customer)
    except PostbankError as exc:
        request.session.pop(REGISTRATION_SESSION_KEY, None)
        return render(request, "enrollment/register.html",
                      {"form": RegistrationIdentifyForm(), "problem": exc}, status=exc.status)
    return render(request, "enrollment/register_confirm.html",
                  {"form": form, "challenge": challenge, "application": application})


def security_page(view):
    """The customer's own security center; staff and visitors have none."""

    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        customer = getattr(request.user, "customer", None)
        if customer is None:
            raise Http404
        return view(request, customer, *args, **kwargs)

    return wrapper


def _security_render(request, customer, *, loss_form=None, limits_form=None, status=200):
    overview = selectors.security_overview(customer=customer)
    return render(request, "enrollment/security_center.html", {
        "overview": overview,
        "loss_form": loss_form or OnlineLossReportForm(),
        "limits_form": limits_form or OwnLimitsForm(initial={
            "per_transfer": overview.per_transfer, "per_day": overview.per_day}),
    }, status=status)


@security_page
def security_center(request, customer):
    return _security_render(request, customer)


@require_POST
@security_page
def loss_report_view(request, customer):
    form = OnlineLossReportForm(request.POST)
    if form.is_valid():
        try:
            medium_report_lost(customer=customer, medium=form.cleaned_data["medium"],
                               channel="web")
        except PostbankError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your loss report was received: the medium is "
                                        "stopped. Ask for a new one at a post office "
                                        "counter."))
            return redirect("enrollment:security")
    return _security_render(request, customer, loss_form=form, status=400)


@require_POST
@security_page
def limits_view(request, customer):
    form = OwnLimitsForm(request.POST)
    if form.is_valid():
        try:
            customer_limits_lower(customer=customer, channel="web", **form.cleaned_data)
        except PostbankError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your transfer limits were changed."))
            return redirect("enrollment:security")
    return _security_render(request, customer, limits_form=form, status=400)
