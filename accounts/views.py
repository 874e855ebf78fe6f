import uuid

from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from accounts import notifications, tasks
from accounts.forms import (
    AdminPasswordChangeForm,
    ChooseUsernameForm,
    PasswordChangeForm,
    SignupForm,
)
from accounts.models import PendingSignup
from accounts.tokens import email_verification_token, user_from_uid
from portal.ratelimit import ratelimit


def _safe_next(request, next_url):
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


def _signup_email(request):
    email = request.POST.get("email", "").strip().lower()
    return f"email:{email}" if email else None


@sensitive_post_parameters("password1", "password2")
@ratelimit(
    key="ip",
    rate="RATELIMIT_SIGNUP",
    name="signup",
    message="Too many sign-ups were tried from your network.",
)
@ratelimit(
    key=_signup_email,
    rate="RATELIMIT_SIGNUP_PER_EMAIL",
    name="signup-email",
    message="Too many sign-ups were tried with this email address.",
)
def signup(request):
    """The same answer, and the same work, whether or not the address (or the
    username) is registered: validate, enqueue, "check your email". The worker
    decides what to send (accounts/tasks.py, start_signup)."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    next_url = _safe_next(
        request, request.POST.get("next") or request.GET.get("next") or ""
    )
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            fields = {**form.pending_fields(), "next_url": next_url}
            tasks.start_signup(fields, uuid.uuid4().hex)
            return redirect("accounts:signup_sent")
    else:
        form = SignupForm()
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


@require_GET
def signup_sent(request):
    return render(request, "accounts/signup_sent.html")


@require_http_methods(["GET", "POST"])
@ratelimit(
    key="ip",
    rate="RATELIMIT_SIGNUP",
    name="signup-confirm",
    message="Too many sign-ups were tried from your network.",
)
def signup_confirm(request, token):
    """GET shows a button (mail scanners follow links); POST creates the account,
    verified (the link proves the mailbox), and logs the student in."""
    pending = PendingSignup.for_token(token)
    if pending is None:
        return _signup_link_refused(request, "unknown")
    if pending.used_at is not None:
        return _signup_link_refused(request, "used")
    if pending.is_expired:
        return _signup_link_refused(request, "expired")
    if pending.email_taken():  # another link for this address was followed
        return _signup_link_refused(request, _taken_why(pending))

    if request.method == "GET":
        form = ChooseUsernameForm() if pending.username_taken() else None
        return _signup_confirm_page(request, pending, form)
    username, form = _username_to_use(request, pending)
    if username is None:
        if _used_meanwhile(pending):  # this very link made the account
            return _signup_link_refused(request, "used")
        return _signup_confirm_page(request, pending, form)
    try:
        user = pending.create_account(username)
    except IntegrityError:  # taken between the check and the insert
        if _used_meanwhile(pending):
            return _signup_link_refused(request, "used")
        if pending.email_taken():  # another link for this address, at once
            return _signup_link_refused(request, "registered")
        return _signup_confirm_page(request, pending, ChooseUsernameForm())
    if user is None:  # another click won
        return _signup_link_refused(request, "used")
    login(request, user)
    messages.success(
        request,
        f"Welcome, {user.display_name}! Your account is ready and your email is "
        "verified.",
    )
    return redirect(_safe_next(request, pending.next_url) or "interviews:course_list")


def _used_meanwhile(pending):
    """Whether another click on this link won while this one was checking: the
    winner marks the link used in the transaction that creates the account, so
    a username or email seen taken may be this link's own doing."""
    pending.refresh_from_db(fields=["used_at"])
    return pending.used_at is not None


def _taken_why(pending):
    return "used" if _used_meanwhile(pending) else "registered"


def _username_to_use(request, pending):
    """(username, None), or (None, the form asking for another username) when the
    one chosen at sign-up has been taken since, or the one typed is no good."""
    if "username" in request.POST:
        form = ChooseUsernameForm(request.POST)
        return (form.cleaned_data["username"] if form.is_valid() else None), form
    if pending.username_taken():
        return None, ChooseUsernameForm()
    return pending.username, None


def _signup_confirm_page(request, pending, form):
    return render(
        request, "accounts/signup_confirm.html", {"signup": pending, "form": form}
    )


def _signup_link_refused(request, why):
    return render(
        request,
        "accounts/signup_confirm.html",
        {"refused": why},
        status=200 if why in ("used", "registered") else 400,
    )


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
