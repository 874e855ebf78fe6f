import logging

from django.db import OperationalError
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from portal.logging import RequestContextFilter


def _database_down():
    raise OperationalError("connection refused")


def test_the_log_filter_survives_a_user_that_needs_a_dead_database():
    request = RequestFactory().get("/dashboard/")
    request.user = SimpleLazyObject(_database_down)
    record = logging.LogRecord("django.request", logging.ERROR, "", 0, "boom", (), None)
    record.request = request
    assert RequestContextFilter().filter(record) is True
    assert record.msg == "boom"
    assert (record.path, record.user_id) == ("/dashboard/", "unknown")
