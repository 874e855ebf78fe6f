"""Every 500 reaches the log, as one JSON line in production."""

import io
import json
import logging
from contextlib import contextmanager

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@contextmanager
def console_log():
    """What the site's configured console handler writes, while in the block."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(old)


@pytest.mark.urls("portal.tests.urls_boom")
@pytest.mark.parametrize("path", ["/a%s/b", "/100%/%d%(x)s"])
def test_a_500_at_a_path_with_format_characters_is_logged(path):
    client = Client(raise_request_exception=False)
    with console_log() as stream:
        response = client.get(path)
    assert response.status_code == 500
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    errors = [line for line in lines if line.get("name") == "django.request"]
    assert len(errors) == 1, stream.getvalue()
    record = errors[0]
    assert record["levelname"] == "ERROR"
    assert record["message"] == f"Internal Server Error: {path}"
    assert record["path"] == path
    assert record["user_id"] is None
    assert "RuntimeError: the view failed" in record["exc_info"]
    assert "request" not in record  # the object itself is not dumped


@pytest.mark.urls("portal.tests.urls_boom")
def test_the_log_line_carries_the_user_id_not_the_query_string(student):
    client = Client(raise_request_exception=False)
    client.force_login(student)
    with console_log() as stream:
        client.get("/boom/?token=secret-token")
    assert "secret-token" not in stream.getvalue()
    record = json.loads(stream.getvalue().splitlines()[-1])
    assert str(record["user_id"]) == str(student.pk)  # an ObjectId on MongoDB


def test_the_plain_format_puts_the_request_after_the_message():
    from django.test import RequestFactory

    from portal.logging import PlainFormatter, RequestContextFilter

    record = logging.LogRecord(
        "django.request", logging.ERROR, "", 0, "Error: %s", ("/a%s",), None
    )
    record.request = RequestFactory().get("/a%s")
    RequestContextFilter().filter(record)
    text = PlainFormatter("%(levelname)s %(message)s").format(record)
    assert text == "ERROR Error: /a%s [path=/a%s user_id=None]"
