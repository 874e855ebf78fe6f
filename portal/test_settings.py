"""Settings for the test suite: fast hasher, locmem email, throwaway media."""

import os
import tempfile

# Never the developer's .env (the one `make run` writes), here or in a subprocess.
os.environ["DJANGO_READ_DOT_ENV_FILE"] = "False"
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault(
    "SECRET_KEY", "test-" + "x7Qp2LmN9vRs4TkW8zYb3HcJ6fDg1AeU5oIy0" * 2
)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
os.environ.setdefault("SESSION_COOKIE_SECURE", "False")
os.environ.setdefault("CSRF_COOKIE_SECURE", "False")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="portal-test-media-")

from portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_AUTOREFRESH = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# ---- A file for the SQLite test database (issue 12, finding 2) ----
# An in-memory SQLite database shared between threads answers "table is locked"
# at once instead of waiting, so no concurrency test could run on it; a file
# in WAL mode waits (busy_timeout), as the site's own database does.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.mkdtemp(prefix="portal-test-db-"), "test.sqlite3")
    }
