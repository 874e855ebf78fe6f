"""Settings for the video interview portal, read from the environment.

Every value can be set in the environment or in an optional `.env` file at the
project root. With DEBUG off there are no insecure defaults: the site refuses to
start without a real SECRET_KEY, and the HTTPS protections are on unless relaxed
explicitly (for example behind a proxy that terminates TLS).
"""

import re
from datetime import time
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# ---- Tests never read the developer's .env (issue 12, finding 18) ----
# portal/test_settings.py turns this off, and every subprocess the tests start
# inherits it: the .env that `make run` writes must not change what tests see.
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VERSION = "0.1.0"

DEBUG = env.bool("DEBUG", default=False)

# Only ever used with DEBUG on; production refuses it below.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not DEBUG and (
    not SECRET_KEY
    or SECRET_KEY == DEVELOPMENT_SECRET_KEY
    or SECRET_KEY.startswith("django-insecure")
    or len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG is off "
        "(at least 50 characters; never the development key)."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "accounts",
    "payments",
    "interviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body (sessions, CSRF): issue 12, finding 3.
    "portal.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.PrivateCacheControlMiddleware",  # issue 12, finding 10
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.IdleSessionTimeoutMiddleware",
    "portal.middleware.StorageUnavailableMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.StaffOnlyAdminMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site",
            ],
        },
    },
]

# Databases. SQLite (WAL) by default; any DATABASE_URL django-environ understands.
# ---- MongoDB (issue 18) ----
# DATABASE_URL=mongodb://host:port/dbname?... (or mongodb+srv:// for Atlas)
# selects django-mongodb-backend, which django-environ does not know. Its
# parse_uri() turns the URL into the settings; the rest of the MongoDB setup
# (ObjectId keys, migration tree, cache) is at the end of this file.
IS_MONGODB = env.str("DATABASE_URL", default="").startswith(
    ("mongodb://", "mongodb+srv://")
)
if IS_MONGODB:
    import warnings

    from django_mongodb_backend import parse_uri
    from pymongo import uri_parser as pymongo_uri_parser

    with warnings.catch_warnings():
        # Deprecated for Django 6 (then the URL goes into HOST); 5.2 is our LTS.
        warnings.simplefilter("ignore", DeprecationWarning)
        DATABASES = {
            "default": parse_uri(
                env.str("DATABASE_URL"),
                # The URI's own database (its path), else "portal".
                db_name=pymongo_uri_parser.parse_uri(env.str("DATABASE_URL"))[
                    "database"
                ]
                or "portal",
            )
        }
    # The backend, waiting on a write conflict as PostgreSQL waits on a lock.
    DATABASES["default"]["ENGINE"] = "portal.mongodb"
else:
    DATABASES = {
        "default": env.db(
            "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
        )
    }
_db = DATABASES["default"]
_db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
_db["CONN_HEALTH_CHECKS"] = True
_db["ATOMIC_REQUESTS"] = False
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update(
        {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Caches back the rate limits, so they must be shared between gunicorn workers.
REDIS_URL = env.str("REDIS_URL", default="")
# ---- Redis timeouts (issue 12, finding 13) ----
# Without them a hung Redis hangs every request that touches the cache; with
# them each cache call gives up after this long and the callers' outage paths
# run (sessions fall back to the database, limits fail open).
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
# And after a failed call the cache's breaker stays open this long, in each
# process: calls fail at once instead of each waiting out its timeout
# (portal/redis_cache.py).
REDIS_BREAKER_SECONDS = env.float("REDIS_BREAKER_SECONDS", default=5.0)
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "breaker_seconds": REDIS_BREAKER_SECONDS,
}
REDIS_CACHE_BACKEND = "portal.redis_cache.RedisCache"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": REDIS_CACHE_BACKEND,
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
            # The default (300) would cull live counters under an attack.
            "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=200_000)},
        }
    }

