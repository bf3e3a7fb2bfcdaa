"""F/X pages: exchange rate inquiry; SWIFT and Eurogiro remittance (enter → quote and
confirm → result); searches, detail, outbound message and printable receipt."""

import base64

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.selectors import accounts_for_customer
from enrollment.selectors import customer_of_request
from fx.charts import rate_history_svg
from fx.forms import ConfirmForm, ConverterForm, EurogiroForm, NoticeForm, SearchForm, SwiftForm
from fx.models import Currency, EurogiroPartner, Remittance
from fx.selectors import (
    notice_get,
    notice_rates,
    notices_on,
    rate_history,
    remittance_get_for_customer,
    remittance_search_clean,
    remittances_search,
)
from fx.services import (
    annual_used,
    convert,
    currency_code_clean,
    iban_countries,
    notice_latest,
    remittance_confirm,
    remittance_is_expired,
    remittance_order_bytes,
    remittance_quote,
)
from postbank import policy
from postbank.audit import client_ip
from postbank.errors import NotFound, PostbankError
from transfers.services import signature_decode

SEARCH_PAGE_SIZE = 20


def _remittance(request, public_id) -> Remittance:
    try:
        return remittance_get_for_customer(customer=customer_of_request(request),
                                           public_id=public_id)
    except NotFound as exc:
        raise Http404 from exc


def rates(request):
    """The latest notice, or the one of a date and round; the converter; one chart."""
    notice_form = NoticeForm(request.GET or None)
    notice, error = None, ""
    if notice_form.is_valid() and notice_form.cleaned_data.get("date"):
        data = notice_form.cleaned_data
        try:
            notice = notice_get(notice_date=data["date"], round=data.get("round") or 1)
        except PostbankError as exc:
            error = str(exc.message)
    else:
        notice = notice_latest()
    rows = notice_rates(notice=notice) if notice else []
    currencies = [row.currency for row in rows]
    converter = ConverterForm(request.GET if "amount" in request.GET else None,
                              currencies=currencies)
    conversion, conversion_error = None, ""
    if notice and converter.is_bound and converter.is_valid():
        data = converter.cleaned_data
        try:
            conversion = convert(notice=notice, currency=data["currency"],
                                 amount=data["amount"], direction=data["direction"],
                                 rate_kind=data["rate_kind"])
        except PostbankError as exc:
            conversion_error = str(exc.message)
    try:
        chart_code = currency_code_clean(request.GET.get("chart") or "USD")
    except PostbankError:
        chart_code = "USD"
    chart_currency = Currency.objects.filter(code=chart_code).first() \
        or Currency.objects.filter(code="USD").first()
    chart = None
    if chart_currency is not None:
        series = [(at, rate.base) for at, rate in rate_history(
            currency=chart_currency, days=30, until=notice.noticed_at if notice else None)]
        chart = rate_history_svg(code=chart_currency.code, series=series)
    return render(request, "fx/rates.html", {
        "notice": notice, "rows": rows, "error": error, "notice_form": notice_form,
        "rounds": notices_on(notice_date=notice.notice_date) if notice else [],
        "converter": converter, "conversion": conversion, "conversion_error": conversion_error,
        "chart": chart, "chart_currency": chart_currency, "currencies": currencies,
    })


