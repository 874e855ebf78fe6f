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
# ---- Task queue (issue 13) ----
# A real SqliteHuey file, not immediate mode: tests that want a task run at once
# ask for the `immediate_tasks` fixture; worker tests run `manage.py run_huey`
# against the same file (inherited through the environment) and a file database.
_test_dir = tempfile.mkdtemp(prefix="portal-test-")
os.environ.setdefault("TASK_QUEUE_URL", f"sqlite:///{_test_dir}/tasks.sqlite3")

# ---- Object storage (issue 15) ----
# TEST_MEDIA_STORAGE=s3 runs the suite with its private files in a bucket on
# moto's S3 server (portal/tests/s3.py), started here once and handed to every
# subprocess (the task worker, gunicorn) through the environment.
if os.environ.get("TEST_MEDIA_STORAGE", os.environ.get("MEDIA_STORAGE")) == "s3":
    os.environ["MEDIA_STORAGE"] = "s3"
    os.environ.setdefault("AWS_STORAGE_BUCKET_NAME", "portal-test-media")
    if not os.environ.get("AWS_S3_ENDPOINT_URL"):
        from portal.tests import s3 as _s3

        _moto, os.environ["AWS_S3_ENDPOINT_URL"] = _s3.start_server()
        _s3.create_bucket(
            os.environ["AWS_S3_ENDPOINT_URL"], os.environ["AWS_STORAGE_BUCKET_NAME"]
        )

from portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# ---- Task queue (issue 13) ----
# Worker subprocess tests send to a real SMTP server (portal/tests/queue_helpers.py).
if os.environ.get("PORTAL_TEST_EMAIL_URL"):
    vars().update(env.email_url_config(os.environ["PORTAL_TEST_EMAIL_URL"]))  # noqa: F405
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
# ---- Task queue (issue 13) ----
# A file, not memory, so a worker subprocess sees the test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})  # noqa: F405
    DATABASES["default"]["TEST"].setdefault(  # noqa: F405
        "NAME", os.path.join(_test_dir, "test.sqlite3")
    )

# ---- Transcripts (issue 16) ----
# Off unless a test asks for an engine (interviews/tests/test_transcripts.py):
# every other test that processes a recording would otherwise run the recogniser.
TRANSCRIPT_ENGINE = os.environ.get("TRANSCRIPT_ENGINE", "off")
