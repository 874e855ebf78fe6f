"""The cron lines, now periodic tasks (issue 13): what runs when."""

from datetime import datetime

import pytest

from interviews import tasks
from portal.tasks import resend_stuck_emails


@pytest.mark.parametrize(
    ("task", "due", "not_due"),
    [
        (
            tasks.send_reminders,
            datetime(2026, 1, 1, 10, 5),
            datetime(2026, 1, 1, 10, 7),
        ),
        (
            tasks.close_missed_interviews,
            datetime(2026, 1, 1, 10, 10),
            datetime(2026, 1, 1, 10, 11),
        ),
        (
            tasks.purge_recordings,
            datetime(2026, 1, 1, 3, 17),
            datetime(2026, 1, 1, 4, 17),
        ),
        (
            tasks.clean_stale_uploads,
            datetime(2026, 1, 1, 9, 23),
            datetime(2026, 1, 1, 9, 24),
        ),
        (resend_stuck_emails, datetime(2026, 1, 1, 9, 24), None),
    ],
)
def test_each_periodic_task_runs_on_its_schedule(task, due, not_due):
    periodic = task.task_class()
    assert periodic.validate_datetime(due)
    if not_due is not None:
        assert not periodic.validate_datetime(not_due)


@pytest.mark.django_db
def test_two_reminder_runs_at_once_send_one_reminder(
    immediate_tasks, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    from interviews.factories import InterviewRequestFactory
    from interviews.models import RequestStatus

    InterviewRequestFactory(
        status=RequestStatus.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(hours=2),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_reminders.call_local() == 1
        assert tasks.send_reminders.call_local() == 0
    assert len(mail.outbox) == 1
