"""Test helpers for the staff's second factor (accounts/two_factor.py).

`log_in_verified` is `client.force_login` plus a passed second factor, for the
tests of what staff do once logged in; the login itself is tested through the
real forms in accounts/tests/test_two_factor.py.
"""

from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def give_authenticator(user):
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=True
    )


def current_code(device, offset=0):
    """The code the user's app shows now (or `offset` steps away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.drift = offset
    return f"{totp.token():0{device.digits}d}"


def log_in_verified(client, user):
    """Log `client` in as `user`; staff also pass the second factor."""
    client.force_login(user)
    if user.is_staff or user.is_superuser:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = give_authenticator(user).persistent_id
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client
