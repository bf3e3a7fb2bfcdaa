"""Counter screens for operators: rate notices (entered or loaded from a CSV file),
currencies, Eurogiro partners, remittances and test returns. Money moves only through
fx.services; no remittance or rate is edited here."""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from fx.forms import RatesCsvForm, ReturnForm
from fx.models import Currency, EurogiroPartner, Rate, RateNotice, Remittance, RemittanceEvent
from fx.services import (
    RATE_FIELDS,
    rate_notice_publish,
    rate_row_clean,
    rates_parse_csv,
    remittance_return,
)
from postbank.errors import PostbankError

CSV_MAX_BYTES = 64 * 1024
_DATE_PART = re.compile(r"[0-9]{1,4}", re.ASCII)


def _list_query_is_hostile(query) -> bool:
    """A NUL in a filter (the database refuses it) or a date-hierarchy year, month or day
    that is not a small number (it overflows the date)."""
    for key, values in query.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return True
        if key.endswith(("__year", "__month", "__day")) \
                and not all(_DATE_PART.fullmatch(value) for value in values):
            return True
    return False


class CounterListAdmin(admin.ModelAdmin):
    """A change list whose filters from the address bar cannot fail: hostile ones lead back
    to the list without filters."""

    def changelist_view(self, request, extra_context=None):
        if _list_query_is_hostile(request.GET):
            return HttpResponseRedirect(request.path)
        return super().changelist_view(request, extra_context)


class RateInline(admin.TabularInline):
    model = Rate
    fields = ["currency", *RATE_FIELDS]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RateEntryForm(forms.Form):
    currency = forms.CharField(widget=forms.HiddenInput)
    base = forms.CharField(label=_("Base rate"), required=False, max_length=20)
    cash_buy = forms.CharField(label=_("Cash buy"), required=False, max_length=20)
    cash_sell = forms.CharField(label=_("Cash sell"), required=False, max_length=20)
    tt_send = forms.CharField(label=_("TT send"), required=False, max_length=20)
    tt_receive = forms.CharField(label=_("TT receive"), required=False, max_length=20)


RateEntryFormSet = forms.formset_factory(RateEntryForm, extra=0)


