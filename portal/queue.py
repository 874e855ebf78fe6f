"""The task queue (huey): the site's two queue classes and what /health reports.

Each waiting task carries the time it was enqueued (or became due, for a
scheduled retry), so the age of the oldest waiting task can be reported without
a second bookkeeping store.
"""

import logging
import struct
import time

from huey import RedisHuey, SqliteHuey
from huey.storage import RedisStorage, SqliteStorage
from redis import ConnectionPool

logger = logging.getLogger(__name__)

# Pickled messages start with b"\x80"; this prefix cannot be mistaken for one.
_STAMP = b"\x00at"
_STAMP_SIZE = len(_STAMP) + 8


def enqueued_at(data):
    """The UNIX time a serialized task was enqueued, or None if it has no stamp."""
    data = bytes(data)
    if not data.startswith(_STAMP):
        return None
    return struct.unpack(">d", data[len(_STAMP) : _STAMP_SIZE])[0]


class EnqueuedAtMixin:
    def serialize_task(self, task):
        stamp = _STAMP + struct.pack(">d", time.time())
        return stamp + super().serialize_task(task)

    def deserialize_task(self, data):
        data = bytes(data)
        if data.startswith(_STAMP):
            data = data[_STAMP_SIZE:]
        return super().deserialize_task(data)

    def oldest_enqueued_data(self):
        """The serialized task that has waited longest, or None."""
        items = self.storage.enqueued_items(limit=1)
        return items[0] if items else None


class SqliteQueue(EnqueuedAtMixin, SqliteHuey):
    """The embedded queue: one SQLite file, shared by the site and its workers."""

    def oldest_enqueued_data(self):
        # Priorities are not used here, so the lowest id waited longest.
        storage = self.storage
        if not isinstance(storage, SqliteStorage):  # immediate mode: memory
            return super().oldest_enqueued_data()
        rows = storage.sql(
            "select data from task where queue = ? order by id limit 1",
            (storage.name,),
            results=True,
        )
        return rows[0][0] if rows else None


class RedisQueue(EnqueuedAtMixin, RedisHuey):
    """The shared queue: several machines and workers on one Redis."""

    def __init__(self, name="huey", redis_url=None, socket_timeout=5, **kwargs):
        if redis_url:
            kwargs["connection_pool"] = ConnectionPool.from_url(
                redis_url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
            )
        super().__init__(name, **kwargs)

    def oldest_enqueued_data(self):
        if not isinstance(self.storage, RedisStorage):  # immediate mode: memory
            return super().oldest_enqueued_data()
        # Enqueued with LPUSH, taken with RPOP: the oldest is at the right end.
        return self.storage.conn.lindex(self.storage.queue_key, -1)


def queue_stats():
    """{"reachable": bool, "waiting": int, "oldest_age_seconds": float | None}."""
    from huey.contrib.djhuey import HUEY

    try:
        waiting = HUEY.pending_count()
        oldest = HUEY.oldest_enqueued_data() if waiting else None
    except Exception as exc:  # any storage error means "unreachable"
        logger.warning("task queue unreachable: %s", type(exc).__name__)
        return {"reachable": False, "waiting": 0, "oldest_age_seconds": None}
    stamp = enqueued_at(oldest) if oldest is not None else None
    age = None if stamp is None else round(max(0.0, time.time() - stamp), 1)
    return {"reachable": True, "waiting": waiting, "oldest_age_seconds": age}