# Abuse limits (portal/ratelimit.py, accounts/throttle.py). Rates are "N/period",
# the period one of s, m, h, d with an optional multiple: "10/h", "5/15m".
RATELIMIT_ENABLED = env.bool("RATELIMIT_ENABLED", default=True)
# Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks).
TRUSTED_PROXY_IPS = env.list("TRUSTED_PROXY_IPS", default=[])
LOGIN_FAILURE_WINDOW_MINUTES = env.int("LOGIN_FAILURE_WINDOW_MINUTES", default=15)
LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS = env.int(
    "LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS", default=5
)
LOGIN_MAX_FAILURES_PER_ACCOUNT = env.int("LOGIN_MAX_FAILURES_PER_ACCOUNT", default=20)
LOGIN_MAX_FAILURES_PER_ADDRESS = env.int("LOGIN_MAX_FAILURES_PER_ADDRESS", default=20)
RATELIMIT_SIGNUP = env.str("RATELIMIT_SIGNUP", default="20/h")
RATELIMIT_PASSWORD_RESET_PER_ADDRESS = env.str(
    "RATELIMIT_PASSWORD_RESET_PER_ADDRESS", default="10/h"
)
RATELIMIT_PASSWORD_RESET_PER_EMAIL = env.str(
    "RATELIMIT_PASSWORD_RESET_PER_EMAIL", default="5/h"
)
RATELIMIT_PAYMENT = env.str("RATELIMIT_PAYMENT", default="10/h")
for _name in [
    "RATELIMIT_SIGNUP",
    "RATELIMIT_PASSWORD_RESET_PER_ADDRESS",
    "RATELIMIT_PASSWORD_RESET_PER_EMAIL",
    "RATELIMIT_PAYMENT",
]:
    if not re.fullmatch(r"\s*[1-9]\d*\s*/\s*\d*\s*[smhd]\s*", globals()[_name]):
        raise ImproperlyConfigured(f"{_name} must be a rate like 10/h or 5/15m.")

# ---- Sign-up per email (issue 12, finding 11) ----
# Each sign-up emails the address (a link, or a note to its owner): per email,
# so nobody's mailbox is flooded. The same 429 for a new and a registered one.
RATELIMIT_SIGNUP_PER_EMAIL = env.str("RATELIMIT_SIGNUP_PER_EMAIL", default="5/h")
if not re.fullmatch(r"\s*[1-9]\d*\s*/\s*\d*\s*[smhd]\s*", RATELIMIT_SIGNUP_PER_EMAIL):
    raise ImproperlyConfigured("RATELIMIT_SIGNUP_PER_EMAIL must be a rate like 5/h.")

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-in"
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Kolkata")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploads are private: nothing under MEDIA_ROOT has a public URL. Files are served
# only through permission-checked views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"  # never routed: see portal/urls.py
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "portal.storage_backends.PrivateFileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "private", "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# Anything bigger than this goes to a temporary file on disk, not memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR", default=None)

# ---- Object storage (issue 15) ----
# MEDIA_STORAGE=s3 keeps the private files (proofs, recordings) in an S3 bucket
# (AWS S3, Cloudflare R2, MinIO: any S3-compatible endpoint) through
# django-storages, so several app servers share them; `local` (the default) keeps
# them under MEDIA_ROOT/private. Files stay private either way: no public ACL,
# names made by the server, every read through a permission-checked view that
# answers with a short-lived signed URL (S3), an X-Accel-Redirect (local disk
# behind nginx, MEDIA_ACCEL_REDIRECT) or the bytes themselves.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="local")
if MEDIA_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured("MEDIA_STORAGE must be local or s3.")
# How long a signed URL handed to a browser stays valid.
MEDIA_URL_EXPIRE_SECONDS = env.int("MEDIA_URL_EXPIRE_SECONDS", default=300)
# nginx (deploy/nginx.conf.template) serves local files from its internal
# /_protected/ location once a view has checked the permission.
MEDIA_ACCEL_REDIRECT = env.bool("MEDIA_ACCEL_REDIRECT", default=False)

# ---- Signed media links behind nginx (issue 15) ----
# Behind nginx a recording's view answers with a 302 to a link valid for
# MEDIA_URL_EXPIRE_SECONDS that nginx checks itself (secure_link, location
# /_media/; portal/media_links.py), so a player's seeks skip the app, as they do
# on S3. Off: recordings go through X-Accel-Redirect like the other files.
MEDIA_SIGNED_LINKS = env.bool("MEDIA_SIGNED_LINKS", default=MEDIA_ACCEL_REDIRECT)
if MEDIA_SIGNED_LINKS and not MEDIA_ACCEL_REDIRECT:
    raise ImproperlyConfigured("MEDIA_SIGNED_LINKS needs nginx: MEDIA_ACCEL_REDIRECT.")
