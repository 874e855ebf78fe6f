"""The two-factor pages: enrol an authenticator app, enter a code."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import two_factor
from accounts.forms import SecondFactorForm


def _with_next(name, next_url):
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _staff_only(view):
    def wrapped(request, *args, **kwargs):
        if not two_factor.needs_second_factor(request.user):
            return redirect("dashboard")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


@_staff_only
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def setup(request):
    """Show the QR code of a new secret; a right code from it enrols the app
    and shows the recovery codes, once."""
    next_url = two_factor.safe_next(request, reverse("admin:index"))
    if two_factor.has_authenticator(request.user):
        return redirect(_with_next("accounts:2fa_verify", next_url))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.enrol(request, form.cleaned_data["code"])
        if codes is not None:
            return render(
                request,
                "accounts/2fa_recovery_codes.html",
                {"codes": codes, "next": next_url},
            )
        form.add_error("code", "That code is not right. Scan the QR code again.")
    uri, secret, qr_svg = two_factor.provisioning(
        request.user, two_factor.pending_key(request)
    )
    return render(
        request,
        "accounts/2fa_setup.html",
        {"form": form, "secret": secret, "qr_svg": qr_svg, "next": next_url},
    )


@_staff_only
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify(request):
    """The code from the app, or a recovery code, after the password."""
    next_url = two_factor.safe_next(request, reverse("admin:index"))
    if two_factor.is_verified(request):
        return redirect(next_url)
    if not two_factor.has_authenticator(request.user):
        return redirect(_with_next("accounts:2fa_setup", next_url))
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        failure = two_factor.verify(request, form.cleaned_data["code"])
        if failure is None:
            return redirect(next_url)
        error, throttled = failure
        form.add_error("code", error)
        status = 429 if throttled else 200
    elif request.method == "GET":
        refused = two_factor.refusal(request)
        if refused:
            form.add_error(None, refused)
    return render(
        request,
        "accounts/2fa_verify.html",
        {"form": form, "next": next_url},
        status=status,
    )
