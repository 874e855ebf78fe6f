"""portal/emails.py in process: the record, the claim, the backoff, giving up."""

import logging
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from accounts.models import EmailStatus, SentEmail
from portal import emails
from portal.tasks import deliver_email, resend_stuck_emails
from portal.tests.queue_helpers import free_port, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_queue():
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def smtp(settings):
    with smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        yield server


def _record(student, key="test:1:hello"):
    return emails.send_on_commit(
        "payment_rejected",
        {"payment": None, "student": student, "course": None},
        [student.email],
        key=key,
    )


def test_the_email_is_recorded_in_the_deciding_transaction(student):
    email = _record(student)
    assert email.status == EmailStatus.PENDING
    assert email.message["to"] == [student.email]
    assert HUEY.pending_count() == 0  # enqueued only once the transaction commits


def test_the_same_key_records_one_email(student):
    first = _record(student)
    second = _record(student)
    assert first.pk == second.pk
    assert SentEmail.objects.count() == 1


def test_it_enqueues_on_commit(student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _record(student)
    assert HUEY.pending_count() == 1


def test_a_sent_email_is_never_sent_again(student, smtp):
    email = _record(student)
    assert emails.deliver(email.pk) is None
    assert emails.deliver(email.pk) is None
    assert len(smtp.messages) == 1


def test_the_delays_grow_exponentially_over_about_an_hour(settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    delays = [emails.retry_delay(n) for n in range(1, settings.EMAIL_MAX_ATTEMPTS)]
    assert delays == [60, 120, 240, 480, 960, 1920]
    assert settings.EMAIL_MAX_ATTEMPTS >= 5
    assert 50 * 60 <= sum(delays) <= 70 * 60


def test_a_refusal_schedules_the_next_try_later(student, smtp, immediate_tasks):
    smtp.refuse = 1
    email = _record(student)
    deliver_email(email.pk)
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING
    assert email.attempts == 1
    assert "451" in email.last_error
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=50)
    (retry,) = HUEY.scheduled()
    assert retry.name.endswith("deliver_email") and retry.args == (email.pk,)
    assert retry.eta > timezone.now().replace(tzinfo=None) + timedelta(seconds=50)


def test_it_gives_up_with_a_clear_log_line(student, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_MAX_ATTEMPTS = 2
    email = _record(student)
    assert emails.deliver(email.pk) is not None
    with caplog.at_level(logging.ERROR, logger="portal.emails"):
        assert emails.deliver(email.pk) is None
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert "test:1:hello" in caplog.text
    assert "giving up after 2 attempts" in caplog.text


def test_the_sweep_retries_an_email_whose_worker_died(student, settings):
    settings.EMAIL_STUCK_AFTER_SECONDS = 60
    email = _record(student)
    SentEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=5),
        attempts=1,
    )
    fresh = _record(student, key="test:2:fresh")
    assert resend_stuck_emails.call_local() == 1
    assert resend_stuck_emails.call_local() == 0  # claimed: enqueued once
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING
    assert HUEY.pending_count() == 1
    fresh.refresh_from_db()
    assert fresh.status == EmailStatus.PENDING


def test_immediate_mode_delivers_to_the_outbox(student, immediate_tasks):
    email = _record(student)
    deliver_email(email.pk)
    assert len(mail.outbox) == 1


def test_a_hung_mail_server_times_out_and_is_retried(student, smtp, settings):
    settings.EMAIL_TIMEOUT = 0.5
    smtp.stall = 3
    email = _record(student)
    started = time.monotonic()
    assert emails.deliver(email.pk) == settings.EMAIL_RETRY_BASE_SECONDS
    assert time.monotonic() - started < 2.5
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING
    assert "timed out" in email.last_error.lower() or "Timeout" in email.last_error


def test_a_message_built_elsewhere_is_queued_whole(student):
    from django.core.mail import EmailMessage

    message = EmailMessage("Hi", "Body", to=[student.email], headers={"X-A": "1"})
    message.attach("a.bin", b"\x00\x01binary", "application/octet-stream")
    email = emails.queue_message(message, "library_email")
    emails.deliver(email.pk)
    (sent,) = mail.outbox
    assert (sent.subject, sent.body, sent.to) == ("Hi", "Body", [student.email])
    assert sent.extra_headers == {"X-A": "1"}
    assert sent.attachments[0][1] == b"\x00\x01binary"