# The secret nginx and the app share; written into the rendered nginx config,
# so never SECRET_KEY itself. Empty: one derived from SECRET_KEY by HMAC.
MEDIA_LINK_SECRET = env.str("MEDIA_LINK_SECRET", default="")
if MEDIA_LINK_SECRET and (
    not re.fullmatch(r"[A-Za-z0-9_-]{32,}", MEDIA_LINK_SECRET)
    or MEDIA_LINK_SECRET == SECRET_KEY
):
    # Letters, digits, - and _ only: nginx would read a "$" or a quote in it.
    raise ImproperlyConfigured(
        "MEDIA_LINK_SECRET must be 32 or more of A-Z a-z 0-9 - _, not SECRET_KEY."
    )
if MEDIA_STORAGE == "s3":
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
    if not AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    STORAGES["private"] = {
        "BACKEND": "portal.storage_backends.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            # Unset for AWS itself; https://<account>.r2.cloudflarestorage.com
            # for R2, the server's URL for MinIO or moto.
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="us-east-1"),
            # Keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the
            # environment (or an instance role): never in the settings file.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": MEDIA_URL_EXPIRE_SECONDS,
            "file_overwrite": False,
            "signature_version": "s3v4",
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="auto"),
        },
    }

# Email
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Video Interview Portal <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# ---- Email timeout (issue 12, finding 13): a hung mail server is given up on.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Every absolute link (emails, calendar invites) is built from this, never from the
# request's Host header. Unset, it follows PORT, as `make run` serves there.
SITE_URL = env.str(
    "SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}"
).rstrip("/")

# Security. On by default whenever DEBUG is off; each can be relaxed explicitly.
_secure = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_secure
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_secure)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_secure)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_secure)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# A real idle timeout: portal.middleware.IdleSessionTimeoutMiddleware logs out a
# session unused this long, and keeps the cookie alive while it is in use.
SESSION_IDLE_TIMEOUT_SECONDS = env.int(
    "SESSION_IDLE_TIMEOUT_SECONDS", default=60 * 60 * 8
)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_SECONDS
SESSION_SAVE_EVERY_REQUEST = False
# Sessions are read from the shared cache and written through to the database,
# so a logged-in request does not pay an ORM query for its session, and a
# flushed cache only costs a database read (docs/benchmarks.md).
SESSION_ENGINE = env.str("SESSION_ENGINE", default="portal.sessions")
# The user behind a session is cached the same way (accounts/backends.py):
# saving or deleting a user drops the entry at once.
AUTHENTICATION_BACKENDS = ["accounts.backends.CachedModelBackend"]
AUTH_USER_CACHE_SECONDS = env.int("AUTH_USER_CACHE_SECONDS", default=300)

# ---- Cache audit (issue 15) ----
# Prefixes of portal/caching.py entries read straight from the database, so
# that `make bench` can measure each entry's saving in one run (bench/
# scenarios/cache_audit.py). Empty in production.
CACHE_ENTRIES_OFF = frozenset(env.list("CACHE_ENTRIES_OFF", default=[]))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Load balancers probe /health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health$"]
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

# Payments (UPI)
UPI_PAYEE_VPA = env.str("UPI_PAYEE_VPA", default="interviewportal@upi")
UPI_PAYEE_NAME = env.str("UPI_PAYEE_NAME", default="Video Interview Portal")
DEFAULT_COURSE_FEE = Decimal(env.str("DEFAULT_COURSE_FEE", default="200.00"))
PAYMENT_PROOF_MAX_BYTES = env.int("PAYMENT_PROOF_MAX_BYTES", default=5 * 1024 * 1024)
PAYMENT_PROOF_MAX_PIXELS = env.int("PAYMENT_PROOF_MAX_PIXELS", default=12_000_000)
STATUS_POLL_SECONDS = env.int("STATUS_POLL_SECONDS", default=12)

# Scheduling
INTERVIEW_MIN_NOTICE_HOURS = env.int("INTERVIEW_MIN_NOTICE_HOURS", default=12)
INTERVIEW_MAX_DAYS_AHEAD = env.int("INTERVIEW_MAX_DAYS_AHEAD", default=60)
INTERVIEW_BOOKABLE_START = time.fromisoformat(
    env.str("INTERVIEW_BOOKABLE_START", default="09:00")
)
INTERVIEW_BOOKABLE_END = time.fromisoformat(
    env.str("INTERVIEW_BOOKABLE_END", default="20:00")
)
INTERVIEW_CANCEL_CUTOFF_HOURS = env.int("INTERVIEW_CANCEL_CUTOFF_HOURS", default=6)

