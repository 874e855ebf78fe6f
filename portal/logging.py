"""Log records with the request's path and user id; JSON lines in production.

The request fields are attributes of the record (`record.path`,
`record.user_id`), never text added to `record.msg`: a message is a format
string, and a path such as `/a%s` pasted into it made `getMessage()` raise, so
the 500 it was reporting was never logged.

Settings (portal/settings.py): LOG_FORMAT `json` (one JSON object a line, the
default with DEBUG off) or `plain` (the default with DEBUG on); LOG_LEVEL.
"""

import logging

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


def init_sentry(dsn, environment, release):
    """Errors to Sentry, only when SENTRY_DSN is set (sentry-sdk installed then)."""
    try:
        import sentry_sdk
    except ImportError as error:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: "
            "pip install sentry-sdk, or unset SENTRY_DSN."
        ) from error
    sentry_sdk.init(
        dsn=dsn, environment=environment, release=release, send_default_pii=False
    )
