"""Sessions read from the shared cache and written through to the database.

Django's cached_db store, made to survive a cache outage: a session that cannot
be read from the cache is read from the database, and a failed cache write is
logged, so a logged-in site keeps working while Redis is down.

One failure is not swallowed: removing a session from the cache when it ends
(logout, or a session cut by the idle timeout). A session left in the cache
would come back when the cache does, so logging out must fail visibly rather
than seem to succeed: SessionCacheError, which portal/middleware.py answers
with a 503 page asking to try again. When `login` replaces the visitor's
anonymous session key, the old key's entry holds no login, so a failure there
is only logged.
"""

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)


class SessionCacheError(Exception):
    """A session could not be removed from the cache, so it has not ended."""


class SessionStore(cached_db.SessionStore):
    _cycling = False

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.exception("session cache read failed")
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(
                self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date)
            )
        except Exception:
            logger.exception("session cache write failed")
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            logger.exception("session cache read failed")
        return cached_db.DBStore.exists(self, session_key)

    def cycle_key(self):
        self._cycling = True
        try:
            super().cycle_key()
        finally:
            self._cycling = False

    def delete(self, session_key=None):
        # The cache first: if it cannot forget the session, the session stays
        # whole (in both stores) and the visitor is told, instead of half-ended.
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception as error:
            if not self._cycling:
                raise SessionCacheError(str(error)) from error
            logger.exception("session cache delete failed for a replaced key")
        cached_db.DBStore.delete(self, session_key)
