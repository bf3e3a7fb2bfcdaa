from django.contrib import admin

from postbank.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "event", "subject", "actor", "channel", "ip"]
    list_filter = ["event", "channel"]
    search_fields = ["subject", "event"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
