"""The production settings, for the gunicorn servers the load and fault tests
start: only the password hasher is fast (sign-ups under load would otherwise
measure PBKDF2) and static files need no collectstatic."""

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
