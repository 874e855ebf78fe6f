import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from portal import ratelimit
from portal.ratelimit import Rate

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "newbie",
    "full_name": "New Bie",
    "email": "newbie@example.com",
    "phone": "9876543210",
    "password1": "Strong-Pass-2026!",
    "password2": "Strong-Pass-2026!",
}


@pytest.mark.parametrize(
    ("text", "limit", "period"),
    [("10/h", 10, 3600), ("5/15m", 5, 900), ("3/s", 3, 1), (" 100 / d ", 100, 86400)],
)
def test_it_parses_rates(text, limit, period):
    assert Rate.parse(text) == Rate(limit, period)


@pytest.mark.parametrize("text", ["", "10", "0/h", "10/w", "ten/h", "10/0m", "-1/h"])
def test_it_refuses_bad_rates(text):
    with pytest.raises(ValueError):
        Rate.parse(text)


def test_it_counts_hits_and_refuses_past_the_limit():
    usages = [ratelimit.hit("t", "alice", "3/h") for _ in range(5)]
    assert [u.count for u in usages] == [1, 2, 3, 4, 4]
    assert [u.exceeded for u in usages] == [False, False, False, True, True]
    assert 0 < usages[-1].retry_after <= 3600
    # Other keys and other limits are counted apart.
    assert not ratelimit.hit("t", "bob", "3/h").exceeded
    assert not ratelimit.hit("other", "alice", "3/h").exceeded


def test_peek_and_clear():
    assert ratelimit.peek("t", "k", "2/h").count == 0
    ratelimit.hit("t", "k", "2/h")
    assert ratelimit.peek("t", "k", "2/h").count == 1
    ratelimit.hit("t", "k", "2/h")
    assert ratelimit.is_exhausted("t", "k", "2/h")
    ratelimit.clear("t", "k", "2/h")
    assert not ratelimit.is_exhausted("t", "k", "2/h")
    assert ratelimit.hit("t", "k", "2/h").count == 1


def test_the_limit_lifts_when_the_window_ends():
    # Start at the beginning of a 1-second window so the two hits share it.
    time.sleep(1 - time.time() % 1)
    ratelimit.hit("t", "fast", "1/s")
    assert ratelimit.hit("t", "fast", "1/s").exceeded
    time.sleep(1.05)
    assert not ratelimit.hit("t", "fast", "1/s").exceeded


def test_a_lost_increment_does_not_lose_a_hit():
    # Two workers read the database cache's counter at once and both write n + 1;
    # the slots still count both hits.
    rate = Rate(5, 3600)
    ratelimit.hit("t", "race", rate)
    index, _ = ratelimit._window(rate)
    base = ratelimit._base_key("t", "race", index)
    cache.set(f"{base}:n", 0, 3600)  # the counter fell behind
    assert ratelimit.hit("t", "race", rate).count == 2
    assert ratelimit.hit("t", "race", rate).count == 3


def test_signup_is_limited_per_address(client, settings):
    settings.RATELIMIT_SIGNUP = "2/h"
    url = reverse("accounts:signup")
    for n in range(2):
        response = client.post(url, {**SIGNUP, "username": f"x{n}", "email": ""})
        assert response.status_code == 200  # a form error, counted all the same
    response = client.post(url, SIGNUP)
    assert response.status_code == 429
    assert response["Retry-After"].isdigit()
    body = response.content.decode()
    assert "Please slow down" in body
    assert "Too many sign-ups were tried from your network." in body
    assert "Try again in" in body
    # Nothing was created by the refused request.
    from accounts.models import User

    assert not User.objects.filter(username="newbie").exists()
    # Another address is not affected.
    response = client.post(url, SIGNUP, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302


def test_a_script_gets_json_with_retry_after(client, settings):
    settings.RATELIMIT_SIGNUP = "1/h"
    url = reverse("accounts:signup")
    client.post(url, {"username": "a"})
    response = client.post(
        url, {"username": "b"}, headers={"accept": "application/json"}
    )
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["code"] == "rate_limited"
    assert int(response["Retry-After"]) == data["retry_after"] > 0
    assert "Too many sign-ups" in data["error"]
    assert "Try again in" in data["error"]


def test_gets_are_not_counted(client, settings):
    settings.RATELIMIT_SIGNUP = "1/h"
    url = reverse("accounts:signup")
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert client.post(url, SIGNUP).status_code == 302


def test_limits_can_be_switched_off(client, settings):
    settings.RATELIMIT_SIGNUP = "1/h"
    settings.RATELIMIT_ENABLED = False
    url = reverse("accounts:signup")
    client.post(url, {"username": "a"})
    assert client.post(url, SIGNUP).status_code == 302


def test_password_reset_is_limited_per_email(client, student, settings):
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    settings.RATELIMIT_PASSWORD_RESET_PER_EMAIL = "2/h"
    url = reverse("accounts:password_reset")
    for _ in range(2):
        assert client.post(url, {"email": student.email.upper()}).status_code == 302
    response = client.post(url, {"email": student.email}, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    assert "Too many reset links were asked for this email address." in (
        response.content.decode()
    )
    assert HUEY.pending_count() == 2  # two reset emails queued (issue 13)
    HUEY.flush()
    # Another address still gets its link.
    assert client.post(url, {"email": "other@example.com"}).status_code == 302


def test_password_reset_is_limited_per_address(client, settings):
    settings.RATELIMIT_PASSWORD_RESET_PER_ADDRESS = "3/h"
    url = reverse("accounts:password_reset")
    for n in range(3):
        assert client.post(url, {"email": f"a{n}@example.com"}).status_code == 302
    response = client.post(url, {"email": "a9@example.com"})
    assert response.status_code == 429
    assert "from your network" in response.content.decode()


def test_a_cache_outage_fails_open(client, settings):
    # A cache nobody listens on: the limits stop counting, the site keeps working.
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.redis_cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    settings.RATELIMIT_SIGNUP = "1/h"
    url = reverse("accounts:signup")
    client.post(url, {"username": "a"})
    assert client.post(url, SIGNUP).status_code == 302


def _hammer(rate, name, threads=12, per_thread=5):
    allowed = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker():
        barrier.wait()
        try:
            for _ in range(per_thread):
                usage = ratelimit.hit(name, "shared", rate)
                with lock:
                    allowed.append(not usage.exceeded)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return allowed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_on_the_database_cache_never_exceed_the_limit():
    if connection.vendor not in ("postgresql", "mongodb"):  # issue 18
        pytest.skip("needs PostgreSQL: SQLite test databases are per-thread")
    name = f"pg-{time.time_ns()}"
    allowed = _hammer(Rate(20, 3600), name)
    assert len(allowed) == 60
    assert allowed.count(True) == 20
