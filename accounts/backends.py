"""The user behind a session, read from the shared cache instead of the database.

Every logged-in request asks the authentication backend for its user. With
Django's ModelBackend that is one ORM query per request, most of the fixed cost
of a logged-in page (docs/benchmarks.md). This backend keeps the loaded user in
the shared cache (the one the sessions and the rate limits use).

Saving or deleting a user (password change, deactivation, staff flag, last
login) drops the entry at once and stores the committed row after the
transaction commits (portal/caching.py), so a request never sees an older user
than the database holds. Permissions and groups are not part of the entry: they
are loaded from the database when asked for, as before. The session's own check
against the password hash runs on every request, as before.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from portal.caching import CommittedCache


def _load(user_id):
    return get_user_model()._default_manager.filter(pk=user_id).first()


users = CommittedCache("accounts:user", _load, lambda: settings.AUTH_USER_CACHE_SECONDS)


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = users.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
