from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.forms import AdminLoginForm
from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "full_name",
        "email",
        "phone",
        "is_staff",
        "date_joined",
    ]
    search_fields = ["username", "full_name", "email", "phone"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Contact", {"fields": ("full_name", "phone")}),
    )


# The approval console's login is throttled like the site's (accounts/throttle.py).
admin.site.login_form = AdminLoginForm
