"""Pages of the certificate center: thin doors onto certcenter.services. Keys are made and
kept by the browser (static/js/certcenter/); these views only ever see CSRs, certificates
and password-encrypted keys."""

import base64
import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from certcenter import devices, services
from certcenter.forms import DeviceForm, DiscardForm, IssueForm, RenewForm
from certcenter.models import Certificate
from certcenter.selectors import (
    certificates_for_customer,
    devices_for_customer,
    foreign_certificates_for_customer,
    live_certificates_for_customer,
)
from enrollment.models import Customer
from postbank import policy
from postbank.errors import NotFound, PostbankError


def customer_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{_login_url()}?next={request.path}")
        if not request.user.is_customer:
            raise Http404
        return view(request, request.user.customer, *args, **kwargs)

    return wrapper


def _login_url() -> str:
    from django.urls import reverse

    return reverse("enrollment:login")


def _accounts(customer):
    from accounts.selectors import accounts_for_customer

    return list(accounts_for_customer(customer=customer))


def security_challenge_for(customer):
    """The security medium's challenge to show (enrollment's contract); None while the
    customer has no medium registered."""
    from enrollment.security import security_challenge_issue

    try:
        return security_challenge_issue(customer=customer)
    except PostbankError:
        return None


def _device_token(request) -> str | None:
    return request.COOKIES.get(devices.DEVICE_COOKIE)


def info(request):
    fees = [(label, policy.CERT_FEES_WON[value]) for value, label in Certificate.Type.choices]
    return render(request, "certcenter/info.html", {"fees": fees})


@customer_required
def certificate_list(request, customer):
    return render(
        request,
        "certcenter/list.html",
        {
            "certificates": certificates_for_customer(customer=customer)[:50],
            "foreign": foreign_certificates_for_customer(customer=customer),
        },
    )


@customer_required
def certificate_detail(request, customer, serial: str):
    try:
        certificate = services.certificate_get(customer=customer, serial=serial)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "certcenter/detail.html",
        {
            "certificate": certificate,
            "der_b64": base64.b64encode(bytes(certificate.der)).decode(),
            "renewal_window": services.renewal_window(certificate),
        },
    )


