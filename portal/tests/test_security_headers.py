import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.factories import TEST_PASSWORD
from portal.middleware import IdleSessionTimeoutMiddleware

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
LAST = IdleSessionTimeoutMiddleware.LAST_ACTIVITY_KEY


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/health"])
def test_every_page_sends_the_security_headers(client, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_the_admin_allows_inline_styles_but_never_inline_scripts(client):
    csp = client.get(reverse("admin:login"))["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in csp
    assert "script-src 'self';" in csp


def test_hsts_is_sent_over_https(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    client = Client()
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith(
        "max-age=31536000; includeSubDomains"
    )
    # Never over plain HTTP, where it would mean nothing.
    assert "Strict-Transport-Security" not in Client().get("/accounts/login/")


def test_http_is_redirected_to_https_except_the_health_probe(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert Client().get("/health").status_code == 200


def test_cookies_are_httponly_and_secure_when_configured(student, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    client.get(reverse("accounts:login"))
    response = client.post(
        reverse("accounts:login"), {"username": "student", "password": TEST_PASSWORD}
    )
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["secure"]
    assert session["samesite"] == "Lax"
    csrf = client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["secure"]


def test_production_settings_turn_on_the_https_protections():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
        and not k.startswith("SECURE_")
        and not k.endswith("_COOKIE_SECURE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_READ_DOT_ENV_FILE="False",
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example.com",
    )
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SESSION_COOKIE_HTTPONLY,"
        " s.CSRF_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.splitlines()[-1].split() == ["True"] * 6, result.stderr


def test_logging_in_starts_a_new_session(client, student):
    client.get(reverse("accounts:login"))
    session = client.session  # an anonymous session with something in it
    session["cart"] = "kept"
    session.save()
    before = session.session_key
    client.post(
        reverse("accounts:login"), {"username": "student", "password": TEST_PASSWORD}
    )
    after = client.cookies["sessionid"].value
    assert after != before
    assert client.session["cart"] == "kept"
    # The old key no longer opens anything.
    from django.contrib.sessions.backends.db import SessionStore

    assert not SessionStore().exists(before)


def _age_session(client, seconds):
    session = client.session
    session[LAST] = int(time.time()) - seconds
    session.save()


def test_an_idle_session_is_logged_out(student_client, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
    assert student_client.get(reverse("dashboard")).status_code == 200
    _age_session(student_client, 601)
    response = student_client.get(reverse("dashboard"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("accounts:login"))
    assert "logged out after a period without activity" in response.content.decode()
    assert SESSION_KEY not in student_client.session


def test_an_active_session_stays(student_client, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
    student_client.get(reverse("dashboard"))
    _age_session(student_client, 590)
    assert student_client.get(reverse("dashboard")).status_code == 200
    # That visit counted as activity: the clock starts again.
    assert int(time.time()) - student_client.session[LAST] < 5
    _age_session(student_client, 300)
    assert student_client.get(reverse("dashboard")).status_code == 200


def test_a_background_poll_does_not_keep_a_session_alive(student_client, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
    student_client.get(reverse("dashboard"))
    _age_session(student_client, 500)
    student_client.get(reverse("dashboard"), headers={"accept": "application/json"})
    assert int(time.time()) - student_client.session[LAST] >= 500
    _age_session(student_client, 601)
    response = student_client.get(reverse("dashboard"))
    assert response.status_code == 302


def test_the_activity_clock_is_written_at_most_once_a_minute(student_client):
    student_client.get(reverse("dashboard"))
    first = student_client.session[LAST]
    _age_session(student_client, 0)
    key = student_client.session.session_key
    from django.contrib.sessions.models import Session

    saved = Session.objects.get(session_key=key).expire_date
    student_client.get(reverse("dashboard"))
    assert Session.objects.get(session_key=key).expire_date == saved
    assert student_client.session[LAST] >= first


def test_health_never_touches_the_session(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):  # SELECT 1
        assert client.get("/health").status_code == 200