@admin.register(RateNotice)
class RateNoticeAdmin(CounterListAdmin):
    list_display = ["notice_date", "round", "noticed_at", "source", "created_by"]
    list_filter = ["source", "notice_date"]
    date_hierarchy = "noticed_at"
    inlines = [RateInline]
    readonly_fields = ["notice_date", "round", "noticed_at", "source", "created_by",
                       "created_at"]
    change_list_template = "admin/fx/ratenotice/change_list.html"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:fx_ratenotice_enter")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("enter/", view(self.enter_view), name="fx_ratenotice_enter"),
            path("csv/", view(self.csv_view), name="fx_ratenotice_csv"),
            *super().get_urls(),
        ]

    def _context(self, request, title):
        return {**self.admin_site.each_context(request), "opts": self.model._meta,
                "title": title}

    def _published(self, request, notice):
        messages.success(request, _("Published the notice of %(date)s, round %(round)s.")
                         % {"date": notice.notice_date, "round": notice.round})
        return redirect("admin:fx_ratenotice_change", notice.pk)

    def enter_view(self, request):
        """One row per offered currency; rows left empty are not in the notice."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        currencies = list(Currency.objects.filter(active=True))
        latest = RateNotice.objects.order_by("-noticed_at", "-round").first()
        previous = {r.currency_id: r for r in latest.rates.all()} if latest else {}
        initial = [{"currency": c.code, **({f: getattr(previous[c.code], f)
                                            for f in RATE_FIELDS} if c.code in previous
                                           else {})} for c in currencies]
        formset = RateEntryFormSet(request.POST or None, initial=initial, prefix="rates")
        problem = None
        if request.method == "POST" and formset.is_valid():
            try:
                rows = [rate_row_clean(data) for data in formset.cleaned_data
                        if any(data.get(f) for f in RATE_FIELDS)]
                notice = rate_notice_publish(rows=rows, source=RateNotice.Source.COUNTER,
                                             actor=request.user)
            except PostbankError as exc:
                problem = exc
            else:
                return self._published(request, notice)
        labels = {c.code: c for c in currencies}
        context = {**self._context(request, _("Enter a rate notice")), "formset": formset,
                   "rows": [(labels.get(f.initial.get("currency") or f["currency"].value()),
                             f) for f in formset], "problem": problem}
        return TemplateResponse(request, "admin/fx/ratenotice/enter.html", context)

    def csv_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RatesCsvForm(request.POST or None, request.FILES or None)
        problem = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > CSV_MAX_BYTES:
                    raise PostbankError(_("The file is too large."), code="invalid_rate_file")
                try:
                    text = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError as exc:
                    raise PostbankError(_("The file must be UTF-8 text."),
                                        code="invalid_rate_file") from exc
                notice = rate_notice_publish(rows=rates_parse_csv(text=text),
                                             source=RateNotice.Source.CSV, actor=request.user)
            except PostbankError as exc:
                problem = exc
            else:
                return self._published(request, notice)
        context = {**self._context(request, _("Load a rate notice from a CSV file")),
                   "form": form, "problem": problem}
        return TemplateResponse(request, "admin/fx/ratenotice/csv.html", context)


@admin.register(Currency)
class CurrencyAdmin(CounterListAdmin):
    list_display = ["code", "name", "minor_units", "unit", "active", "sort_order"]
    list_editable = ["active", "sort_order"]
    fields = ["code", "name", "minor_units", "unit", "active", "sort_order"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "minor_units", "unit"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EurogiroPartner)
class EurogiroPartnerAdmin(CounterListAdmin):
    list_display = ["country", "name", "bic", "currency", "account_payout", "cash_payout",
                    "active"]
    list_filter = ["active"]

    def has_delete_permission(self, request, obj=None):
        return False


class RemittanceEventInline(admin.TabularInline):
    model = RemittanceEvent
    fields = ["at", "status", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Remittance)
class RemittanceAdmin(CounterListAdmin):
    list_display = ["public_id", "kind", "customer", "currency", "amount_display",
                    "total_krw", "status", "confirmed_at"]
    list_filter = ["kind", "status", "currency"]
    search_fields = ["public_id", "customer__name", "customer__user__username",
                     "beneficiary_name", "message_reference"]
    list_select_related = ["customer", "currency"]
    show_full_result_count = False
    inlines = [RemittanceEventInline]
    change_form_template = "admin/fx/remittance/change_form.html"
    fields = ["public_id", "kind", "status", "customer", "from_account", "currency",
              "amount_display", "beneficiary_name", "beneficiary_country",
              "beneficiary_account_masked", "bic", "partner", "payout", "charges", "purpose",
              "rate_notice", "rate", "usd_cents", "krw_amount", "sending_fee", "cable_charge",
              "intermediary_usd_cents", "intermediary_krw", "total_krw", "entry",
              "message_reference", "signer_certificate_serial", "signed_order_digest",
              "failure_code",
              "failure_reason", "return_reason", "return_rate", "refund_krw", "return_entry",
              "created_at", "confirmed_at", "sent_at", "finished_at"]
    readonly_fields = fields

    @admin.display(description=_("signed remittance order (SHA-256)"))
    def signed_order_digest(self, obj) -> str:
        return obj.signed_order_sha256

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/return/", view(self.return_view), name="fx_remittance_return"),
                *super().get_urls()]

    def return_view(self, request, pk):
        if not request.user.has_perm("fx.return_remittance"):
            raise PermissionDenied
        remittance = get_object_or_404(Remittance.objects.select_related("currency"), pk=pk)
        form = ReturnForm(request.POST or None)
        problem = None
        if request.method == "POST" and form.is_valid():
            try:
                remittance_return(remittance_id=remittance.pk,
                                  reason=form.cleaned_data["reason"], actor=request.user)
            except PostbankError as exc:
                problem = exc
            else:
                remittance.refresh_from_db()
                messages.success(request, _("Returned; %(refund)s won refunded.")
                                 % {"refund": f"{remittance.refund_krw:,}"})
                return redirect(reverse("admin:fx_remittance_change", args=[remittance.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("Make a return"), "remittance": remittance, "form": form,
                   "problem": problem}
        return TemplateResponse(request, "admin/fx/remittance/return.html", context)
