from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from enrollment.models import Customer, User


@admin.register(User)
class PostbankUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "is_staff", "is_active", "last_login"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "created_at"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user"]
