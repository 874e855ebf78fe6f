import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_it_reports_healthy(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["vendor"] == connection.vendor
    assert body["uptime_seconds"] >= 0
    assert body["version"]
    assert "timestamp" in body


def test_it_needs_no_login_and_is_not_cached(client):
    response = client.get("/health")
    assert "no-cache" in response["Cache-Control"]


def test_it_reports_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused: password=hunter2")

    # The real cursor path (the ping command on MongoDB), with the driver
    # refusing to connect.
    if connection.vendor == "mongodb":
        monkeypatch.setattr(connection.database, "command", refuse)
    else:
        monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["status"] == "unavailable"
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
