"""The queue end to end: a real worker (`manage.py run_huey` in a subprocess),
a real SMTP server, the real queue (the SqliteHuey file, or Redis db 4)."""

import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from accounts.models import EmailStatus, SentEmail
from interviews.factories import InterviewRequestFactory
from interviews.models import RequestStatus
from interviews.tasks import send_reminders
from payments.factories import PaymentFactory
from payments.services import approve_payment
from portal.queue import RedisQueue
from portal.tasks import deliver_email, resend_stuck_emails
from portal.tests.queue_helpers import smtp_server, wait_for, worker
from portal.tests.redis import redis_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_queue():
    HUEY.flush()
    yield
    HUEY.flush()


def _email(key_part):
    return SentEmail.objects.get(key__contains=key_part)


def test_the_worker_delivers_a_decisions_email(approver):
    payment = PaymentFactory(student__email="priya@example.com")
    with smtp_server() as smtp, worker(smtp.url):
        assert approve_payment(payment, approver)
        wait_for(lambda: smtp.messages, what="the approval email")
        time.sleep(0.5)
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["To"] == "priya@example.com"
    assert "verified" in smtp.messages[0]["Subject"]
    email = SentEmail.objects.get(key=f"payment:{payment.public_id}:approved")
    assert email.status == EmailStatus.SENT
    assert email.attempts == 1
    assert email.sent_at is not None
    assert email.message is None  # the body is not kept once sent


def test_a_refused_email_is_retried_with_backoff_until_accepted(approver):
    payment = PaymentFactory()
    with smtp_server() as smtp, worker(smtp.url) as running:
        smtp.refuse = 2
        approve_payment(payment, approver)
        wait_for(lambda: smtp.messages, what="the email after two refusals")
        time.sleep(0.5)
        log = running.output()
    assert smtp.refused == 2
    assert len(smtp.messages) == 1
    email = _email(str(payment.public_id))
    assert email.status == EmailStatus.SENT
    assert email.attempts == 3
    assert "451" in email.last_error
    assert "attempt 1 of 7 failed" in log
    assert "next try in 0 s" in log or "next try in 1 s" in log


def test_an_email_waits_out_a_mail_server_outage(approver):
    from portal.tests.queue_helpers import free_port

    port = free_port()  # nothing listens there yet: the mail server is down
    payment = PaymentFactory()
    with worker(f"smtp://127.0.0.1:{port}"):
        approve_payment(payment, approver)
        wait_for(
            lambda: SentEmail.objects.filter(attempts__gte=2).exists(),
            what="two failed tries",
        )
        with smtp_server(port) as smtp:
            wait_for(lambda: smtp.messages, what="the email once the server is up")
            time.sleep(0.5)
    assert len(smtp.messages) == 1
    assert "ConnectionRefusedError" in _email(str(payment.public_id)).last_error


def test_sigterm_lets_the_worker_finish_the_email_in_hand(approver):
    payment = PaymentFactory()
    with smtp_server() as smtp, worker(smtp.url) as running:
        smtp.stall = 2  # a slow mail server: the email is in hand for 2 s
        approve_payment(payment, approver)
        wait_for(
            lambda: SentEmail.objects.filter(status=EmailStatus.SENDING).exists(),
            what="the worker to take the email",
        )
        assert running.stop(signal.SIGTERM) == 0
    assert len(smtp.messages) == 1
    assert _email(str(payment.public_id)).status == EmailStatus.SENT


def test_an_email_interrupted_by_sigkill_is_sent_once_later(approver):
    payment = PaymentFactory()
    with smtp_server() as smtp:
        with worker(smtp.url) as running:
            smtp.stall = 5
            approve_payment(payment, approver)
            wait_for(
                lambda: SentEmail.objects.filter(status=EmailStatus.SENDING).exists(),
                what="the worker to take the email",
            )
            running.stop(signal.SIGKILL)
        email = _email(str(payment.public_id))
        assert email.status == EmailStatus.SENDING  # claimed, never sent
        smtp.stall = 0
        with worker(smtp.url, EMAIL_STUCK_AFTER_SECONDS=1):
            time.sleep(1.2)
            resend_stuck_emails()  # what the worker runs every minute
            wait_for(lambda: smtp.messages, what="the interrupted email")
            # A second sweep and a stray second task send nothing more.
            resend_stuck_emails()
            deliver_email(email.pk)
            time.sleep(1.5)
    assert len(smtp.messages) == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2


def test_the_worker_sends_due_reminders_once():
    soon = InterviewRequestFactory(
        status=RequestStatus.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(hours=3),
        student__email="soon@example.com",
    )
    InterviewRequestFactory(
        status=RequestStatus.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(hours=30),
    )
    with smtp_server() as smtp, worker(smtp.url):
        send_reminders()  # the periodic task, enqueued as the scheduler does
        send_reminders()
        wait_for(lambda: smtp.messages, what="the reminder")
        time.sleep(1)
    assert [m["To"] for m in smtp.messages] == ["soon@example.com"]
    assert smtp.messages[0]["Subject"].startswith("Reminder:")
    soon.refresh_from_db()
    assert soon.reminder_sent_at is not None


def test_the_worker_delivers_through_redis(approver, monkeypatch):
    name = f"portal-test-{time.monotonic_ns()}"
    url = redis_url(4)
    monkeypatch.setattr(HUEY, "storage", RedisQueue(name, redis_url=url).storage)
    payment = PaymentFactory()
    try:
        with (
            smtp_server() as smtp,
            worker(smtp.url, TASK_QUEUE_URL=url, TASK_QUEUE_NAME=name),
        ):
            smtp.refuse = 1
            approve_payment(payment, approver)
            wait_for(lambda: smtp.messages, what="the email through Redis")
            time.sleep(0.5)
    finally:
        HUEY.flush()
    assert len(smtp.messages) == 1
    assert _email(str(payment.public_id)).attempts == 2
