from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from interviews.factories import InterviewRequestFactory
from interviews.models import RequestStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def _scheduled(hours_ahead, **kwargs):
    return InterviewRequestFactory(
        status=RequestStatus.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(hours=hours_ahead),
        **kwargs,
    )


def _run(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=StringIO())


def test_it_reminds_students_whose_interview_is_within_24_hours(
    django_capture_on_commit_callbacks,
):
    soon = _scheduled(3, student__email="soon@example.com", course__title="HR Round")
    _scheduled(30)
    _scheduled(-1)
    InterviewRequestFactory(status=RequestStatus.PENDING)
    _run(django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["soon@example.com"]]
    assert mail.outbox[0].subject.startswith("Reminder: your HR Round interview is at")
    soon.refresh_from_db()
    assert soon.reminder_sent_at is not None


def test_running_it_twice_sends_nothing_new(django_capture_on_commit_callbacks):
    _scheduled(5)
    _scheduled(20)
    _run(django_capture_on_commit_callbacks)
    _run(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2


def test_a_cancelled_interview_gets_no_reminder(
    student, django_capture_on_commit_callbacks
):
    interview = _scheduled(20, student=student)
    assert interview.cancel(by=student)
    mail.outbox.clear()
    _run(django_capture_on_commit_callbacks)
    assert mail.outbox == []
