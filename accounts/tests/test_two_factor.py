import logging
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.factories import TEST_PASSWORD
from accounts.testing import current_code, give_authenticator

pytestmark = pytest.mark.django_db

SETUP = reverse("accounts:2fa_setup")
VERIFY = reverse("accounts:2fa_verify")


def _log_in(client, user, path="/accounts/login/"):
    response = client.post(path, {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def _code_from_setup_page(client):
    """Read the secret from the setup page as an app would from the QR code."""
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    key = client.session["accounts.2fa.pending_key"]
    totp = TOTP(bytes.fromhex(key), step=30, t0=0, digits=6, drift=0)
    return f"{totp.token():06d}"


def test_an_approver_with_a_password_but_no_device_cannot_open_the_admin(
    client, approver
):
    _log_in(client, approver)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    # Nor the approver's files outside the admin.
    assert client.get(reverse("dashboard"))["Location"].startswith(SETUP)


def test_the_admin_login_also_leads_to_the_second_factor(client, approver):
    give_authenticator(approver)
    _log_in(client, approver, "/admin/login/?next=/admin/")
    response = client.get("/admin/")
    assert response["Location"].startswith(VERIFY)


def test_an_approver_enrols_with_a_real_code_and_gets_ten_recovery_codes(
    client, approver
):
    _log_in(client, approver)
    code = _code_from_setup_page(client)
    response = client.post(SETUP, {"code": code, "next": "/admin/"})
    assert response.status_code == 200
    body = response.content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", body)
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=approver).confirmed
    assert StaticToken.objects.filter(device__user=approver).count() == 10
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_does_not_enrol(client, approver):
    _log_in(client, approver)
    _code_from_setup_page(client)
    response = client.post(SETUP, {"code": "000000"})
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=approver).exists()
    assert client.get("/admin/").status_code == 302


def test_an_enrolled_approver_is_asked_for_the_code_after_the_password(
    client, approver
):
    device = give_authenticator(approver)
    _log_in(client, approver)
    assert client.get("/admin/")["Location"].startswith(VERIFY)
    response = client.post(VERIFY, {"code": current_code(device), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_works_once(client, approver):
    give_authenticator(approver)
    recovery = StaticDevice.objects.create(user=approver, name="Recovery codes")
    StaticToken.objects.create(device=recovery, token="abcd2345")
    _log_in(client, approver)
    assert client.post(VERIFY, {"code": "abcd2345"}).status_code == 302
    assert client.get("/admin/").status_code == 200

    client.post("/accounts/logout/")
    _log_in(client, approver)
    response = client.post(VERIFY, {"code": "abcd2345"})
    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_wrong_codes_are_throttled_even_before_a_right_one(client, approver, settings):
    settings.RATELIMIT_2FA = "3/15m"
    device = give_authenticator(approver)
    _log_in(client, approver)
    for _ in range(3):
        assert client.post(VERIFY, {"code": "111111"}).status_code == 200
    response = client.post(VERIFY, {"code": current_code(device)})
    assert response.status_code == 429
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_students_are_not_asked(client, student):
    _log_in(client, student)
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(VERIFY)["Location"] == reverse("dashboard")


def test_reset_2fa_removes_the_devices_and_logs_it(approver, caplog):
    give_authenticator(approver)
    StaticDevice.objects.create(user=approver, name="Recovery codes")
    with caplog.at_level(logging.WARNING, logger="accounts.two_factor"):
        call_command("reset_2fa", approver.username)
    assert not TOTPDevice.objects.filter(user=approver).exists()
    assert not StaticDevice.objects.filter(user=approver).exists()
    assert "second factor of approver reset" in caplog.text


def test_after_reset_the_approver_enrols_again(client, approver):
    give_authenticator(approver)
    call_command("reset_2fa", approver.username)
    _log_in(client, approver)
    assert client.get("/admin/")["Location"].startswith(SETUP)


def test_reset_2fa_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named"):
        call_command("reset_2fa", "nobody")
