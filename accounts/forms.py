import logging
import re

from django import forms
from django.contrib.admin import forms as admin_forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.hashers import make_password
from django.contrib.auth.validators import UnicodeUsernameValidator

from accounts import throttle
from accounts.models import User

logger = logging.getLogger(__name__)

PHONE_RE = re.compile(r"^\+?[0-9]{10,15}$")


def _username_field(label="Username"):
    """The username as User's own field checks it, for forms that are not
    ModelForms (the sign-up and the username asked for again)."""
    return auth_forms.UsernameField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        label=label,
        help_text=User._meta.get_field("username").help_text,
    )


class SignupForm(auth_forms.SetPasswordMixin, forms.Form):
    """What a sign-up asks. Not a ModelForm: it must not tell whether the
    username or the email is taken (issue 12, finding 11); both are checked
    when the emailed link is followed (accounts/views.py, signup_confirm)."""

    username = _username_field()
    full_name = forms.CharField(max_length=150, label="Full name")
    email = forms.EmailField(max_length=254, label="Email")
    phone = forms.CharField(
        max_length=20,
        label="Mobile number",
        help_text="10 digits, or with the country code, e.g. +919876543210.",
    )
    password1, password2 = auth_forms.SetPasswordMixin.create_password_fields()

    def clean(self):
        self.validate_passwords()
        return super().clean()

    def _post_clean(self):
        super()._post_clean()
        # The similarity rule compares the password with what was typed.
        candidate = User(
            username=self.cleaned_data.get("username", ""),
            email=self.cleaned_data.get("email", ""),
            full_name=self.cleaned_data.get("full_name", ""),
        )
        self.validate_password_for_user(candidate)

    def pending_fields(self):
        """What the worker needs to start the sign-up: the password only hashed."""
        data = self.cleaned_data
        return {
            "username": data["username"],
            "full_name": data["full_name"],
            "email": data["email"],
            "phone": data["phone"],
            "password": make_password(data["password1"]),
        }

    def clean_full_name(self):
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError("Enter your full name.")
        return name

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

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


# ---- Pending sign-ups (issue 12, finding 11) ----
class ChooseUsernameForm(forms.Form):
    """Asked when the link is followed and the chosen username has been taken."""

    username = _username_field(label="Another username")

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken too. Try another.")
        return username


# ---- One live account per email address (issue 12) ----
class UserChangeForm(auth_forms.UserChangeForm):
    """The admin's user form. An address another account has is an error on the
    field; the unique constraint (User.Meta) would otherwise raise on save."""

    class Meta(auth_forms.UserChangeForm.Meta):
        model = User

    def clean_email(self):
        email = self.cleaned_data["email"]
        if User.email_in_use(email, exclude=self.instance):
            raise forms.ValidationError(
                "Another account has this email address already.", code="unique"
            )
        return email
