"""Sessions read from the cache (portal/sessions.py)."""

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("dashboard")
LOGOUT = reverse("accounts:logout")
DEAD_CACHE = {
    "default": {
        "BACKEND": "portal.redis_cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
}


def _cookie(client):
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def test_a_session_outlives_the_cache(student_client, student):
    student_client.get(DASHBOARD)
    cache.clear()

    assert student_client.get(DASHBOARD).status_code == 200


def test_a_logged_out_cookie_no_longer_works(client, student_client):
    student_client.get(DASHBOARD)  # the session is now in the cache
    old = _cookie(student_client)

    student_client.post(LOGOUT)
    client.cookies[django_settings.SESSION_COOKIE_NAME] = old

    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=old).exists()


def test_students_keep_working_while_the_cache_is_down(client, student, settings):
    settings.CACHES = DEAD_CACHE
    client.force_login(student)

    assert client.get(DASHBOARD).status_code == 200
    assert Session.objects.filter(session_key=_cookie(client)).exists()


def test_logout_says_so_when_it_cannot_end_the_session(client, student, settings):
    client.force_login(student)
    client.get(DASHBOARD)
    settings.CACHES = DEAD_CACHE

    response = client.post(LOGOUT)

    assert response.status_code == 503
    assert "you are still logged in" in response.content.decode()
    assert Session.objects.filter(session_key=_cookie(client)).exists()


def test_an_idle_logout_says_so_when_it_cannot_end_the_session(
    client, student, settings
):
    client.force_login(student)
    session = client.session
    session["_last_activity"] = 1  # long ago
    session.save()
    settings.CACHES = DEAD_CACHE

    response = client.get(DASHBOARD)

    assert response.status_code == 503
    assert "you are still logged in" in response.content.decode()
    assert Session.objects.filter(session_key=_cookie(client)).exists()
