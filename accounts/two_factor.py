"""Two-factor login for staff (approvers and superusers), with django-otp.

A staff user's session counts as verified once it has passed a second factor:
a TOTP code from an authenticator app, or one of ten single-use recovery codes.
Until then `SecondFactorMiddleware` sends every page of the site (the approval
console, and the proof and recording files approvers can open) to
`/accounts/2fa/`: enrolment for a user with no authenticator yet, otherwise the
code. Students are never asked.

Wrong codes are throttled per user like the login (accounts/throttle.py): the
attempt is counted before the code is checked, and a right code clears the count.
"""

import logging
from base64 import b32encode
from binascii import unhexlify

import segno
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from portal import ratelimit
from portal.db import atomic

logger = logging.getLogger(__name__)

RECOVERY_CODES = 10
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
PENDING_KEY_SESSION_KEY = "accounts.2fa.pending_key"
THROTTLE = "2fa-code"


def needs_second_factor(user):
    return user.is_authenticated and (user.is_staff or user.is_superuser)


def has_authenticator(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(request):
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def safe_next(request, default):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return default


# ---- enrolment -------------------------------------------------------------


def pending_key(request):
    """The secret being enrolled: kept in the session (not the database) until a
    code from it is confirmed, so opening the page twice shows the same QR code."""
    key = request.session.get(PENDING_KEY_SESSION_KEY)
    if not key:
        key = random_hex(20)
        request.session[PENDING_KEY_SESSION_KEY] = key
    return key


def provisioning(user, key):
    """(otpauth URI, base32 secret to type by hand, inline SVG QR code)."""
    device = TOTPDevice(user=user, key=key, name=TOTP_NAME)
    uri = device.config_url
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(
        scale=1,
        omitsize=True,
        title="QR code for your authenticator app",
        dark="#000",
        light="#fff",
    )
    svg = svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)
    secret = b32encode(unhexlify(key)).decode()
    return (
        uri,
        " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        (
            mark_safe(svg)  # noqa: S308 segno's own markup, no user input
        ),
    )


def _totp_matches(key, code):
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    code = _digits(code)
    if not code:
        return None
    for offset in (0, -1, 1):  # one step of clock drift either way
        totp.drift = offset
        if totp.token() == int(code):
            return totp.t()
    return None


def _digits(code):
    code = "".join((code or "").split())
    return code if code.isdigit() and len(code) == 6 else ""


def enrol(request, code):
    """Confirm the pending secret with a code from the app. Returns the new
    recovery codes (shown once), or None if the code is wrong."""
    user = request.user
    key = request.session.get(PENDING_KEY_SESSION_KEY)
    if not key:
        return None
    step = _totp_matches(key, code)
    if step is None:
        return None
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    with atomic():
        # A second enrolment (another tab) replaces the first.
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, key=key, name=TOTP_NAME, confirmed=True, last_t=step
        )
        recovery = StaticDevice.objects.create(
            user=user, name=RECOVERY_NAME, confirmed=True
        )
        StaticToken.objects.bulk_create(
            StaticToken(device=recovery, token=token) for token in codes
        )
    del request.session[PENDING_KEY_SESSION_KEY]
    otp_login(request, device)
    logger.info("2fa: %s enrolled an authenticator", user.username)
    return codes


# ---- verification ----------------------------------------------------------


def _throttle_rate():
    return settings.RATELIMIT_2FA


def refusal(request):
    """The message if this user has used up their code attempts, else None."""
    if not settings.RATELIMIT_ENABLED:
        return None
    usage = ratelimit.peek(THROTTLE, ratelimit.user_key(request.user), _throttle_rate())
    if usage.count >= usage.limit:
        minutes = usage.retry_after_minutes
        return (
            "Too many wrong codes. Try again in "
            f"{minutes} minute{'s' if minutes != 1 else ''}."
        )
    return None


def verify(request, code):
    """Check a TOTP code or a recovery code; on success mark the session verified.

    Returns None on success, else (the error to show, whether it was refused
    by the limit). The attempt is counted before the code is checked, so
    parallel guesses cannot outrun the limit."""
    user = request.user
    ident = ratelimit.user_key(user)
    if settings.RATELIMIT_ENABLED:
        usage = ratelimit.hit(THROTTLE, ident, _throttle_rate())
        if usage.exceeded:
            return refusal(request) or "Too many wrong codes.", True
    device = _match(user, code)
    if device is None:
        logger.warning("2fa: wrong code for %s", user.username)
        return "That code is not right. Check the app's clock and try again.", False
    ratelimit.clear(THROTTLE, ident, _throttle_rate())
    otp_login(request, device)
    return None


def _match(user, code):
    code = "".join((code or "").split()).lower()
    if not code:
        return None
    if _digits(code):
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(code):
                return device
        return None
    # A recovery code works once: the conditional delete has one winner.
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None and device.token_set.filter(token=code).delete()[0]:
        logger.info("2fa: %s used a recovery code", user.username)
        return device
    return None


def reset(user):
    """Remove every second factor of `user` (they enrol again at next login)."""
    with atomic():
        totp = TOTPDevice.objects.filter(user=user).delete()[0]
        static = StaticDevice.objects.filter(user=user).delete()[0]
    return totp + static


# ---- the gate --------------------------------------------------------------

EXEMPT_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/static/")
EXEMPT_PATHS = {"/health", "/ping"}


class SecondFactorMiddleware:
    """Staff who have not passed a second factor in this session are sent to
    enrol or to enter a code, from every page but those and logout."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if (
            path not in EXEMPT_PATHS
            and not path.startswith(EXEMPT_PREFIXES)
            and needs_second_factor(request.user)
            and not is_verified(request)
        ):
            target = (
                "accounts:2fa_verify"
                if has_authenticator(request.user)
                else "accounts:2fa_setup"
            )
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse(target)}?{query}")
        return self.get_response(request)
