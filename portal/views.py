import logging
import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import db
from portal.queue import queue_stats

logger = logging.getLogger(__name__)
STARTED_AT = time.monotonic()


@never_cache
@require_GET
def health(request):
    database = {"vendor": connection.vendor}
    try:
        latency_ms = db.ping()
        database["status"] = "ok"
        database["latency_ms"] = latency_ms
        healthy = True
    except Exception as exc:  # any driver error means "unavailable"
        logger.warning("health: database unavailable: %s", type(exc).__name__)
        database["status"] = "unavailable"
        database["error"] = type(exc).__name__
        healthy = False
    queue = _queue_health()
    if not healthy:
        status = "unavailable"
    elif queue["status"] != "ok":
        status = "degraded"  # pages work; emails and reminders wait
    else:
        status = "ok"
    body = {
        "status": status,
        "timestamp": timezone.now().isoformat(),
        "uptime_seconds": round(time.monotonic() - STARTED_AT, 1),
        "database": database,
        "queue": queue,
        "version": settings.VERSION,
    }
    return JsonResponse(body, status=200 if healthy else 503)


def _queue_health():
    queue = queue_stats()
    if not queue["reachable"]:
        queue["status"] = "unreachable"
    elif (queue["oldest_age_seconds"] or 0) > settings.TASK_QUEUE_MAX_AGE_SECONDS:
        queue["status"] = "backlog"
    else:
        queue["status"] = "ok"
    return queue


@require_GET
def ping(request):
    """The benchmark baseline: all the middleware, no database, no template."""
    return HttpResponse("pong", content_type="text/plain")


def _error_page(request, status, title, message):
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def bad_request(request, exception=None):
    return _error_page(
        request, 400, "Bad request", "The request could not be understood."
    )


def permission_denied(request, exception=None):
    return _error_page(
        request,
        403,
        "You do not have access to this page",
        "If you think you should, log in with the right account.",
    )


def page_not_found(request, exception=None):
    return _error_page(
        request,
        404,
        "Page not found",
        "The page you asked for does not exist or is not yours to see.",
    )


def server_error(request):
    # No template context processors that touch the database: it may be down.
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({}))


def csrf_failure(request, reason=""):
    return _error_page(
        request,
        403,
        "Your form expired",
        "For your security the form could not be accepted. Go back, reload the "
        "page and try again.",
    )