def _new(request, *, kind: str):
    customer = customer_of_request(request)
    accounts = list(accounts_for_customer(customer=customer))
    currencies = list(Currency.objects.filter(active=True))
    partners = list(EurogiroPartner.objects.filter(active=True).select_related("currency"))
    if kind == Remittance.Kind.SWIFT:
        form = SwiftForm(request.POST or None, accounts=accounts, currencies=currencies)
    else:
        form = EurogiroForm(request.POST or None, accounts=accounts, currencies=currencies,
                            partners=partners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            remittance = remittance_quote(
                customer=customer, kind=kind, from_number=data["from_account"],
                currency=data["currency"], amount=data["amount"],
                sender_name=data["sender_name"], beneficiary_name=data["beneficiary_name"],
                beneficiary_address=data["beneficiary_address"], country=data["country"],
                account=data.get("account", ""), bic=data.get("bic", ""),
                purpose=data["purpose"], charges=data.get("charges") or "SHA",
                payout=data.get("payout") or Remittance.Payout.ACCOUNT,
                idempotency_key=data["form_token"], channel="web")
        except PostbankError as exc:
            field = exc.extra.get("field")
            form.add_error(field if field in form.fields else None, str(exc.message))
        else:
            if remittance.status != Remittance.Status.QUOTED:
                return redirect("fx:detail", public_id=remittance.public_id)
            return redirect("fx:confirm", public_id=remittance.public_id)
    used = annual_used(customer=customer)
    return render(request, f"fx/{kind}_new.html", {
        "iban_countries": " ".join(iban_countries()),
        "form": form, "accounts": accounts, "partners": partners, "kind": kind,
        "annual_left_usd": max(policy.SWIFT_ANNUAL_LIMIT_USD_CENTS - used, 0) / 100,
        "annual_limit_usd": policy.SWIFT_ANNUAL_LIMIT_USD_CENTS / 100,
        "eurogiro_cap_usd": policy.EUROGIRO_MAX_USD_CENTS / 100,
    })


@login_required
@never_cache
def swift_new(request):
    return _new(request, kind=Remittance.Kind.SWIFT)


@login_required
@never_cache
def eurogiro_new(request):
    return _new(request, kind=Remittance.Kind.EUROGIRO)


def _challenge(customer):
    # enrollment.security is enrollment's contract (card challenge or OTP).
    from enrollment.security import security_challenge_issue

    return security_challenge_issue(customer=customer)


def _has_usable_certificate(customer) -> bool:
    """Whether the customer holds a joint certificate of this bank that can sign now (valid,
    not expired, not suspended); without one the page says where to get it."""
    # certcenter.selectors / services are the certificate center's contract.
    from certcenter.errors import CertificateNotUsable
    from certcenter.selectors import live_certificates_for_customer
    from certcenter.services import certificate_usable

    for certificate in live_certificates_for_customer(customer=customer):
        try:
            certificate_usable(certificate)
        except CertificateNotUsable:
            continue
        return True
    return False


@sensitive_post_parameters("account_password", "security_answer", "cert_password", "signature")
@login_required
@never_cache
def confirm(request, public_id):
    customer = customer_of_request(request)
    remittance = _remittance(request, public_id)
    if remittance.status != Remittance.Status.QUOTED:
        return redirect("fx:detail", public_id=remittance.public_id)
    form = ConfirmForm(request.POST or None)
    error, error_code = "", ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            remittance_confirm(
                customer=customer, remittance=remittance,
                account_password=data["account_password"],
                challenge_id=data["challenge_id"] or None,
                security_answer=data["security_answer"],
                signature=signature_decode(data["signature"]),
                channel="web", ip=client_ip(request))
        except PostbankError as exc:
            remittance.refresh_from_db()
            if remittance.status != Remittance.Status.QUOTED:
                return redirect("fx:detail", public_id=remittance.public_id)
            error, error_code = str(exc.message), exc.code
        else:
            return redirect("fx:detail", public_id=remittance.public_id)
    if remittance_is_expired(remittance=remittance):
        return redirect(f"fx:{remittance.kind}")
    try:
        challenge = _challenge(customer)
    except PostbankError as exc:
        challenge, error, error_code = None, str(exc.message), exc.code
    form = ConfirmForm(initial={"challenge_id": getattr(challenge, "id", "") or ""})
    order = remittance_order_bytes(remittance=remittance)
    return render(request, "fx/confirm.html", {
        "remittance": remittance, "form": form, "challenge": challenge, "error": error,
        "error_code": error_code, "has_certificate": _has_usable_certificate(customer),
        "order": base64.b64encode(order).decode(), "order_text": order.decode(),
    })


@login_required
def detail(request, public_id):
    remittance = _remittance(request, public_id)
    return render(request, "fx/detail.html", {
        "remittance": remittance, "events": remittance.events.all()})


@login_required
def receipt(request, public_id):
    remittance = _remittance(request, public_id)
    if not remittance.moved_money:
        raise Http404
    return render(request, "fx/receipt.html", {"remittance": remittance,
                                               "events": remittance.events.all()})


@login_required
def message(request, public_id):
    """The outbound message as sent to the network (after the remittance was sent)."""
    remittance = _remittance(request, public_id)
    if not remittance.message_enc:
        raise Http404
    content_type = ("application/xml" if remittance.kind == Remittance.Kind.SWIFT
                    else "text/plain")
    response = HttpResponse(remittance.message, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{remittance.message_filename}"'
    return response


def _results(request, *, kind: str):
    customer = customer_of_request(request)
    form = SearchForm(request.GET or None)
    page, error = None, ""
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if form.is_bound else {}
        try:
            search = remittance_search_clean(date_from=data.get("date_from"),
                                             date_to=data.get("date_to"),
                                             status=data.get("status", ""))
        except PostbankError as exc:
            error = str(exc.message)
        else:
            paginator = Paginator(remittances_search(customer=customer, kind=kind,
                                                     search=search), SEARCH_PAGE_SIZE)
            page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "fx/results.html", {
        "form": form, "page": page, "error": error, "query": query.urlencode(), "kind": kind})


@login_required
def swift_results(request):
    return _results(request, kind=Remittance.Kind.SWIFT)


@login_required
def eurogiro_results(request):
    return _results(request, kind=Remittance.Kind.EUROGIRO)
