"""Django's Redis cache with a circuit breaker (issue 12, finding 13).

Every caller of the cache already survives a failed call: sessions go on from
the database, cache entries are read from the database, rate limits fail open
(portal/sessions.py, portal/caching.py, portal/ratelimit.py). What a hung Redis
still cost was time: each cache call waited out its socket timeout, about ten
calls a page, so about ten seconds a page at the production timeout of 1 s.

Here the first call that fails (a timeout, a refused or dropped connection)
opens the breaker of that Redis for REDIS_BREAKER_SECONDS, in this process:
until then every call fails at once with the same kind of error, without
touching the network. The first call after that tries Redis again; if it fails
too, the breaker opens again. A Redis that is down costs each process one
timeout per REDIS_BREAKER_SECONDS instead of one per call.
"""

import functools
import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

DEFAULT_BREAKER_SECONDS = 5.0
# The client's calls that reach Redis (Django 5.2's RedisCacheClient).
OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


class RedisUnavailable(RedisConnectionError):
    """Raised while the breaker is open: Redis failed a moment ago."""


class Breaker:
    """Open for `seconds` after a failure; shared by the threads of a process."""

    _all = {}
    _lock = threading.Lock()

    def __init__(self, name, seconds):
        self.name = name
        self.seconds = seconds
        self.open_until = 0.0

    @classmethod
    def for_servers(cls, servers, seconds):
        name = ",".join(servers)
        with cls._lock:
            breaker = cls._all.get(name)
            if breaker is None:
                breaker = cls._all[name] = cls(name, seconds)
            breaker.seconds = seconds
            return breaker

    def check(self):
        if time.monotonic() < self.open_until:
            raise RedisUnavailable(
                f"Redis failed less than {self.seconds:g} s ago; not asked again yet"
            )

    def trip(self, error):
        was_closed = time.monotonic() >= self.open_until
        self.open_until = time.monotonic() + self.seconds
        if was_closed:
            logger.warning(
                "Redis cache unreachable (%s): cache calls fail at once for %g s",
                error,
                self.seconds,
            )


class BreakerClient(RedisCacheClient):
    def __init__(self, servers, breaker_seconds=DEFAULT_BREAKER_SECONDS, **options):
        super().__init__(servers, **options)
        self.breaker = Breaker.for_servers(servers, breaker_seconds)


def _guarded(name):
    operation = getattr(RedisCacheClient, name)

    @functools.wraps(operation)
    def call(self, *args, **kwargs):
        self.breaker.check()
        try:
            return operation(self, *args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as error:
            self.breaker.trip(error)
            raise

    return call


for _name in OPERATIONS:
    setattr(BreakerClient, _name, _guarded(_name))


class RedisCache(DjangoRedisCache):
    """`BACKEND: portal.redis_cache.RedisCache`; OPTIONS as Django's, plus
    `breaker_seconds`."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = BreakerClient