# The interview room
INTERVIEW_EARLY_ENTRY_MINUTES = env.int("INTERVIEW_EARLY_ENTRY_MINUTES", default=10)
INTERVIEW_GRACE_MINUTES = env.int("INTERVIEW_GRACE_MINUTES", default=30)
INTERVIEW_RETAKES = env.int("INTERVIEW_RETAKES", default=1)
ANSWER_MAX_BYTES = env.int("ANSWER_MAX_BYTES", default=200 * 1024 * 1024)

# ---- Request body limits (issue 12, finding 3) ----
# The largest body any view takes unless it allows more (portal.http.body_limit):
# a payment proof and its form fields. Larger bodies get 413 before they are read.
REQUEST_MAX_BYTES = env.int(
    "REQUEST_MAX_BYTES", default=PAYMENT_PROOF_MAX_BYTES + 64 * 1024
)
FILE_UPLOAD_HANDLERS = [
    "portal.middleware.BodyLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
RECORDING_RETENTION_DAYS = env.int("RECORDING_RETENTION_DAYS", default=90)

# ---- Logging (issue 12, finding 12) ----
# JSON lines in production (one object per record, request path and user id as
# fields), plain text in development; portal/logging.py.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "portal.logging.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {
            "()": "portal.logging.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s",
        },
    },
    "filters": {"request_context": {"()": "portal.logging.RequestContextFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR", "propagate": True},
        "django.security": {"level": "WARNING", "propagate": True},
    },
}
# Optional: errors to Sentry. sentry-sdk (in requirements.txt) is imported only
# when this is set; portal/logging.py says what is scrubbed from each report.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from portal.logging import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=VERSION,
    )

# ---- Payment proof decoding (issue 12, finding 4) ----
# Decoding a screenshot costs memory in proportion to its pixels: at most this
# many are decoded at once per process; a request that waits longer than
# PAYMENT_PROOF_DECODE_WAIT_SECONDS for a slot is told to try again.
PAYMENT_PROOF_DECODE_CONCURRENCY = env.int(
    "PAYMENT_PROOF_DECODE_CONCURRENCY", default=2
)
PAYMENT_PROOF_DECODE_WAIT_SECONDS = env.float(
    "PAYMENT_PROOF_DECODE_WAIT_SECONDS", default=5.0
)

# ---- Accounts: email verification, two-factor login (issue 12, items 14-16) ----
# Resending the verification email, per user.
RATELIMIT_VERIFY_EMAIL = env.str("RATELIMIT_VERIFY_EMAIL", default="5/h")
if not re.fullmatch(r"\s*[1-9]\d*\s*/\s*\d*\s*[smhd]\s*", RATELIMIT_VERIFY_EMAIL):
    raise ImproperlyConfigured("RATELIMIT_VERIFY_EMAIL must be a rate like 5/h.")

# Two-factor login for staff (accounts/two_factor.py): django-otp's middleware
# right after authentication, the gate after the staff-only admin check.
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.append("accounts.two_factor.SecondFactorMiddleware")
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Video Interview Portal")
# Wrong second-factor codes, per user (counted before the check).
RATELIMIT_2FA = env.str("RATELIMIT_2FA", default="5/15m")
if not re.fullmatch(r"\s*[1-9]\d*\s*/\s*\d*\s*[smhd]\s*", RATELIMIT_2FA):
    raise ImproperlyConfigured("RATELIMIT_2FA must be a rate like 5/15m.")
# The Account page (interviews/privacy.py): downloads of one's data, and password
# attempts before deleting an account, per user.
RATELIMIT_DATA_EXPORT = env.str("RATELIMIT_DATA_EXPORT", default="10/h")
RATELIMIT_DELETE_ACCOUNT = env.str("RATELIMIT_DELETE_ACCOUNT", default="5/h")
for _name in ["RATELIMIT_DATA_EXPORT", "RATELIMIT_DELETE_ACCOUNT"]:
    if not re.fullmatch(r"\s*[1-9]\d*\s*/\s*\d*\s*[smhd]\s*", globals()[_name]):
        raise ImproperlyConfigured(f"{_name} must be a rate like 10/h or 5/15m.")

