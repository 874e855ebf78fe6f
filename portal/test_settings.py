"""Settings for the test suite: fast hasher, locmem email, throwaway media."""

import atexit
import os
import shutil
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
    # On a RAM disk where there is one: as quick as the in-memory database.
    _ram = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (mkdtemp: 0700)
    _folder = tempfile.mkdtemp(prefix="portal-test-db-", dir=_ram)
    atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(_folder, "test.sqlite3")
    }
