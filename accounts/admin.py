"""Counter screens for tellers (accounts, cash, freeze, history) and operators
(reconciliation). Money moves only through services; nothing here edits a balance."""

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from accounts.forms import AccountOpenForm, CashForm, StatusForm
from accounts.models import Account, CashTransaction, JournalEntry, ReconciliationReport
from accounts.reconciliation import reconciliation_run
from accounts.selectors import account_history, history_query_parse
from accounts.services import (
    account_close,
    account_freeze,
    account_open,
    account_unfreeze,
    cash_deposit,
    cash_withdrawal,
)
from accounts.views import PERIOD_CHOICES
from postbank.errors import PostbankError
from postbank.money import parse_won


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["formatted_number", "owner", "subject", "status", "balance", "hold",
                    "available", "opened_at"]
    list_filter = ["status", "subject"]
    search_fields = ["number", "owner__name", "owner__user__username"]
    list_select_related = ["owner"]
    change_form_template = "admin/accounts/account/change_form.html"
    show_full_result_count = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AccountOpenForm
            kwargs["fields"] = ["owner", "subject", "password", "password_again", "request_key"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["owner", "subject", "password", "password_again",
                                       "request_key"]})]
        return [(None, {"fields": ["number", "owner", "subject", "status", "balance", "hold",
                                   "available", "opened_at", "closed_at"]})]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["number", "owner", "subject", "status", "balance", "hold", "available",
                "opened_at", "closed_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        account = account_open(customer=form.cleaned_data["owner"],
                               subject=form.cleaned_data["subject"],
                               password=form.cleaned_data["password"], actor=request.user,
                               opening_key=form.cleaned_data["request_key"])
        for field in ("id", "number", "password_hash", "opened_at", "status"):
            setattr(obj, field, getattr(account, field))
        obj.replayed = account.replayed

    def log_addition(self, request, obj, message):
        if not obj.replayed:  # a repeated submit added nothing
            super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.replayed:
            messages.info(request, _("Account %(number)s was already opened by this form; "
                                     "nothing more was opened.")
                          % {"number": obj.formatted_number})
        else:
            messages.success(request, _("Account %(number)s was opened.")
                             % {"number": obj.formatted_number})
        return redirect("admin:accounts_account_change", obj.pk)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/cash/", view(self.cash_view), name="accounts_account_cash"),
            path("<int:pk>/status/", view(self.status_view), name="accounts_account_status"),
            path("<int:pk>/history/", view(self.history_view),
                 name="accounts_account_history"),
            path("receipt/<int:pk>/", view(self.receipt_view),
                 name="accounts_cashtransaction_receipt"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = request.user
        extra_context = {**(extra_context or {}),
                         "can_cash": user.has_perm("accounts.handle_cash"),
                         "can_freeze": user.has_perm("accounts.freeze_account"),
                         "can_close": user.has_perm("accounts.close_account"),
                         "status_form": StatusForm()}
        return super().change_view(request, object_id, form_url, extra_context)

    def _context(self, request, account, title):
        return {**self.admin_site.each_context(request), "opts": self.model._meta,
                "original": account, "account": account, "title": title}

    def cash_view(self, request, pk):
        if not request.user.has_perm("accounts.handle_cash"):
            raise PermissionDenied
        account = get_object_or_404(Account, pk=pk)
        form = CashForm(request.POST or None,
                        initial={"idempotency_key": uuid.uuid4().hex, "direction": "deposit"})
        confirm, problem = False, None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                amount = parse_won(data["amount"])
                if "confirm" not in request.POST:
                    confirm = True
                else:
                    move = cash_deposit if data["direction"] == "deposit" else cash_withdrawal
                    record = move(account=account, amount=amount,
                                  id_document=data["id_document"], teller=request.user,
                                  idempotency_key=data["idempotency_key"], memo=data["memo"])
                    return redirect("admin:accounts_cashtransaction_receipt", record.pk)
            except PostbankError as exc:
                problem = exc
        context = {**self._context(request, account, _("Counter cash")), "form": form,
                   "confirm": confirm, "problem": problem}
        if confirm:
            data = form.cleaned_data
            context.update({
                "amount_won": amount,
                "direction_label": CashTransaction.Direction(data["direction"]).label,
                "id_document_label": CashTransaction.IdDocument(data["id_document"]).label})
        return TemplateResponse(request, "admin/accounts/account/cash.html", context,
                                status=400 if problem else 200)

    def receipt_view(self, request, pk):
        if not request.user.has_perm("accounts.handle_cash"):
            raise PermissionDenied
        record = get_object_or_404(CashTransaction.objects.select_related("account", "teller"),
                                   pk=pk)
        context = {**self._context(request, record.account, _("Receipt")), "record": record}
        return TemplateResponse(request, "admin/accounts/account/receipt.html", context)

    def status_view(self, request, pk):
        return _status_change(self, request, pk)

    def history_view(self, request, pk):
        if not request.user.has_perm("accounts.view_account"):
            raise PermissionDenied
        account = get_object_or_404(Account, pk=pk)
        problem, page, query = None, None, None
        try:
            query = history_query_parse(period=request.GET.get("period"),
                                        date_from=request.GET.get("from"),
                                        date_to=request.GET.get("to"),
                                        direction=request.GET.get("direction"))
            page = account_history(account=account, query=query,
                                   cursor=request.GET.get("cursor"))
        except PostbankError as exc:
            problem = exc
        params = {}
        if query is not None:
            params = {"period": query.period, "direction": query.direction,
                      "from": query.date_from.isoformat(), "to": query.date_to.isoformat()}
        context = {**self._context(request, account, _("Transaction history")),
                   "page": page, "query": query, "problem": problem, "params": params,
                   "periods": [choice for choice in PERIOD_CHOICES if choice[0] != "custom"]}
        return TemplateResponse(request, "admin/accounts/account/history.html", context,
                                status=400 if problem else 200)


def _status_change(model_admin, request, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = StatusForm(request.POST)
    account = get_object_or_404(Account, pk=pk)
    back = reverse("admin:accounts_account_change", args=[account.pk])
    if not form.is_valid():
        messages.error(request, _("Give a reason for the status change."))
        return redirect(back)
    action = form.cleaned_data["action"]
    needed = "accounts.close_account" if action == "close" else "accounts.freeze_account"
    if not request.user.has_perm(needed):
        raise PermissionDenied
    service = {"freeze": account_freeze, "unfreeze": account_unfreeze,
               "close": account_close}[action]
    try:
        service(account=account, actor=request.user, reason=form.cleaned_data["reason"])
    except PostbankError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The account status was changed."))
    return redirect(back)


@admin.register(CashTransaction)
class CashTransactionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "direction", "amount", "id_document", "teller"]
    list_filter = ["direction", "id_document"]
    search_fields = ["account__number", "idempotency_key"]
    list_select_related = ["account", "teller"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "kind", "memo", "reference", "actor"]
    list_filter = ["kind"]
    search_fields = ["reference", "=id"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(admin.ModelAdmin):
    list_display = ["started_at", "ok", "accounts_checked", "entries_checked",
                    "trial_balance", "trigger"]
    list_filter = ["ok", "trigger"]
    readonly_fields = ["started_at", "finished_at", "ok", "accounts_checked",
                       "entries_checked", "trial_balance", "differences", "text", "trigger"]
    change_list_template = "admin/accounts/reconciliationreport/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("run/", self.admin_site.admin_view(self.run_view),
                     name="accounts_reconciliationreport_run"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "last_report": ReconciliationReport.objects.first(),
                         "can_run": request.user.has_perm("accounts.run_reconciliation")}
        return super().changelist_view(request, extra_context)

    def run_view(self, request):
        if request.method != "POST" or not request.user.has_perm("accounts.run_reconciliation"):
            raise PermissionDenied
        report = reconciliation_run(trigger=f"counter:{request.user.username}")
        level = messages.SUCCESS if report.ok else messages.ERROR
        messages.add_message(request, level, _("Reconciliation finished: balanced.") if report.ok
                             else _("Reconciliation found differences."))
        return redirect("admin:accounts_reconciliationreport_changelist")
