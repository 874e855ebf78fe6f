"""Issue 12, finding 11: the password-reset request does the same work whether
or not the address has an account, and sends nothing itself."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from portal.tests.queue_helpers import smtp_server, wait_for, worker


@pytest.fixture(autouse=True)
def empty_queue():
    HUEY.flush()
    yield
    HUEY.flush()


def _ask(client, email):
    return client.post(reverse("accounts:password_reset"), {"email": email})


@pytest.mark.django_db
def test_a_known_and_an_unknown_address_cost_the_same_queries(
    client, student, django_assert_num_queries
):
    _ask(client, "warm-up@example.com")  # the first request loads the session
    with CaptureQueriesContext(connection) as unknown:
        response = _ask(client, "nobody@example.com")
    assert response["Location"] == reverse("accounts:password_reset_done")
    with django_assert_num_queries(len(unknown.captured_queries)):
        response = _ask(client, student.email)
    assert response["Location"] == reverse("accounts:password_reset_done")
    # Neither request looked the address up.
    assert not any(
        "accounts_user" in query["sql"] for query in unknown.captured_queries
    )
    assert HUEY.pending_count() == 3  # each request only enqueued its email


@pytest.mark.django_db(transaction=True)
def test_no_mail_is_sent_in_the_request_only_by_the_worker(client, student, settings):
    with smtp_server() as smtp:
        # The site itself would talk to this server, were it to send.
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        for email in [student.email, "nobody@example.com"]:
            started = time.perf_counter()
            response = _ask(client, email)
            assert response.status_code == 302
            assert time.perf_counter() - started < 2
        time.sleep(0.3)
        assert smtp.messages == []  # no SMTP conversation inside the requests
        with worker(smtp.url):
            wait_for(lambda: smtp.messages, what="the reset email")
            time.sleep(1)
    assert [m["To"] for m in smtp.messages] == [student.email]
    body = smtp.messages[0].get_payload()[0].get_payload(decode=True).decode()
    assert "/accounts/password/reset/" in body


@pytest.mark.django_db
def test_a_known_and_an_unknown_address_get_the_same_pages(client, student):
    from django.test import Client

    known, unknown = Client(), Client()
    answers = [
        c.post(reverse("accounts:password_reset"), {"email": e}, follow=True)
        for c, e in [(known, student.email), (unknown, "nobody@example.com")]
    ]
    assert [a.redirect_chain for a in answers[:1]] == [
        a.redirect_chain for a in answers[1:]
    ]
    assert answers[0].status_code == answers[1].status_code == 200
    assert answers[0].content == answers[1].content
