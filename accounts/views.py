from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms import AdminPasswordChangeForm, PasswordChangeForm, SignupForm
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
            login(request, user)
            messages.success(
                request, f"Welcome, {user.display_name}! Your account is ready."
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
