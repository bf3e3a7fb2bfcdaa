"""Counter screens (Django admin) for tellers and operators.

Customers are created only by a counter application and changed only through services
(each with its ID check); no screen edits a customer's fields directly. Personal data is
shown masked; the RRN can be searched through its keyed hash.
"""

import re
from datetime import timedelta

import segno
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from enrollment import identity
from enrollment.applications import application_submit
from enrollment.counter import (
    customer_loss_report_take,
    customer_medium_replace,
    customer_minor_limits_raise,
    customer_suspension_lift,
)
from enrollment.forms import (
    ApplicationForm,
    DeviceRemovalForm,
    IdCheckForm,
    LossReportForm,
    ReplacementForm,
    RrnSearchForm,
)
from enrollment.models import (
    Application,
    Customer,
    IdCheck,
    Notification,
    OtpDevice,
    SecurityCard,
    User,
)
from enrollment.services import customer_limits
from postbank import policy
from postbank.errors import PostbankError


def _form_error(form, exc: PostbankError) -> None:
    field = exc.extra.get("field")
    form.add_error(field if field in form.fields else None, str(exc.message))


def _card_rows(codes: list[str]) -> list[list[tuple[int, str]]]:
    numbered = list(enumerate(codes, start=1))
    return [numbered[i:i + 5] for i in range(0, len(numbered), 5)]


def _otp_qr(serial: str, secret: str, name: str) -> str:
    import pyotp

    totp = pyotp.TOTP(secret, digits=policy.OTP_DIGITS, interval=policy.OTP_STEP_SECONDS)
    uri = totp.provisioning_uri(name=f"{name} ({serial})", issuer_name="Postbank")
    return segno.make(uri, error="m").svg_inline(scale=4)


