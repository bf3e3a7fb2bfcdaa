"""Customer pages: account inquiry and transaction history (thin doors onto selectors)."""

import csv
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from accounts.charts import balance_chart_svg
from accounts.selectors import (
    KST,
    account_balance_series,
    account_history,
    account_history_all,
    account_pick,
    accounts_for_customer,
    history_query_parse,
)
from enrollment.services import customer_ensure_active
from postbank.errors import InvalidInput, NotFound, PostbankError

PERIOD_CHOICES = [("today", gettext_lazy("Today")), ("1w", gettext_lazy("1 week")),
                  ("1m", gettext_lazy("1 month")), ("3m", gettext_lazy("3 months")),
                  ("custom", gettext_lazy("Custom range"))]


def customer_page(view):
    """Logged-in customers only; a suspended customer sees why; owner-scoped lookups that
    miss answer 404, bad input 400 with the problem's message."""

    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        customer = getattr(request.user, "customer", None)
        if customer is None:
            raise Http404
        try:
            customer_ensure_active(customer=customer)
            return view(request, customer, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc
        except PostbankError as exc:
            return render(request, "accounts/problem.html",
                          {"problem": exc, "back": request.path}, status=exc.status)

    return wrapper


@customer_page
def account_list(request, customer):
    accounts = list(accounts_for_customer(customer=customer))
    return render(request, "accounts/account_list.html", {
        "accounts": accounts,
        "total": sum(a.balance for a in accounts),
        "now": timezone.now(),
    })


def _selection(request, customer):
    accounts = list(accounts_for_customer(customer=customer, include_closed=True))
    number = request.GET.get("account", "").strip()
    if number:
        account = account_pick(accounts=accounts, number=number)
    elif accounts:
        account = accounts[0]
    else:
        raise NotFound()
    query = history_query_parse(period=request.GET.get("period"),
                                date_from=request.GET.get("from"),
                                date_to=request.GET.get("to"),
                                direction=request.GET.get("direction"))
    return accounts, account, query


def _filter_params(account, query) -> dict:
    params = {"account": account.number, "period": query.period,
              "direction": query.direction}
    if query.period == "custom":
        params.update({"from": query.date_from.isoformat(), "to": query.date_to.isoformat()})
    return params


@customer_page
def history(request, customer):
    try:
        accounts, account, query = _selection(request, customer)
    except InvalidInput as exc:
        return render(request, "accounts/history.html", {
            "accounts": accounts_for_customer(customer=customer, include_closed=True),
            "problem": exc, "periods": PERIOD_CHOICES, "form": request.GET}, status=400)
    cursor = request.GET.get("cursor")
    page = account_history(account=account, query=query, cursor=cursor)
    params = _filter_params(account, query)
    # The chart shows the whole period: drawn above the first page only.
    chart = None if cursor else balance_chart_svg(
        account_balance_series(account=account, query=query))
    return render(request, "accounts/history.html", {
        "accounts": accounts, "account": account, "query": query, "page": page,
        "params": params, "periods": PERIOD_CHOICES, "first_page": not cursor,
        "chart": chart,
        "form": {"account": account.number, "period": query.period,
                 "from": query.date_from.isoformat(), "to": query.date_to.isoformat(),
                 "direction": query.direction},
    })


class _Echo:
    def write(self, value):
        return value


def _csv_rows(account, query):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # the byte order mark that makes Excel read UTF-8
    yield writer.writerow([_("Date and time"), _("Description"), _("Memo"), _("Withdrawal"),
                           _("Deposit"), _("Balance")])
    for row in account_history_all(account=account, query=query):
        yield writer.writerow([
            timezone.localtime(row.created_at, KST).strftime("%Y-%m-%d %H:%M:%S"),
            _csv_safe(row.counterparty), _csv_safe(row.memo),
            -row.amount if row.amount < 0 else "", row.amount if row.amount > 0 else "",
            row.balance_after])


def _csv_safe(text: str) -> str:
    """Counterparty names come from other people: never let Excel read them as formulas."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@customer_page
def history_csv(request, customer):
    _accounts, account, query = _selection(request, customer)
    response = StreamingHttpResponse(_csv_rows(account, query),
                                     content_type="text/csv; charset=utf-8")
    name = f"postbank-{account.number}-{query.date_from:%Y%m%d}-{query.date_to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@customer_page
def history_statement(request, customer):
    _accounts, account, query = _selection(request, customer)
    rows = list(account_history_all(account=account, query=query))
    return render(request, "accounts/statement.html", {
        "account": account, "query": query, "rows": rows, "printed_at": timezone.now(),
        "deposits": sum(r.amount for r in rows if r.amount > 0),
        "withdrawals": -sum(r.amount for r in rows if r.amount < 0),
        "chart": balance_chart_svg(account_balance_series(account=account, query=query)),
        "customer": customer,
    })
