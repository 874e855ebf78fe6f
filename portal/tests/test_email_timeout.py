"""A mail server that accepts the connection and never answers is given up on
after EMAIL_TIMEOUT, instead of holding the worker forever."""

import socket
import time

import pytest
from django.core.mail import EmailMessage, get_connection


@pytest.fixture
def hung_smtp_port():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel accepts; nobody ever sends the greeting
    yield listener.getsockname()[1]
    listener.close()


def test_a_hung_mail_server_is_given_up_on_after_email_timeout(
    hung_smtp_port, settings
):
    settings.EMAIL_TIMEOUT = 0.5
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host="127.0.0.1",
        port=hung_smtp_port,
    )
    message = EmailMessage("Hi", "Body", to=["priya@example.com"])
    started = time.monotonic()
    with pytest.raises(OSError):
        connection.send_messages([message])
    assert time.monotonic() - started < 5
