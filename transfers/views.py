"""Transfer pages: enter → recipient inquiry and confirm → result; search, detail, print."""

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.selectors import accounts_for_customer
from enrollment.selectors import customer_of_request
from postbank import policy
from postbank.audit import client_ip
from postbank.errors import NotFound, PostbankError
from transfers.api import device_token_of
from transfers.forms import ConfirmForm, SearchForm, TransferForm
from transfers.models import Transfer
from transfers.selectors import transfer_get_for_customer, transfer_search_clean, transfers_search
from transfers.services import (
    daily_usage_today,
    extra_verification_sms_send,
    extra_verification_state,
    limits_for,
    signature_decode,
    transfer_execute,
    transfer_is_expired,
    transfer_order_bytes,
    transfer_prepare,
)


def _transfer(request, public_id) -> Transfer:
    """The customer's own transfer; anything else is the same 404 page as a missing one."""
    try:
        return transfer_get_for_customer(customer=customer_of_request(request), public_id=public_id)
    except NotFound:
        raise Http404 from None


def _challenge(customer):
    # enrollment.security is enrollment's contract (card challenge or OTP).
    from enrollment.security import security_challenge_issue

    return security_challenge_issue(customer=customer)


@login_required
@never_cache
def transfer_new(request):
    customer = customer_of_request(request)
    accounts = list(accounts_for_customer(customer=customer))
    form = TransferForm(
        request.POST or None,
        accounts=accounts,
        initial={"account_number": request.GET.get("to", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = transfer_prepare(
                customer=customer,
                from_number=data["from_account"],
                bank_code=data["bank_code"],
                account_number=data["account_number"],
                amount=data["amount"],
                sender_memo=data["sender_memo"],
                recipient_memo=data["recipient_memo"],
                idempotency_key=data["form_token"],
                channel="web",
            )
        except PostbankError as exc:
            field = exc.extra.get("field")
            form.add_error(field if field in form.fields else None, str(exc.message))
        else:
            return redirect("transfers:confirm", public_id=transfer.public_id)
    per_transfer, per_day = limits_for(customer)
    used = daily_usage_today(customer=customer)
    return render(
        request,
        "transfers/new.html",
        {
            "form": form,
            "accounts": accounts,
            "per_transfer": per_transfer,
            "per_day": per_day,
            "left_today": max(per_day - used, 0),
        },
    )


@sensitive_post_parameters(
    "account_password", "security_answer", "cert_password", "signature", "sms_code"
)
@login_required
@never_cache
def transfer_confirm(request, public_id):
    customer = customer_of_request(request)
    transfer = _transfer(request, public_id)
    if transfer.status != Transfer.Status.PREPARED:
        return redirect("transfers:detail", public_id=transfer.public_id)
    form = ConfirmForm(request.POST or None)
    error = error_code = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer_execute(
                customer=customer,
                transfer_id=transfer.public_id,
                account_password=data["account_password"],
                challenge_id=data["challenge_id"] or None,
                security_answer=data["security_answer"],
                signature=signature_decode(data["signature"]),
                channel="web",
                ip=client_ip(request),
                device_token=device_token_of(request),
                sms_code=data["sms_code"],
            )
        except PostbankError as exc:
            transfer.refresh_from_db()
            if transfer.status != Transfer.Status.PREPARED:
                return redirect("transfers:detail", public_id=transfer.public_id)
            error = str(exc.message)
            error_code = exc.code
        else:
            return redirect("transfers:detail", public_id=transfer.public_id)
    if transfer_is_expired(transfer=transfer):
        return redirect("transfers:new")
    try:
        challenge = _challenge(customer)
    except PostbankError as exc:
        challenge, error, error_code = None, str(exc.message), exc.code
    form = ConfirmForm(initial={"challenge_id": getattr(challenge, "id", "") or ""})
    order = transfer_order_bytes(transfer=transfer)
    return render(
        request,
        "transfers/confirm.html",
        {
            "transfer": transfer,
            "form": form,
            "challenge": challenge,
            "error": error,
            "error_code": error_code,
            "order": base64.b64encode(order).decode(),
            "order_text": order.decode(),
            "extra_verification": extra_verification_state(
                customer=customer, transfer=transfer, device_token=device_token_of(request)
            ),
        },
    )


@require_POST
@login_required
def transfer_sms_code(request, public_id):
    """Sends the SMS code a confirmation above the daily threshold needs; back to confirm."""
    customer = customer_of_request(request)
    transfer = _transfer(request, public_id)
    try:
        extra_verification_sms_send(customer=customer, transfer=transfer)
    except PostbankError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("A verification code was sent to your registered phone."))
    return redirect("transfers:confirm", public_id=transfer.public_id)


@login_required
def transfer_detail(request, public_id):
    transfer = _transfer(request, public_id)
    return render(request, "transfers/detail.html", {"transfer": transfer})


@login_required
def transfer_receipt(request, public_id):
    transfer = _transfer(request, public_id)
    if transfer.status not in (
        Transfer.Status.COMPLETED,
        Transfer.Status.SETTLING,
        Transfer.Status.FAILED,
    ):
        raise Http404
    return render(request, "transfers/receipt.html", {"transfer": transfer})


@login_required
def transfer_results(request):
    customer = customer_of_request(request)
    form = SearchForm(request.GET or None)
    page = None
    error = ""
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if form.is_bound else {}
        try:
            search = transfer_search_clean(
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
                status=data.get("status", ""),
                recipient=data.get("recipient", ""),
            )
        except PostbankError as exc:
            error = str(exc.message)
        else:
            paginator = Paginator(
                transfers_search(customer=customer, search=search), policy.TRANSFER_PAGE_SIZE
            )
            page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "transfers/results.html",
        {"form": form, "page": page, "error": error, "query": query.urlencode()},
    )
