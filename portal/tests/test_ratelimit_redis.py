"""The same limits with Redis as the cache (REDIS_URL set)."""

import pytest
from django.urls import reverse

from portal import ratelimit
from portal.ratelimit import Rate
from portal.tests.test_ratelimit import SIGNUP, _hammer

pytestmark = pytest.mark.django_db


def test_it_counts_in_redis(redis_cache):
    usages = [ratelimit.hit("t", "alice", "2/h") for _ in range(3)]
    assert [u.exceeded for u in usages] == [False, False, True]
    assert redis_cache.get(
        f"{ratelimit._base_key('t', 'alice', ratelimit._window(Rate(2, 3600))[0])}:n"
    )


def test_concurrent_hits_in_redis_never_exceed_the_limit(redis_cache):
    allowed = _hammer(Rate(20, 3600), "redis-race")
    assert len(allowed) == 60
    assert allowed.count(True) == 20


def test_signup_is_limited_with_redis(redis_cache, client, settings):
    settings.RATELIMIT_SIGNUP = "1/h"
    url = reverse("accounts:signup")
    client.post(url, {"username": "a"})
    assert client.post(url, SIGNUP).status_code == 429