# ---- Task queue (issue 13) ----
# Huey (huey.contrib.djhuey). Embedded default: SqliteHuey on a file next to the
# SQLite database, so `make run` needs no other server. TASK_QUEUE_URL (or
# REDIS_URL) redis://... shares one queue between machines and workers.
INSTALLED_APPS += ["huey.contrib.djhuey", "portal"]  # portal: portal/tasks.py
TASK_QUEUE_URL = env.str(
    "TASK_QUEUE_URL",
    default=REDIS_URL or f"sqlite:///{BASE_DIR / 'tasks.sqlite3'}",
)
TASK_WORKERS = env.int("TASK_WORKERS", default=2)
TASK_WORKER_TYPE = env.str("TASK_WORKER_TYPE", default="thread")
if TASK_WORKER_TYPE not in ("thread", "process"):
    raise ImproperlyConfigured("TASK_WORKER_TYPE must be thread or process.")
# /health says "degraded" when the oldest waiting task is older than this.
TASK_QUEUE_MAX_AGE_SECONDS = env.int("TASK_QUEUE_MAX_AGE_SECONDS", default=300)
if TASK_QUEUE_URL.startswith(("redis://", "rediss://", "unix://")):
    # A hung Redis must not hang the request that enqueues (portal/queue.py).
    _huey_class, _huey_connection = (
        "portal.queue.RedisQueue",
        {
            "redis_url": TASK_QUEUE_URL,
            "socket_timeout": env.float("TASK_QUEUE_TIMEOUT", default=5),
        },
    )
elif TASK_QUEUE_URL.startswith("sqlite:///"):
    _huey_class, _huey_connection = (
        "portal.queue.SqliteQueue",
        {
            "filename": TASK_QUEUE_URL.removeprefix("sqlite:///"),
        },
    )
else:
    raise ImproperlyConfigured("TASK_QUEUE_URL must be sqlite:///path or redis://.")
HUEY = {
    "huey_class": _huey_class,
    "name": env.str("TASK_QUEUE_NAME", default="portal"),
    "immediate": False,
    "results": False,  # tasks tell by their effects (rows, emails), not results
    "utc": True,
    "connection": _huey_connection,
    "consumer": {
        "workers": TASK_WORKERS,
        "worker_type": TASK_WORKER_TYPE,
        # SIGTERM (honcho, systemd, docker stop) finishes the tasks in hand.
        "graceful_signal": "TERM",
        "periodic": True,
        "check_worker_health": True,
    },
}
# Email delivery (portal/emails.py): tries with exponential backoff, then gives up.
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=7)
EMAIL_RETRY_BASE_SECONDS = env.float("EMAIL_RETRY_BASE_SECONDS", default=60)
# A claimed email unsent this long (its worker was killed) is tried again.
EMAIL_STUCK_AFTER_SECONDS = env.int("EMAIL_STUCK_AFTER_SECONDS", default=300)
# The worker logs through our handler (run_huey adds its own only if none).
LOGGING["loggers"]["huey"] = {"handlers": ["console"], "propagate": False}

# ---- Resumable answer uploads (issue 14) ----
# The room sends each answer in slices while it records (interviews/resumable.py);
# a chunk request is never bigger than this.
ANSWER_CHUNK_MAX_BYTES = env.int("ANSWER_CHUNK_MAX_BYTES", default=2 * 1024 * 1024)
# A 30-minute interview in 3-second slices is 600 chunks, plus resends.
RATELIMIT_ANSWER_CHUNK = env.str("RATELIMIT_ANSWER_CHUNK", default="2000/h")
if not re.fullmatch(r"\s*[1-9]\d*\s*/\s*\d*\s*[smhd]\s*", RATELIMIT_ANSWER_CHUNK):
    raise ImproperlyConfigured("RATELIMIT_ANSWER_CHUNK must be a rate like 10/h.")
# An answer still recording that no chunk has touched for this long is removed,
# row and file, by the periodic cleanup (interviews/housekeeping.py).
UNFINISHED_ANSWER_MAX_HOURS = env.int("UNFINISHED_ANSWER_MAX_HOURS", default=24)
FFMPEG_BINARY = env.str("FFMPEG_BINARY", default="ffmpeg")
FFPROBE_BINARY = env.str("FFPROBE_BINARY", default="ffprobe")

# ---- Analytics and metrics (issue 19) ----
# Decisions slower than this count as "longer than the target" on the analytics page.
ANALYTICS_TURNAROUND_TARGET_HOURS = env.int(
    "ANALYTICS_TURNAROUND_TARGET_HOURS", default=24
)
# /metrics (Prometheus) answers 404 while this is unset; scrapers send it as
# "Authorization: Bearer <token>".
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Outermost, so the latency it records covers every other middleware.
MIDDLEWARE.insert(0, "portal.metrics.RequestMetricsMiddleware")

