import logging
import re

from django import forms
from django.contrib.admin import forms as admin_forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from accounts import throttle
from accounts.models import User

logger = logging.getLogger(__name__)

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
    """Claim the attempt, then check the password, then clear on success.

    See accounts/throttle.py for the limits and why they are keyed as they are.
    """

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and self.cleaned_data.get("password") and self.request:
            attempt = throttle.claim_login(self.request, username)
            if attempt.refusal:
                raise forms.ValidationError(attempt.refusal, code="throttled")
            try:
                cleaned = super().clean()
            except forms.ValidationError:
                # Only a wrong password counts, not a right one for a disallowed
                # account (a student at the admin login).
                if self.user_cache is not None:
                    attempt.not_counted()
                raise
            attempt.succeeded()
            return cleaned
        return super().clean()


class ThrottledPasswordChangeMixin:
    """The old password is a password guess too: the same account counters."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        attempt = throttle.claim_password_check(self.request, self.user)
        if attempt.refusal:
            raise forms.ValidationError(attempt.refusal, code="throttled")
        old_password = super().clean_old_password()
        attempt.succeeded()
        return old_password


class PasswordChangeForm(ThrottledPasswordChangeMixin, auth_forms.PasswordChangeForm):
    pass


class AdminPasswordChangeForm(
    ThrottledPasswordChangeMixin, admin_forms.AdminPasswordChangeForm
):
    pass


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password did not match. Please try again.",
    }


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Code",
        help_text="The 6 digits your authenticator app shows, or a recovery code.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class DeleteAccountForm(forms.Form):
    """The password again, before an account is deleted for good. Guesses are
    limited per user, counted before the password is checked."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, request=None, *args, **kwargs):
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self):
        from django.conf import settings

        from portal import ratelimit

        password = self.cleaned_data["password"]
        if settings.RATELIMIT_ENABLED:
            usage = ratelimit.hit(
                "delete-account-password",
                ratelimit.user_key(self.user),
                settings.RATELIMIT_DELETE_ACCOUNT,
            )
            if usage.exceeded:
                raise forms.ValidationError(
                    "Too many wrong passwords. Try again in "
                    f"{usage.retry_after_minutes} minutes."
                )
        if not self.user.check_password(password):
            raise forms.ValidationError(
                "That is not your password, so nothing was deleted."
            )
        return password


# ---- Queued password reset (issue 13; issue 12 finding 11) ----
class QueuedPasswordResetForm(auth_forms.PasswordResetForm):
    """Looks nothing up and sends nothing in the request: the worker finds the
    accounts and emails them (accounts/tasks.py), so a known and an unknown
    address cost the request the same time and the same queries."""

    def save(self, *args, **kwargs):
        import uuid

        from accounts.tasks import send_password_reset

        send_password_reset(self.cleaned_data["email"], uuid.uuid4().hex)
