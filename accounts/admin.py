from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from accounts.forms import AdminLoginForm, UserChangeForm
from accounts.models import EmailStatus, PendingSignup, SentEmail, User
from portal.admin_filters import ListedLookupsOnlyMixin


@admin.register(User)
class UserAdmin(ListedLookupsOnlyMixin, BaseUserAdmin):
    form = UserChangeForm
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


# ---- Sent emails (issue 13) ----
@admin.register(SentEmail)
class SentEmailAdmin(ListedLookupsOnlyMixin, admin.ModelAdmin):
    """What the site emailed, to whom, and what became of it. Read-only: the
    worker writes these rows (portal/emails.py); a given-up email can be tried
    again once the mail server is fixed."""

    list_display = ["key", "template", "to", "status", "attempts", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["key", "to"]
    date_hierarchy = "created_at"
    fields = [
        "key",
        "template",
        "to",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
    ]
    readonly_fields = fields
    actions = ["try_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Try the given-up emails again", permissions=["change"])
    def try_again(self, request, queryset):
        from django.utils import timezone

        from portal.db import on_commit
        from portal.emails import enqueue_delivery

        retried = 0
        for pk in queryset.filter(status=EmailStatus.FAILED).values_list(
            "pk", flat=True
        ):
            if SentEmail.objects.filter(pk=pk, status=EmailStatus.FAILED).update(
                status=EmailStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
            ):
                on_commit(lambda pk=pk: enqueue_delivery(pk))
                retried += 1
        self.message_user(request, f"{retried} email(s) queued to be sent again.")


# ---- Pending sign-ups (issue 12, finding 11) ----
@admin.register(PendingSignup)
class PendingSignupAdmin(ListedLookupsOnlyMixin, admin.ModelAdmin):
    """Sign-ups whose link has not been followed yet, for "I never got the
    email". Read-only; the password hash and the token's hash are not shown."""

    list_display = ["email", "username", "created_at", "expires_at", "used_at"]
    search_fields = ["email", "username"]
    date_hierarchy = "created_at"
    fields = ["email", "username", "full_name", "created_at", "expires_at", "used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
