"""Abuse limits counted in Django's cache, shared by every gunicorn worker.

A limit is a rate such as "10/h" (at most 10 hits per hour) counted in fixed
windows: the window a hit falls in is `now // period`, so a refused client waits
until that window ends, never longer than one period.

Counting has to be exact across processes, but only some cache backends have an
atomic `incr` (Redis, locmem); the database cache's is a read then a write, and two
workers can both read 4 and both write 5. What every backend does atomically is
`add` (insert if absent), so each hit *claims* a numbered slot with `cache.add`:
exactly one caller wins slot n. A plain `incr` counter says where to start looking,
so an uncontended hit costs one `incr` and one `add`.

Usage:

    @login_required
    @require_POST
    @ratelimit(key="user", rate="RATELIMIT_PAYMENT", name="payment")
    def pay(request, slug): ...

`rate` is a literal ("10/h", "5/15m") or the name of a setting holding one, read at
request time so tests can override it.
"""

import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render

from portal.clientip import client_ip

logger = logging.getLogger(__name__)

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Slots outlive their window by a little so a slow hit at the boundary still finds
# the slots claimed before it.
_SLACK_SECONDS = 5


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds

    @classmethod
    def parse(cls, text):
        """ "10/h", "5/15m", "100/d", "3/s"."""
        match = _RATE_RE.match(text or "")
        if not match:
            raise ValueError(f"Not a rate: {text!r} (expected e.g. '10/h' or '5/15m')")
        limit, multiple, unit = match.groups()
        period = int(multiple or 1) * _UNIT_SECONDS[unit]
        if int(limit) < 1 or period < 1:
            raise ValueError(f"Not a rate: {text!r} (limit and period must be >= 1)")
        return cls(int(limit), period)

    def __str__(self):
        return f"{self.limit}/{self.period}s"


def resolve_rate(rate):
    if isinstance(rate, Rate):
        return rate
    if "/" in rate:
        return Rate.parse(rate)
    return Rate.parse(getattr(settings, rate))


@dataclass(frozen=True)
class Usage:
    count: int  # hits in this window, this one included (capped at limit + 1)
    limit: int
    retry_after: int  # seconds until the window ends

    @property
    def exceeded(self):
        return self.count > self.limit

    @property
    def retry_after_minutes(self):
        return max(1, math.ceil(self.retry_after / 60))


def _window(rate, now=None):
    now = time.time() if now is None else now
    index = int(now // rate.period)
    ends_at = (index + 1) * rate.period
    return index, max(1, math.ceil(ends_at - now))


def _base_key(name, key, index):
    # Hash the identity: usernames and emails can be long or contain anything.
    digest = hashlib.sha256(str(key).encode()).hexdigest()[:32]
    return f"rl:{name}:{digest}:{index}"


def hit(name, key, rate):
    """Count one hit of `key` against limit `name`. Returns the Usage after it."""
    rate = resolve_rate(rate)
    index, retry_after = _window(rate)
    base = _base_key(name, key, index)
    timeout = retry_after + _SLACK_SECONDS
    try:
        cache.add(f"{base}:n", 0, timeout)
        try:
            n = cache.incr(f"{base}:n")
        except ValueError:  # expired between add and incr
            cache.add(f"{base}:n", 1, timeout)
            n = 1
        # Lost updates can only make the hint low, never high: n hits at least.
        while n <= rate.limit and not cache.add(f"{base}:{n}", 1, timeout):
            n += 1
    except Exception:
        # A cache outage must not take the site down with it: fail open, loudly.
        logger.exception("rate limit %s: cache unavailable, not counted", name)
        return Usage(0, rate.limit, retry_after)
    return Usage(min(n, rate.limit + 1), rate.limit, retry_after)


def is_exhausted(name, key, rate):
    """True while `key` has used up its limit in this window (does not count)."""
    return peek(name, key, rate).count >= resolve_rate(rate).limit


def peek(name, key, rate):
    """The Usage so far in this window, without counting a hit.

    Exact at the limit (slot `limit` is claimed or not); below it, a lower bound.
    """
    rate = resolve_rate(rate)
    index, retry_after = _window(rate)
    base = _base_key(name, key, index)
    try:
        if cache.get(f"{base}:{rate.limit}") is not None:
            return Usage(rate.limit, rate.limit, retry_after)
        return Usage(cache.get(f"{base}:n", 0), rate.limit, retry_after)
    except Exception:
        logger.exception("rate limit %s: cache unavailable, not checked", name)
        return Usage(0, rate.limit, retry_after)


def clear(name, key, rate):
    """Forget the hits of `key` in this window (e.g. after a successful login)."""
    rate = resolve_rate(rate)
    index, _ = _window(rate)
    base = _base_key(name, key, index)
    try:
        cache.delete_many(
            [f"{base}:n"] + [f"{base}:{n}" for n in range(1, rate.limit + 1)]
        )
    except Exception:
        logger.exception("rate limit %s: cache unavailable, not cleared", name)


def user_key(user):
    """A user's identity for limits. The join date is part of it because ids can be
    reused after a deletion, and a new account must not inherit old counters."""
    return f"{user.pk}.{user.date_joined.timestamp():.6f}"


def _identity(request, key):
    if callable(key):
        return key(request)
    if key == "user":
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user_key(user)}"
        return f"ip:{client_ip(request)}"
    if key == "ip":
        return f"ip:{client_ip(request)}"
    raise ValueError(f"Unknown rate-limit key {key!r}: use 'user', 'ip' or a callable")


def wants_json(request):
    return (
        request.headers.get("x-requested-with") == "XMLHttpRequest"
        or "application/json" in request.headers.get("accept", "")
        or request.content_type == "application/json"
    )


def too_many_requests(request, usage, message=""):
    """The 429 answer: a friendly page, or JSON for scripts; both with Retry-After."""
    minutes = usage.retry_after_minutes
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    message = message or "You have done this too many times in a short while."
    if wants_json(request):
        response = JsonResponse(
            {
                # "error" is the sentence to show, as in the site's other JSON.
                "error": f"{message} Try again in {wait}.",
                "code": "rate_limited",
                "retry_after": usage.retry_after,
            },
            status=429,
        )
    else:
        response = render(
            request, "429.html", {"message": message, "wait": wait}, status=429
        )
    response["Retry-After"] = str(usage.retry_after)
    return response


def ratelimit(key, rate, name, methods=("POST",), message=""):
    """Refuse a view with 429 once `key` ("user", "ip" or a callable returning a
    string, or None to skip) has made more than `rate` requests with `methods`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if settings.RATELIMIT_ENABLED and request.method in methods:
                identity = _identity(request, key)
                if identity:
                    usage = hit(name, identity, rate)
                    if usage.exceeded:
                        logger.warning(
                            "rate limit %s exceeded (%s)", name, resolve_rate(rate)
                        )
                        return too_many_requests(request, usage, message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
