import re

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordResetForm,
    UserCreationForm,
)

from accounts import throttle
from accounts.models import User

PHONE_RE = re.compile(r"^\+?[0-9]{10,15}$")


class SignupForm(UserCreationForm):
    full_name = forms.CharField(max_length=150, label="Full name")
    email = forms.EmailField(max_length=254, label="Email")
    phone = forms.CharField(
        max_length=20,
        label="Mobile number",
        help_text="10 digits, or with the country code, e.g. +919876543210.",
    )

    class Meta:
        model = User
        fields = ["username", "full_name", "email", "phone"]

    def clean_full_name(self):
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError("Enter your full name.")
        return name

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Log in or reset "
                "your password."
            )
        return email

    def clean_phone(self):
        phone = re.sub(r"[\s-]", "", self.cleaned_data["phone"])
        if not PHONE_RE.match(phone):
            raise forms.ValidationError(
                "Enter a valid mobile number: 10 to 15 digits, optionally "
                "starting with +."
            )
        return phone


class ThrottledLoginMixin:
    """Refuse a throttled login before checking its password; count the failures.

    See accounts/throttle.py for the limits and why they are keyed as they are.
    """

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and self.cleaned_data.get("password") and self.request:
            message = throttle.refusal(self.request, username)
            if message:
                raise forms.ValidationError(message, code="throttled")
            try:
                cleaned = super().clean()
            except forms.ValidationError:
                # Only a wrong password counts, not a right one for a disallowed
                # account (a student at the admin login).
                if self.user_cache is None:
                    throttle.record_failure(self.request, username)
                raise
            throttle.record_success(self.request, username)
            return cleaned
        return super().clean()


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password did not match. Please try again.",
    }


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


# ---- Queued password reset (issue 13; issue 12 finding 11) ----
class QueuedPasswordResetForm(PasswordResetForm):
    """Looks nothing up and sends nothing in the request: the worker finds the
    accounts and emails them (accounts/tasks.py), so a known and an unknown
    address cost the request the same time and the same queries."""

    def save(self, *args, **kwargs):
        import uuid

        from accounts.tasks import send_password_reset

        send_password_reset(self.cleaned_data["email"], uuid.uuid4().hex)
