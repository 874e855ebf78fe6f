"""Redis for the tests that need it: where it is, and failing (not skipping) in CI.

TEST_REDIS_URL (default redis://$REDIS_HOST:6379/0) says which server and
database; each test uses a key prefix of its own and deletes only its keys (never
FLUSHDB: the server may be shared).
"""

import os
import socket
import time
from urllib.parse import urlsplit

import pytest
from django.core.cache import caches

REDIS_URL = os.environ.get(
    "TEST_REDIS_URL", f"redis://{os.environ.get('REDIS_HOST', '127.0.0.1')}:6379/0"
)


def redis_url(db):
    """The same server, another database (in CI it is the host `redis`)."""
    return REDIS_URL.rsplit("/", 1)[0] + f"/{db}"


def redis_is_up():
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), 0.5):
            return True
    except OSError:
        return False


def require_redis():
    """Skip without Redis, except in CI (CI set), where a missing Redis fails."""
    if redis_is_up():
        return
    message = f"Redis is not running at {REDIS_URL}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI needs it (.ci/run starts it)")
    pytest.skip(message)


@pytest.fixture
def redis_cache(settings):
    require_redis()
    prefix = f"portal-test-{time.time_ns()}"
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    cache = caches["default"]
    yield cache
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
