from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from accounts import notifications
from accounts.forms import AdminPasswordChangeForm, PasswordChangeForm, SignupForm
from accounts.tokens import email_verification_token, user_from_uid
from portal.ratelimit import ratelimit


@sensitive_post_parameters("password1", "password2")
@ratelimit(
    key="ip",
    rate="RATELIMIT_SIGNUP",
    name="signup",
    message="Too many sign-ups were tried from your network.",
)
def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            user = form.save()
            notifications.send_verification_email(user)
            login(request, user)
            messages.success(
                request,
                f"Welcome, {user.display_name}! Your account is ready. We emailed "
                f"a link to {user.email}: open it to verify your email before "
                "you pay.",
            )
            return redirect(next_url or "interviews:course_list")
    else:
        form = SignupForm()
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, with the old-password check throttled (accounts/throttle.py)."""

    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class AdminPasswordChangeView(PasswordChangeView):
    """The approval console's password change (routed before the admin's own in
    portal/urls.py), throttled the same way."""

    form_class = AdminPasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("admin:password_change_done")

    def get_context_data(self, **kwargs):
        self.request.current_app = admin.site.name
        return {
            **admin.site.each_context(self.request),
            **super().get_context_data(**kwargs),
        }


admin_password_change = admin.site.admin_view(AdminPasswordChangeView.as_view())
# ---- Email verification (issue 12, item 14) ----


@login_required
@require_GET
def verify_email(request):
    """Why the student must verify, and a button to send the link again."""
    return render(request, "accounts/verify_email.html")


@login_required
@require_POST
@ratelimit(
    key="user",
    rate="RATELIMIT_VERIFY_EMAIL",
    name="verify-email-resend",
    message="We have sent the verification email several times already.",
)
def verify_email_resend(request):
    user = request.user
    if user.is_email_verified:
        messages.info(request, "Your email is already verified.")
    else:
        notifications.send_verification_email(user)
        messages.success(
            request,
            f"We sent a new link to {user.email}. It can take a minute to arrive; "
            "check the spam folder too.",
        )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    return redirect(next_url or "accounts:verify_email")


@require_http_methods(["GET", "POST"])
def verify_email_confirm(request, uidb64, token):
    """GET shows a button (mail scanners follow links); POST verifies."""
    user = user_from_uid(uidb64)
    valid = user is not None and email_verification_token.check_token(user, token)
    if not valid:
        already = user is not None and user.is_email_verified
        return render(
            request,
            "accounts/verify_email_confirm.html",
            {"invalid": True, "already": already},
            status=400 if not already else 200,
        )
    if request.method == "POST":
        user.mark_email_verified(user.email)
        messages.success(request, f"Thank you: {user.email} is verified.")
        return redirect(
            "dashboard" if request.user.is_authenticated else "accounts:login"
        )
    return render(request, "accounts/verify_email_confirm.html", {"email": user.email})
