"""Prometheus metrics at /metrics, for the operator's alerts.

Two kinds of figures:
- per-process request counts and latencies by view, method and status, kept
  by RequestMetricsMiddleware. Under gunicorn's several workers, set
  PROMETHEUS_MULTIPROC_DIR to an empty directory writable by the workers (wiped
  at each start) so prometheus-client keeps them in shared files and a scrape
  sums every worker (docs/operations.md);
- business gauges computed at scrape time from the database (the same answer
  whichever worker is asked): pending payments and requests, and their age.

The endpoint answers 404 while METRICS_TOKEN is unset, 401 without a bearer
token and 403 with a wrong one.
"""

import hmac
import os
import time

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = CollectorRegistry(auto_describe=True)
REQUEST_COUNT = Counter(
    "portal_http_requests",
    "HTTP requests answered, by view, method and status.",
    ["view", "method", "status"],
    registry=REQUESTS,
)
REQUEST_LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and method.",
    ["view", "method"],
    registry=REQUESTS,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
UNRESOLVED = "<unresolved>"
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class RequestMetricsMiddleware:
    """Counts and times every request under its URL name (a bounded set of
    labels: a path that resolves to nothing is "<unresolved>")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or UNRESOLVED) if match else UNRESOLVED
        method = request.method if request.method in KNOWN_METHODS else "other"
        REQUEST_LATENCY.labels(view, method).observe(time.perf_counter() - started)
        REQUEST_COUNT.labels(view, method, str(response.status_code)).inc()
        return response


def _age_seconds(oldest, now):
    return 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)


def database_gauges(now=None):
    """What waits for approvers, counted at scrape time (three queries)."""
    from interviews.models import InterviewRequest, RequestStatus
    from payments.models import Payment, PaymentStatus

    now = now or timezone.now()
    waiting = [
        (
            "payments",
            "payments pending verification",
            Payment.objects.filter(status=PaymentStatus.PENDING_VERIFICATION),
        ),
        (
            "requests",
            "interview requests pending scheduling",
            InterviewRequest.objects.filter(status=RequestStatus.PENDING),
        ),
        (
            "reviews",
            "completed interviews awaiting a published review",
            InterviewRequest.objects.filter(
                status=RequestStatus.COMPLETED, reviewed_at__isnull=True
            ),
            "completed_at",
        ),
    ]
    for name, what, queryset, *since in waiting:
        field = since[0] if since else "created_at"
        figures = queryset.order_by().aggregate(count=Count("pk"), oldest=Min(field))
        yield GaugeMetricFamily(
            f"portal_pending_{name}", f"Number of {what}.", figures["count"]
        )
        yield GaugeMetricFamily(
            f"portal_pending_{name}_oldest_age_seconds",
            f"Age of the oldest of the {what} (0 when there is none).",
            _age_seconds(figures["oldest"], now),
        )


def queue_gauges(stats):
    """Gauges from the task queue's stats ({"reachable", "waiting",
    "oldest_age_seconds"}, portal.queue.queue_stats())."""
    yield GaugeMetricFamily(
        "portal_queue_reachable",
        "1 when the task queue's broker answered, else 0.",
        1 if stats.get("reachable") else 0,
    )
    yield GaugeMetricFamily(
        "portal_queue_waiting", "Tasks waiting in the queue.", stats.get("waiting") or 0
    )
    yield GaugeMetricFamily(
        "portal_queue_oldest_age_seconds",
        "Age of the oldest waiting task (0 when none).",
        stats.get("oldest_age_seconds") or 0,
    )


class ScrapeTimeCollector:
    """Figures read when Prometheus asks, not kept in the process."""

    def collect(self):
        from portal.queue import queue_stats

        yield from database_gauges()
        yield from queue_gauges(queue_stats())


def registry_for_scrape():
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
    registry.register(ScrapeTimeCollector())
    return registry


def _token_from(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


@never_cache
def metrics_view(request):
    expected = settings.METRICS_TOKEN
    if not expected:  # not even a 405: nothing says the URL exists
        return HttpResponseNotFound("Not found", content_type="text/plain")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    token = _token_from(request)
    if token is None:
        response = HttpResponse(
            "A bearer token is required.", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not hmac.compare_digest(token.encode(), expected.encode()):
        return HttpResponse("Wrong token.", status=403, content_type="text/plain")
    return HttpResponse(
        generate_latest(registry_for_scrape()), content_type=CONTENT_TYPE_LATEST
    )