@sensitive_post_parameters("rrn", "account_password", "security_answer", "sms_code")
@never_cache
@customer_required
def issue(request, customer):
    accounts = _accounts(customer)
    live = list(live_certificates_for_customer(customer=customer))
    form = IssueForm(
        request.POST or None,
        accounts=accounts,
        live=live,
        business=customer.customer_type == Customer.Type.SOLE_PROPRIETOR,
        initial={
            "idempotency_key": uuid.uuid4().hex,
            "medium": request.GET.get("medium", "pc"),
            "user_id": "",
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proof = services.IdentityProof(
            user_id=data["user_id"],
            rrn_or_business_number=data["rrn"],
            account_number=data["account"],
            account_password=data["account_password"],
            security_challenge_id=data["security_challenge_id"] or None,
            security_answer=data["security_answer"],
        )
        try:
            if data["replaces"]:
                devices.extra_verification(
                    customer=customer,
                    device_token=_device_token(request),
                    sms_code=data["sms_code"],
                    purpose="reissue",
                )
                certificate = services.certificate_reissue(
                    customer=customer,
                    serial=data["replaces"],
                    csr=data["csr"],
                    proof=proof,
                    idempotency_key=data["idempotency_key"],
                )
            else:
                certificate = services.certificate_issue(
                    customer=customer,
                    csr=data["csr"],
                    cert_type=data["cert_type"],
                    proof=proof,
                    idempotency_key=data["idempotency_key"],
                    medium=data["medium"],
                )
        except PostbankError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your certificate has been issued."))
            return redirect("certcenter:detail", serial=certificate.serial)
    return render(
        request,
        "certcenter/issue.html",
        {
            "form": form,
            "challenge": security_challenge_for(customer) if accounts else None,
            "has_accounts": bool(accounts),
            "customer_name": customer.name,
            "designated": devices.device_is_designated(
                customer=customer, token=_device_token(request)
            ),
        },
    )


@sensitive_post_parameters("account_password")
@never_cache
@customer_required
def renew(request, customer):
    accounts = _accounts(customer)
    now = timezone.now()
    rows = []
    for certificate in live_certificates_for_customer(customer=customer):
        opens, closes = services.renewal_window(certificate)
        rows.append(
            {
                "certificate": certificate,
                "opens": opens,
                "closes": closes,
                "open": certificate.status == "valid" and opens <= now <= closes,
                "fee": policy.CERT_FEES_WON[certificate.cert_type],
            }
        )
    form = RenewForm(
        request.POST or None, accounts=accounts, initial={"idempotency_key": uuid.uuid4().hex}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            certificate = services.certificate_renew(
                customer=customer,
                serial=data["serial"],
                csr=data["csr"],
                account_number=data["account"],
                account_password=data["account_password"],
                idempotency_key=data["idempotency_key"],
            )
        except PostbankError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your certificate has been renewed."))
            return redirect("certcenter:detail", serial=certificate.serial)
    return render(
        request,
        "certcenter/renew.html",
        {"rows": rows, "form": form, "customer_name": customer.name},
    )


@never_cache
@customer_required
def discard(request, customer):
    form = DiscardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "discard":
                if not data["confirm"]:
                    raise PostbankError(
                        _("Confirm that you want to discard the certificate."),
                        code="confirmation_required",
                    )
                services.certificate_revoke(
                    customer=customer, serial=data["serial"], reason=data["reason"]
                )
                messages.success(request, _("The certificate has been discarded."))
            elif data["action"] == "hold":
                services.certificate_hold(customer=customer, serial=data["serial"])
                messages.success(request, _("The certificate has been suspended."))
            else:
                services.certificate_restore(customer=customer, serial=data["serial"])
                messages.success(request, _("The certificate has been restored."))
        except PostbankError as exc:
            messages.error(request, exc.message)
        return redirect("certcenter:discard")
    rows = [
        {"certificate": c, "hold_deadline": services.hold_deadline(c) if c.held_at else None}
        for c in live_certificates_for_customer(customer=customer)
    ]
    return render(request, "certcenter/discard.html", {"rows": rows, "form": form})


@require_POST
@customer_required
def report_lost(request, customer):
    """A lost (or possibly copied) certificate, reported online: enrollment's loss report
    (audit, SMS) revokes every live certificate for key compromise at once."""
    from enrollment.security import medium_report_lost

    if request.POST.get("confirm") != "on":
        messages.error(request, _("Confirm that you want to report your certificate lost."))
        return redirect("certcenter:discard")
    try:
        medium_report_lost(customer=customer, medium="certificate", channel="web")
    except PostbankError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Your loss report was received: your certificates are revoked. Apply for a "
                "new certificate when you need one."
            ),
        )
    return redirect("certcenter:discard")


@customer_required
def password(request, customer):
    return render(request, "certcenter/password.html", {})


@never_cache
@customer_required
def copy_import(request, customer):
    return render(
        request,
        "certcenter/copy_import.html",
        {"ttl_minutes": int(policy.CERT_COPY_TTL.total_seconds() // 60)},
    )


@never_cache
@customer_required
def copy_export(request, customer):
    return render(
        request,
        "certcenter/copy_export.html",
        {"ttl_minutes": int(policy.CERT_COPY_TTL.total_seconds() // 60)},
    )


@never_cache
@customer_required
def foreign(request, customer):
    return render(
        request,
        "certcenter/foreign.html",
        {
            "foreign": foreign_certificates_for_customer(customer=customer),
            "designated": devices.device_is_designated(
                customer=customer, token=_device_token(request)
            ),
        },
    )


@sensitive_post_parameters("sms_code")
@never_cache
@customer_required
def device_list(request, customer):
    form = DeviceForm(request.POST or None)
    token = _device_token(request)
    if request.method == "POST" and form.is_valid():
        new_token = token or devices.device_token_new()
        try:
            devices.device_designate(
                customer=customer,
                token=new_token,
                label=form.cleaned_data["label"],
                sms_code=form.cleaned_data["sms_code"],
            )
        except PostbankError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("This device is now designated."))
            response = redirect("certcenter:devices")
            response.set_cookie(
                devices.DEVICE_COOKIE,
                new_token,
                max_age=devices.DEVICE_COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
            return response
    return render(
        request,
        "certcenter/devices.html",
        {
            "form": form,
            "devices": devices_for_customer(customer=customer),
            "designated": devices.device_is_designated(customer=customer, token=token),
            "max_devices": policy.MAX_DESIGNATED_DEVICES,
        },
    )


@require_POST
@customer_required
def device_remove(request, customer, device_id: int):
    try:
        devices.device_remove(customer=customer, device_id=device_id)
    except PostbankError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The device has been removed."))
    return redirect("certcenter:devices")


@require_POST
@customer_required
def sms_code(request, customer):
    purpose = request.POST.get("purpose", "")
    if purpose not in {"device", "reissue", "foreign"}:
        raise Http404
    try:
        devices.sms_code_send(customer=customer, purpose=purpose)
    except PostbankError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A verification code was sent to your registered phone."))
    target = {
        "device": "certcenter:devices",
        "reissue": "certcenter:issue",
        "foreign": "certcenter:foreign",
    }[purpose]
    return redirect(target)


@never_cache
@customer_required
def sign_check(request, customer):
    """Check my certificate: the browser signs a fresh sample with the stored certificate
    (static/js/certcenter/sign.js, as for a transfer order) and the bank verifies it."""
    result, error = None, None
    if request.method == "POST":
        try:
            signature = base64.b64decode(request.POST.get("signature", ""), validate=True)
            result = services.certificate_sign_check(
                customer=customer, nonce=request.POST.get("nonce", ""), signature=signature
            )
        except PostbankError as exc:
            error = exc.message
        except ValueError:
            error = services.InvalidSignature.title
    challenge = services.login_challenge_issue(
        purpose=services.SIGN_CHECK_PURPOSE, customer=customer
    )
    sample = services.sign_check_bytes(challenge.nonce)
    usable = live_certificates_for_customer(customer=customer).filter(
        status=Certificate.Status.VALID
    )
    return render(
        request,
        "certcenter/sign_check.html",
        {
            "nonce": challenge.nonce,
            "sample": sample.decode(),
            "sample_b64": base64.b64encode(sample).decode(),
            "serials": " ".join(c.serial for c in usable),
            "result": result,
            "error": error,
        },
    )


@never_cache
def certificate_login(request):
    """Certificate login: the page signs a fresh nonce in the browser; the server checks it."""
    error, dormant = None, False
    if request.method == "POST":
        try:
            signature = base64.b64decode(request.POST.get("signature", ""), validate=True)
            certificate = services.certificate_login(
                nonce=request.POST.get("nonce", ""),
                certificate=request.POST.get("certificate", ""),
                signature=signature,
            )
        except PostbankError as exc:
            error = exc.message
            dormant = exc.extra.get("reason") == "dormant"
        except ValueError:
            error = services.InvalidSignature.title
        else:
            login(
                request,
                certificate.customer.user,
                backend="django.contrib.auth.backends.ModelBackend",
            )
            return redirect("home")
    challenge = services.login_challenge_issue()
    return render(
        request,
        "certcenter/login.html",
        {
            "nonce": challenge.nonce,
            "signed_prefix": services.LOGIN_SIGNING_PREFIX.decode(),
            "error": error,
            "dormant": dormant,
        },
    )


def _dormancy_start_page(request, *, error=None, status=200):
    challenge = services.dormancy_lift_challenge_issue()
    return render(
        request,
        "certcenter/dormancy.html",
        {
            "nonce": challenge.nonce,
            "signed_prefix": services.LOGIN_SIGNING_PREFIX.decode(),
            "error": error,
        },
        status=status,
    )


@never_cache
def dormancy_lift(request):
    """Lifting a dormancy suspension in the security center (no login: a dormant customer
    cannot log in). Step 1: the browser signs a fresh nonce with the stored certificate
    (static/js/certcenter/login.js, as for a certificate login); then the security medium."""
    if request.method != "POST":
        return _dormancy_start_page(request)
    try:
        signature = base64.b64decode(request.POST.get("signature", ""), validate=True)
        start = services.dormancy_lift_start(
            nonce=request.POST.get("nonce", ""),
            certificate=request.POST.get("certificate", ""),
            signature=signature,
        )
    except PostbankError as exc:
        return _dormancy_start_page(request, error=exc.message, status=exc.status)
    except ValueError:
        return _dormancy_start_page(request, error=services.InvalidSignature.title, status=409)
    return render(
        request,
        "certcenter/dormancy_medium.html",
        {"ticket": start.ticket, "challenge": start.challenge, "certificate": start.certificate},
    )


@sensitive_post_parameters("security_answer")
@never_cache
@require_POST
def dormancy_lift_medium(request):
    """Step 2: the security medium's answer; on success the suspension is lifted and the
    customer logs in as usual. Any refusal starts again from the certificate."""
    try:
        services.dormancy_lift_with_certificate(
            ticket=request.POST.get("ticket", ""),
            challenge_id=request.POST.get("security_challenge_id") or None,
            answer=request.POST.get("security_answer", ""),
        )
    except PostbankError as exc:
        return _dormancy_start_page(request, error=exc.message, status=exc.status)
    messages.success(
        request,
        _(
            "The suspension for 12 months without use was lifted. Log in with your user ID "
            "or your certificate."
        ),
    )
    return redirect("enrollment:login")
