from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from accounts.forms import AdminLoginForm
from accounts.models import User
from portal.admin_filters import ListedLookupsOnlyMixin


@admin.register(User)
class UserAdmin(ListedLookupsOnlyMixin, BaseUserAdmin):
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


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ListedLookupsOnlyMixin, BaseGroupAdmin):
    pass


# The approval console's login is throttled like the site's (accounts/throttle.py).
admin.site.login_form = AdminLoginForm
