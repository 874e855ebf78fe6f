"""Read-through cache entries that a write refreshes when its transaction commits.

Reads (`CommittedCache.get`) fill a missing entry with `cache.add`, never
`cache.set`, and writes (`CommittedCache.refresh`) drop the entry at once and
store the new value after the transaction commits. So a read that loaded the
old row just before a write committed cannot put it back over the new one: its
`add` finds the entry the write stored and does nothing. If the cache loses
the entry, the next read loads it from the database again.

The cache is an accelerator, not a store: when it fails, reads go to the
database and the failure is logged, as the rate limits fail open
(portal/ratelimit.py). Entries live for `timeout` seconds at most, which bounds
how stale an entry can be after an outage swallowed its refresh.
"""

import logging

from django.conf import settings
from django.core.cache import cache

from portal.db import on_commit

logger = logging.getLogger(__name__)

# Stored for a row that no longer exists, so that a late read cannot cache it.
GONE = "portal.caching.GONE"


class CommittedCache:
    """One kind of entry: `load(ident)` is the row (None when there is none),
    kept under "<prefix>:<ident>" for `timeout` seconds (or `timeout()`, read on
    every write, for a timeout that comes from settings).

    `get(ident)` reads through the cache; `refresh(ident)` is called by whatever
    changes the row, inside its transaction.
    """

    def __init__(self, prefix, load, timeout):
        self.prefix = prefix
        self.load = load
        self.timeout = timeout

    def key(self, ident=""):
        return f"{self.prefix}:{ident}"

    def get(self, ident=""):
        if self.prefix in settings.CACHE_ENTRIES_OFF:  # measured without it
            return self.load(ident)
        key = self.key(ident)
        try:
            value = cache.get(key)
        except Exception:
            logger.exception("cache read failed for %s", key)
            return self.load(ident)
        if value is None:
            value = self.load(ident)
            if value is not None:
                _quietly(cache.add, key, value, self._timeout())
            return value
        return None if value == GONE else value

    def refresh(self, ident=""):
        """The row changed: forget it now, store the committed row after commit."""
        key = self.key(ident)
        _quietly(cache.delete, key)

        def store():
            value = self.load(ident)
            _quietly(cache.set, key, GONE if value is None else value, self._timeout())

        on_commit(store)

    def _timeout(self):
        return self.timeout() if callable(self.timeout) else self.timeout


def _quietly(operation, key, *args):
    try:
        operation(key, *args)
    except Exception:
        logger.exception("cache %s failed for %s", operation.__name__, key)
