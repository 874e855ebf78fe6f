"""Log records with the request's path and user id; JSON lines in production.

The request fields are attributes of the record (`record.path`,
`record.user_id`), never text added to `record.msg`: a message is a format
string, and a path such as `/a%s` pasted into it made `getMessage()` raise, so
the 500 it was reporting was never logged.

Settings (portal/settings.py): LOG_FORMAT `json` (one JSON object a line, the
default with DEBUG off) or `plain` (the default with DEBUG on); LOG_LEVEL.
"""

import logging
import re
from urllib.parse import urlsplit, urlunsplit

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter


class RequestContextFilter(logging.Filter):
    """Adds the request path and user id to records that carry a request.

    Only the path and the numeric id: never the body, the query string or headers,
    so passwords and tokens do not reach the logs.
    """

    def filter(self, record):
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            try:
                user = getattr(request, "user", None)
                user_id = getattr(user, "pk", None) if user is not None else None
            except Exception:
                # Loading the user needs the database, which may be what just
                # failed: a log filter that raises turns a friendly 500 page into
                # the server's bare one.
                user_id = "unknown"
            record.path = request.path
            record.method = request.method
            record.user_id = user_id
        return True


class PlainFormatter(logging.Formatter):
    """Development: one line, with `[path=... user_id=...]` when there is a request."""

    def formatMessage(self, record):
        text = super().formatMessage(record)
        if hasattr(record, "path"):
            text += f" [path={record.path} user_id={record.user_id}]"
        return text


class JsonFormatter(_JsonFormatter):
    """Production: one JSON object a line. The request object itself is left out
    (its fields are already there); other `extra=` fields are kept."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)


# ---- Sentry (issue 12, finding 12) ----
# Headers an error report keeps; the rest (Cookie, Authorization, X-CSRFToken,
# Referer, which may carry a reset token) never leave the machine.
SENTRY_KEPT_HEADERS = {"Host", "User-Agent", "Accept", "Content-Type", "Content-Length"}


EMAIL_ADDRESS = re.compile(r"[^\s@<>\"',;:()]+@[^\s@<>\"',;:()]+\.\w+")


def _without_addresses(value):
    if isinstance(value, str):
        return EMAIL_ADDRESS.sub("[email]", value)
    if isinstance(value, list):
        return [_without_addresses(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_addresses(item) for key, item in value.items()}
    return value


def scrub_sentry_event(event, hint=None):
    """What leaves for Sentry: no cookies, body, query string or user, and the
    URL as its pattern (`/accounts/signup/<str:token>/`), never the path itself,
    which can hold a sign-up or password-reset token. Email addresses in log
    messages, breadcrumbs and exception messages become `[email]` (the email
    log lines name their recipients)."""
    for key in ("logentry", "message", "breadcrumbs", "exception", "extra"):
        if key in event:
            event[key] = _without_addresses(event[key])
    request = event.get("request")
    if request:
        for key in ("cookies", "data", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers") or {}
        request["headers"] = {
            name: value
            for name, value in headers.items()
            if name.title() in SENTRY_KEPT_HEADERS
        }
        url = urlsplit(request.get("url", ""))
        route = event.get("transaction") or ""
        path = route if route.startswith("/") else ""
        request["url"] = urlunsplit((url.scheme, url.netloc, path, "", ""))
    event.pop("user", None)
    return event


def init_sentry(dsn, environment, release):
    """Errors to Sentry, only when SENTRY_DSN is set (tested against a local
    envelope server in portal/tests/test_sentry.py)."""
    try:
        import sentry_sdk
    except ImportError as error:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: "
            "pip install sentry-sdk, or unset SENTRY_DSN."
        ) from error
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        max_request_body_size="never",
        # Frames' local variables hold forms' cleaned data (passwords, UTRs)
        # under names no deny-list knows: the stack trace alone is sent.
        include_local_variables=False,
        before_send=scrub_sentry_event,
        before_send_transaction=scrub_sentry_event,
    )
