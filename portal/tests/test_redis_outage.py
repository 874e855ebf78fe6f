"""A Redis that hangs or is gone, with the production cache settings: every
request still answers, in bounded time, and sessions do what portal/sessions.py
promises (work on from the database; a logout that cannot end the session says
so)."""

import re
import select
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
def hung_redis(hung_redis_server):
    return hung_redis_server.url


class HungRedis:
    """A server that accepts connections, reads what is sent and never answers
    (a hung Redis); it counts the commands it was sent."""

    # A command is an array of bulk strings: "*<count>\r\n$<length>\r\n...".
    COMMAND = re.compile(rb"(?:^|\r\n)\*[0-9]+\r\n\$")

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"
        self.received = {}  # open connection -> what it sent
        self.closed = []  # what the connections the client closed sent
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            waiting = [self.listener, *self.received]
            readable, _, _ = select.select(waiting, [], [], 0.05)
            for sock in readable:
                if sock is self.listener:
                    connection, _ = sock.accept()
                    with self.lock:
                        self.received[connection] = b""
                    continue
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                with self.lock:
                    if data:
                        self.received[sock] += data
                    else:  # closed by the client: keep what it sent
                        self.closed.append(self.received.pop(sock))
                        sock.close()

    def commands(self):
        """How many commands have arrived, once what is in flight has."""
        time.sleep(0.3)
        with self.lock:
            sent = [*self.received.values(), *self.closed]
        return sum(len(self.COMMAND.findall(data)) for data in sent)

    def close(self):
        self.stop.set()
        self.thread.join()
        for connection in self.received:
            connection.close()
        self.listener.close()


@pytest.fixture
def hung_redis_server():
    server = HungRedis()
    yield server
    server.close()


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
            "BACKEND": settings.REDIS_CACHE_BACKEND,
            "LOCATION": request.getfixturevalue(request.param),
            "OPTIONS": {
                "socket_connect_timeout": TIMEOUT,
                "socket_timeout": TIMEOUT,
                "breaker_seconds": TIMEOUT,  # each page meets a closed breaker
            },
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
        "breaker_seconds": 5.0,
    }
    assert settings.REDIS_CACHE_BACKEND == "portal.redis_cache.RedisCache"
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


def _breaker_cache(settings, url, window):
    settings.CACHES = {
        "default": {
            "BACKEND": settings.REDIS_CACHE_BACKEND,
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": TIMEOUT,
                "socket_timeout": TIMEOUT,
                "breaker_seconds": window,
            },
        }
    }


def test_after_one_timeout_a_page_does_not_ask_a_hung_redis_again(
    client, student, settings, hung_redis_server
):
    """Without the breaker every cache call of a page waits out its timeout
    (about ten a page, each sent to Redis); with it, the first failure opens
    the breaker and the other calls fail at once, without a word to Redis."""
    _breaker_cache(settings, hung_redis_server.url, window=60)
    client.force_login(student)  # the session's cache write times out: open
    asked = hung_redis_server.commands()
    assert asked >= 1

    assert client.get(DASHBOARD).status_code == 200
    assert client.get(DASHBOARD).status_code == 200
    assert hung_redis_server.commands() == asked


def test_once_the_window_has_passed_one_call_asks_redis_again(
    settings, hung_redis_server
):
    from django.core.cache import cache
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from portal.redis_cache import RedisUnavailable

    _breaker_cache(settings, hung_redis_server.url, window=0.5)
    with pytest.raises(RedisTimeoutError):
        cache.get("a")
    opened = time.monotonic()
    asked = hung_redis_server.commands()
    with pytest.raises(RedisUnavailable):
        cache.get("a")  # open: not sent
    assert hung_redis_server.commands() == asked

    time.sleep(max(0.0, opened + 0.6 - time.monotonic()))
    with pytest.raises(RedisTimeoutError):
        cache.get("a")  # the window passed: asked again, and open again
    with pytest.raises(RedisUnavailable):
        cache.get("a")
    assert hung_redis_server.commands() > asked


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
