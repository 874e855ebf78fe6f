"""Read-through cache entries that a write refreshes when its transaction commits.

Reads (`cached`) fill a missing entry with `cache.add`, never `cache.set`, and
writes (`refresh_on_commit`) drop the entry at once and store the new value
after the transaction commits. So a read that loaded the old row just before a
write committed cannot put it back over the new one: its `add` finds the entry
the write stored and does nothing. If the cache loses the entry, the next read
loads it from the database again.

The cache is an accelerator, not a store: when it fails, reads go to the
database and the failure is logged, as the rate limits fail open
(portal/ratelimit.py). Entries live for `timeout` seconds at most, which bounds
how stale an entry can be after an outage swallowed its refresh.
"""

import logging

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

# Stored for a row that no longer exists, so that a late read cannot cache it.
GONE = "portal.caching.GONE"


def cached(key, load, timeout):
    """The value under key, or load() (stored when it is not None)."""
    try:
        value = cache.get(key)
    except Exception:
        logger.exception("cache read failed for %s", key)
        return load()
    if value is None:
        value = load()
        if value is not None:
            _quietly(cache.add, key, value, timeout)
        return value
    return None if value == GONE else value


def refresh_on_commit(key, load, timeout):
    """The row behind key changed: forget it now, store load() after commit."""
    _quietly(cache.delete, key)

    def store():
        value = load()
        _quietly(cache.set, key, GONE if value is None else value, timeout)

    transaction.on_commit(store)


def _quietly(operation, key, *args):
    try:
        operation(key, *args)
    except Exception:
        logger.exception("cache %s failed for %s", operation.__name__, key)
