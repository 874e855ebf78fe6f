from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms import SignupForm
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
