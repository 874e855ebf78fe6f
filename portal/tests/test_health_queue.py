import time

import pytest
from huey.contrib.djhuey import HUEY

from portal.queue import RedisQueue, queue_stats
from portal.tasks import deliver_email
from portal.tests.redis import redis_url

pytestmark = pytest.mark.django_db
REDIS_URL = redis_url(4)


@pytest.fixture(autouse=True)
def empty_queue():
    HUEY.flush()
    yield
    if HUEY.storage.__class__.__name__ == "SqliteStorage":
        HUEY.flush()


@pytest.fixture
def queue_on(monkeypatch):
    def use(url):
        other = RedisQueue("portal-test-health", redis_url=url, socket_timeout=0.5)
        monkeypatch.setattr(HUEY, "storage", other.storage)
        if "127.0.0.1:1/" not in url:
            HUEY.flush()
            flush_after.append(True)

    flush_after = []
    yield use
    if flush_after:
        HUEY.flush()


def test_it_reports_an_empty_queue(client):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["queue"] == {
        "reachable": True,
        "waiting": 0,
        "oldest_age_seconds": None,
        "status": "ok",
    }


def test_it_counts_waiting_tasks_and_the_oldest_ones_age(client):
    deliver_email(1)
    time.sleep(0.3)
    deliver_email(2)
    stats = queue_stats()
    assert stats["reachable"] is True
    assert stats["waiting"] == 2
    assert 0.3 <= stats["oldest_age_seconds"] < 30


def test_an_old_backlog_is_degraded_not_unavailable(client, settings):
    settings.TASK_QUEUE_MAX_AGE_SECONDS = 0
    deliver_email(1)
    time.sleep(0.2)
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["queue"]["status"] == "backlog"
    assert body["database"]["status"] == "ok"


def test_a_young_backlog_is_ok(client, settings):
    settings.TASK_QUEUE_MAX_AGE_SECONDS = 300
    deliver_email(1)
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["queue"]["waiting"] == 1


def test_an_unreachable_queue_is_degraded(client, queue_on):
    queue_on("redis://127.0.0.1:1/0")  # nothing listens on port 1
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["queue"]["reachable"] is False
    assert body["queue"]["status"] == "unreachable"


def test_it_reads_a_redis_queue(client, queue_on):
    queue_on(REDIS_URL)
    deliver_email(1)
    time.sleep(0.2)
    deliver_email(2)
    stats = queue_stats()
    assert stats["reachable"] is True
    assert stats["waiting"] == 2
    assert stats["oldest_age_seconds"] >= 0.2