@admin.register(User)
class PostbankUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "is_staff", "is_active", "last_login"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "rrn_masked", "phone_masked", "customer_type", "grade_label",
                    "suspension", "minor_limited", "last_used_at"]
    list_filter = ["customer_type", "suspension", "minor_limited"]
    search_fields = ["name", "user__username"]
    ordering = ["name", "pk"]  # stable pages, also for the account-opening autocomplete
    list_select_related = ["user"]
    fields = ["name", "user", "customer_type", "rrn_masked", "phone_masked", "business_number",
              "grade_label", "limits_label", "minor_limited", "own_limit_per_transfer",
              "own_limit_per_day", "wrong_entries", "suspension", "suspended_at",
              "smart_banking_since", "last_used_at", "dormancy_notice_at", "created_at"]
    readonly_fields = fields
    change_form_template = "admin/enrollment/customer/change_form.html"
    change_list_template = "admin/enrollment/customer/change_list.html"

    @admin.display(description=_("grade"))
    def grade_label(self, obj):
        return {"safe": _("safe (OTP)"), "general": _("general (security card)")}.get(
            obj.grade, _("no medium"))

    @admin.display(description=_("transfer limits (won)"))
    def limits_label(self, obj):
        per_transfer, per_day = customer_limits(customer=obj)
        return _("%(per_transfer)s per transfer, %(per_day)s per day") % {
            "per_transfer": f"{per_transfer:,}", "per_day": f"{per_day:,}"}

    @method_decorator(sensitive_post_parameters("rrn"))
    @method_decorator(never_cache)
    def find_view(self, request):
        """Finds a customer by RRN through its keyed hash. A POST form, so the number never
        lands in a URL, a server log or the browser history."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = RrnSearchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            customer = Customer.objects.filter(
                rrn_hash=identity.rrn_hash(form.cleaned_data["rrn"])).first()
            if customer is not None:
                return redirect("admin:enrollment_customer_change", customer.pk)
            form.add_error("rrn", _("No customer has this resident registration number."))
        return TemplateResponse(request, "admin/enrollment/customer/find.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("Find a customer by RRN"), "form": form})

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_act": request.user.has_perm("enrollment.change_customer")}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("find/", view(self.find_view), name="enrollment_customer_find"),
            path("<int:pk>/lift/", view(self.lift_view), name="enrollment_customer_lift"),
            path("<int:pk>/adult-limits/", view(self.adult_limits_view),
                 name="enrollment_customer_adult_limits"),
            path("<int:pk>/loss/", view(self.loss_view), name="enrollment_customer_loss"),
            path("<int:pk>/replace/", view(self.replace_view),
                 name="enrollment_customer_replace"),
            path("<int:pk>/devices/", view(self.device_removal_view),
                 name="enrollment_customer_device_removal"),
            *super().get_urls(),
        ]

    def _customer(self, request, pk) -> Customer:
        if not request.user.has_perm("enrollment.change_customer"):
            raise PermissionDenied
        return get_object_or_404(Customer, pk=pk)

    def _render(self, request, customer, title, form, testid, extra=None):
        return TemplateResponse(request, "admin/enrollment/customer/action.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "original": customer, "customer": customer, "title": title, "form": form,
            "testid": testid, **(extra or {})})

    def _id_action(self, request, pk, *, service, title, testid, done):
        customer = self._customer(request, pk)
        form = IdCheckForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                service(customer=customer, teller=request.user, **form.cleaned_data)
            except PostbankError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, done)
                return redirect("admin:enrollment_customer_change", customer.pk)
        return self._render(request, customer, title, form, testid)

    @method_decorator(sensitive_post_parameters("id_document_number"))
    def lift_view(self, request, pk):
        return self._id_action(request, pk, service=customer_suspension_lift,
                               title=_("Lift the suspension"), testid="lift",
                               done=_("The suspension was lifted."))

    @method_decorator(sensitive_post_parameters("id_document_number"))
    def adult_limits_view(self, request, pk):
        return self._id_action(request, pk, service=customer_minor_limits_raise,
                               title=_("Raise the minor limits"), testid="adult-limits",
                               done=_("The minor limits were lifted; the grade's limits "
                                      "apply."))

    @method_decorator(sensitive_post_parameters("id_document_number"))
    def loss_view(self, request, pk):
        customer = self._customer(request, pk)
        form = LossReportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                customer_loss_report_take(customer=customer, teller=request.user,
                                          **form.cleaned_data)
            except PostbankError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The loss report was taken; the medium is "
                                            "stopped."))
                return redirect("admin:enrollment_customer_change", customer.pk)
        return self._render(request, customer, _("Take a loss report"), form, "loss")

    @method_decorator(sensitive_post_parameters("id_document_number"))
    def device_removal_view(self, request, pk):
        from certcenter.devices import device_remove_at_counter
        from certcenter.selectors import devices_for_customer

        customer = self._customer(request, pk)
        devices = [(d.pk, f"{d.label} · {d.created_at:%Y-%m-%d}")
                   for d in devices_for_customer(customer=customer)]
        form = DeviceRemovalForm(request.POST or None, devices=devices)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                device_remove_at_counter(customer=customer, device_id=data["device"],
                                         teller=request.user,
                                         id_document_type=data["id_document_type"],
                                         id_document_number=data["id_document_number"])
            except PostbankError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The designated device was removed."))
                return redirect("admin:enrollment_customer_change", customer.pk)
        return self._render(request, customer, _("Remove a designated device"), form,
                            "device-removal")

    @method_decorator(sensitive_post_parameters("id_document_number"))
    @method_decorator(never_cache)
    def replace_view(self, request, pk):
        customer = self._customer(request, pk)
        form = ReplacementForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                serial, codes, secret = customer_medium_replace(
                    customer=customer, teller=request.user, **form.cleaned_data)
            except PostbankError as exc:
                _form_error(form, exc)
            else:
                return TemplateResponse(request, "admin/enrollment/medium_printout.html", {
                    **self.admin_site.each_context(request), "opts": self.model._meta,
                    "customer": customer, "title": _("New security medium"),
                    "serial": serial, "card_rows": _card_rows(codes),
                    "otp_qr": _otp_qr(serial, secret, customer.name) if secret else ""})
        return self._render(request, customer, _("Issue a replacement medium"), form,
                            "replace")


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["reference", "customer", "customer_type", "status", "applied_at",
                    "registration_deadline", "teller"]
    list_filter = ["status", "customer_type", "medium"]
    search_fields = ["reference", "customer__name"]
    list_select_related = ["customer", "teller"]
    fields = ["reference", "customer", "customer_type", "id_document_type",
              "id_document_masked", "designated", "authentication", "representation",
              "representative_name", "documents_label", "medium", "status", "teller",
              "applied_at", "registration_deadline", "closed_at"]
    readonly_fields = fields

    @admin.display(description=_("designated withdrawal accounts"))
    def designated(self, obj):
        return ", ".join(a.formatted_number for a in obj.designated_accounts.all())

    @admin.display(description=_("documents checked"))
    def documents_label(self, obj):
        from enrollment.models import Document

        return "; ".join(str(Document(code).label) for code in obj.documents)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @method_decorator(sensitive_post_parameters("rrn", "new_account_password",
                                                "id_document_number"))
    @method_decorator(never_cache)
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApplicationForm(request.POST or None)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("Counter application for internet banking"), "form": form}
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            numbers = data.pop("designated_accounts").split()
            try:
                outcome = application_submit(teller=request.user,
                                             designated_account_numbers=numbers, **data)
            except PostbankError as exc:
                _form_error(form, exc)
                context["problem_code"] = exc.code
            else:
                application = outcome.application
                return TemplateResponse(request, "admin/enrollment/application/printout.html", {
                    **context, "title": _("Application completed"),
                    "application": application, "customer": application.customer,
                    "accounts": list(application.designated_accounts.all()),
                    "opened": outcome.opened_account,
                    "serial": outcome.card_serial or outcome.otp_serial,
                    "card_rows": _card_rows(outcome.card_codes),
                    "otp_qr": _otp_qr(outcome.otp_serial, outcome.otp_secret,
                                      application.customer.name) if outcome.otp_secret else "",
                    "last_day": application.registration_deadline - timedelta(seconds=1)})
        return TemplateResponse(request, "admin/enrollment/application/form.html", context)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox operators watch: nothing leaves the bank (simulated delivery)."""

    list_display = ["created_at", "kind", "channel", "recipient", "customer", "delivered_at"]
    list_filter = ["kind", "channel", ("delivered_at", admin.EmptyFieldListFilter)]
    search_fields = ["customer__name", "kind"]
    list_select_related = ["customer"]
    show_full_result_count = False
    # The phone gets the whole text; an operator must not read a live one-time code in it.
    fields = ["created_at", "kind", "channel", "recipient", "customer", "text_masked",
              "delivered_at"]
    readonly_fields = ["text_masked"]

    @admin.display(description=_("text"))
    def text_masked(self, obj) -> str:
        return re.sub(r"\d{4,}", lambda m: "*" * len(m.group()), obj.text)


@admin.register(IdCheck)
class IdCheckAdmin(ReadOnlyAdmin):
    list_display = ["at", "customer", "purpose", "id_document_type", "id_document_masked",
                    "channel", "teller"]
    list_filter = ["purpose"]
    list_select_related = ["customer", "teller"]


@admin.register(OtpDevice)
class OtpDeviceAdmin(ReadOnlyAdmin):
    list_display = ["serial", "customer", "status", "issued_at", "stopped_at"]
    list_filter = ["status"]
    search_fields = ["serial", "customer__name"]
    fields = ["serial", "customer", "status", "issued_at", "stopped_at"]
    list_select_related = ["customer"]


@admin.register(SecurityCard)
class SecurityCardAdmin(ReadOnlyAdmin):
    list_display = ["serial", "customer", "status", "issued_at", "stopped_at"]
    list_filter = ["status"]
    search_fields = ["serial", "customer__name"]
    fields = ["serial", "customer", "status", "issued_at", "stopped_at"]
    list_select_related = ["customer"]

