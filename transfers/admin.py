from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from transfers.models import ClearingHouseAccount, Transfer


@admin.register(ClearingHouseAccount)
class ClearingHouseAccountAdmin(admin.ModelAdmin):
    """Operators keep the simulated clearing house: who holds which account at which bank,
    and what that bank answers when a transfer settles."""

    list_display = ["bank_code", "number", "holder_name", "outcome", "reject_reason", "updated_at"]
    list_filter = ["bank_code", "outcome"]
    search_fields = ["number", "holder_name"]
    list_editable = ["outcome", "reject_reason"]


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    """Read-only: transfers change only through the transfer services."""

    list_display = [
        "public_id",
        "created_at",
        "customer",
        "from_account",
        "to_bank_code",
        "to_account_number",
        "recipient_name",
        "amount",
        "fee",
        "status",
        "failure_reason",
    ]
    list_filter = ["status", "kind", "to_bank_code"]
    search_fields = ["public_id", "to_account_number", "recipient_name"]
    date_hierarchy = "created_at"
    exclude = ["signature", "signed_order", "request_fingerprint"]
    readonly_fields = ["signed_order_shown", "signature_shown"]

    @admin.display(description=_("signed order"))
    def signed_order_shown(self, obj) -> str:
        return obj.signed_order_text

    @admin.display(description=_("signature (base64)"))
    def signature_shown(self, obj) -> str:
        return obj.signature_base64

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