# ---- Statements and fraud signals (issue 17) ----
STATEMENT_MAX_BYTES = env.int("STATEMENT_MAX_BYTES", default=5 * 1024 * 1024)
STATEMENT_MAX_ROWS = env.int("STATEMENT_MAX_ROWS", default=20_000)
# Hamming distance (of 64 bits) at or under which two proofs look the same: the
# test screenshots re-saved, cropped 5%, resized or touched differ by 0-8, other
# layouts by 28 or more (payments/tests/test_fraud.py).
PROOF_PHASH_MAX_DISTANCE = env.int("PROOF_PHASH_MAX_DISTANCE", default=10)

# ---- Dates written one way (issue 16) ----
# portal/formats/en/formats.py: one form for dates, one for date and time, read
# by templates, portal/dates.py and the admin alike.
FORMAT_MODULE_PATH = ["portal.formats"]

# ---- Transcripts (issue 16) ----
# Each processed answer is transcribed in the background (interviews/transcripts.py):
# "pocketsphinx" runs offline with the English model inside its package;
# "faster-whisper" (much better) needs `pip install faster-whisper` and a model
# directory on the server; "off" transcribes nothing.
TRANSCRIPT_ENGINES = ("pocketsphinx", "faster-whisper", "off")
TRANSCRIPT_ENGINE = env.str("TRANSCRIPT_ENGINE", default="pocketsphinx")
if TRANSCRIPT_ENGINE not in TRANSCRIPT_ENGINES:
    raise ImproperlyConfigured(
        f"TRANSCRIPT_ENGINE must be one of {', '.join(TRANSCRIPT_ENGINES)}."
    )
# A CTranslate2 model directory (e.g. a copy of Systran/faster-whisper-small).
WHISPER_MODEL_DIR = env.str("WHISPER_MODEL_DIR", default="")
if TRANSCRIPT_ENGINE == "faster-whisper" and not WHISPER_MODEL_DIR:
    raise ImproperlyConfigured(
        "TRANSCRIPT_ENGINE=faster-whisper needs WHISPER_MODEL_DIR."
    )
WHISPER_DEVICE = env.str("WHISPER_DEVICE", default="cpu")
WHISPER_COMPUTE_TYPE = env.str("WHISPER_COMPUTE_TYPE", default="int8")
# The language spoken in answers (faster-whisper; pocketsphinx knows English only).
TRANSCRIPT_LANGUAGE = env.str("TRANSCRIPT_LANGUAGE", default="en")

# ---- MongoDB (issue 18), continued ----
# ObjectId keys on MongoDB only: the SQL migrations keep BigAutoField. Our app
# configs follow DEFAULT_AUTO_FIELD; the contrib and django-otp ones hard-code
# AutoField, so on MongoDB they are swapped for portal/mongo_apps.py's. Every
# app with models migrates from portal/mongo_migrations/<label>/ there, made by
# makemigrations on MongoDB (`make mongo-migrations`).
if IS_MONGODB:
    DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
    _mongo_app_configs = {
        "django.contrib.admin": "portal.mongo_apps.MongoAdminConfig",
        "django.contrib.auth": "portal.mongo_apps.MongoAuthConfig",
        "django.contrib.contenttypes": "portal.mongo_apps.MongoContentTypesConfig",
        "django_otp.plugins.otp_static": "portal.mongo_apps.MongoOTPStaticConfig",
        "django_otp.plugins.otp_totp": "portal.mongo_apps.MongoOTPTOTPConfig",
    }
    INSTALLED_APPS = [_mongo_app_configs.get(app, app) for app in INSTALLED_APPS]
    MIGRATION_MODULES = {
        label: f"portal.mongo_migrations.{label}"
        for label in [
            "admin",
            "auth",
            "contenttypes",
            "sessions",
            "otp_static",
            "otp_totp",
            "accounts",
            "payments",
            "interviews",
        ]
    }
    # Django's DatabaseCache is SQL only. Redis when REDIS_URL is set (above),
    # else a collection in the same database (portal/mongo_cache.py), whose
    # `add` is one atomic insert as the rate limits and login throttle need.
    if not REDIS_URL:
        CACHES = {
            "default": {
                "BACKEND": "portal.mongo_cache.MongoDBCache",
                "LOCATION": "portal_cache",
            }
        }
