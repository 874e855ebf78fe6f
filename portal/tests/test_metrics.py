"""/metrics: hidden without a token, refused with a wrong one, and what it says."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from interviews.factories import InterviewRequestFactory
from payments.factories import PaymentFactory
from payments.models import Payment
from portal.metrics import queue_gauges

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics-token-for-tests"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def _scrape(client, token=TOKEN):
    return client.get("/metrics", headers={"Authorization": f"Bearer {token}"})


def _samples(response):
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_it_is_not_found_while_no_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    assert _scrape(client, "anything").status_code == 404


def test_it_asks_for_a_bearer_token(client, token):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    basic = client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401


def test_it_refuses_a_wrong_token(client, token):
    assert _scrape(client, TOKEN + "x").status_code == 403
    assert _scrape(client, TOKEN[:-1]).status_code == 403


def test_it_refuses_post(client, token):
    response = client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405


def test_it_counts_what_waits_and_how_long(client, token):
    old = PaymentFactory()
    PaymentFactory()
    Payment.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=30)
    )
    InterviewRequestFactory()
    samples = _samples(_scrape(client))
    assert _value(samples, "portal_pending_payments") == 2
    age = _value(samples, "portal_pending_payments_oldest_age_seconds")
    assert 30 * 3600 <= age < 30 * 3600 + 60
    assert _value(samples, "portal_pending_requests") == 1
    assert _value(samples, "portal_pending_reviews") == 0
    assert _value(samples, "portal_pending_reviews_oldest_age_seconds") == 0


def test_it_counts_and_times_requests_by_view(client, token):
    before = _samples(_scrape(client))
    key = {"view": "ping", "method": "GET", "status": "200"}
    start = _value(before, "portal_http_requests_total", **key) or 0
    client.get("/ping")
    client.get("/ping")
    client.get("/no-such-page/")
    samples = _samples(_scrape(client))
    assert _value(samples, "portal_http_requests_total", **key) == start + 2
    assert (
        _value(
            samples,
            "portal_http_requests_total",
            view="<unresolved>",
            method="GET",
            status="404",
        )
        >= 1
    )
    count = _value(
        samples, "portal_http_request_duration_seconds_count", view="ping", method="GET"
    )
    assert count >= 2


def test_queue_figures_become_gauges():
    gauges = {
        family.name: family.samples[0].value
        for family in queue_gauges(
            {"reachable": True, "waiting": 7, "oldest_age_seconds": 42.5}
        )
    }
    assert gauges == {
        "portal_queue_reachable": 1,
        "portal_queue_waiting": 7,
        "portal_queue_oldest_age_seconds": 42.5,
    }


def test_the_scrape_reports_the_real_task_queue(client, token):
    from huey.contrib.djhuey import HUEY

    from portal.tasks import deliver_email

    HUEY.flush()
    deliver_email(0)  # enqueued, not run: no worker in this test
    try:
        samples = _samples(_scrape(client))
        assert _value(samples, "portal_queue_reachable") == 1
        assert _value(samples, "portal_queue_waiting") == 1
    finally:
        HUEY.flush()
