"""A Redis that hangs or is gone, with the production cache settings: every
request still answers, in bounded time, and sessions do what portal/sessions.py
promises (work on from the database; a logout that cannot end the session says
so)."""

import socket
import threading
import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
LOGOUT = reverse("accounts:logout")


@pytest.fixture
def hung_redis():
    """A server that accepts connections and never answers (a hung Redis)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.fixture
def closed_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"redis://127.0.0.1:{port}/0"


# Each cache call waits one timeout for a hung Redis (about ten calls a page):
# the production options, with a shorter timeout so the suite stays quick.
TIMEOUT = 0.2
# Without timeouts a hung Redis hangs the request for good; with them, about one
# timeout per cache call, plus slack for a busy machine.
BOUND = 30 * TIMEOUT + 2


@pytest.fixture(params=["hung_redis", "closed_port"])
def redis_down(request, settings):
    """The production cache settings (portal/settings.py), pointed at a dead Redis."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": request.getfixturevalue(request.param),
            "OPTIONS": dict.fromkeys(settings.REDIS_CACHE_OPTIONS, TIMEOUT),
        }
    }
    return TIMEOUT


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_the_production_cache_settings_have_socket_timeouts(settings):
    assert settings.REDIS_CACHE_OPTIONS == {
        "socket_connect_timeout": 1.0,
        "socket_timeout": 1.0,
    }
    assert settings.EMAIL_TIMEOUT == 10


def test_pages_answer_in_bounded_time_while_redis_is_down(client, student, redis_down):
    client.force_login(student)
    response, seconds = _timed(lambda: client.get(DASHBOARD))
    print(f"dashboard with Redis down: {seconds:.2f} s")
    assert response.status_code == 200
    assert seconds < BOUND
    response, seconds = _timed(lambda: client.get(reverse("accounts:login")))
    assert response.status_code in (200, 302)
    assert seconds < BOUND


def test_a_login_works_while_redis_is_down(client, student, redis_down):
    from accounts.factories import TEST_PASSWORD

    response, seconds = _timed(
        lambda: client.post(
            reverse("accounts:login"),
            {"username": "student", "password": TEST_PASSWORD},
        )
    )
    assert response.status_code == 302
    assert seconds < BOUND


def test_a_logout_that_cannot_end_the_session_says_so_in_bounded_time(
    client, student, redis_down
):
    client.force_login(student)
    response, seconds = _timed(lambda: client.post(LOGOUT))
    assert response.status_code == 503
    assert "you are still logged in" in response.content.decode()
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    assert seconds < BOUND


def test_a_test_that_needs_redis_fails_in_ci_when_redis_is_absent(
    closed_port, monkeypatch
):
    from portal.tests import redis

    monkeypatch.setattr(redis, "REDIS_URL", closed_port)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI needs it"):
        redis.require_redis()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        redis.require_redis()
