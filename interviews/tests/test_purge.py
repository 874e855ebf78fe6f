from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from interviews.factories import AnswerFactory
from interviews.models import Answer, InterviewRequest, RequestStatus
from interviews.tests.room_helpers import open_interview
from portal.storage import private_storage


def _finished_interview(student, days_ago, status=RequestStatus.COMPLETED):
    interview = open_interview(student, questions=2)
    answers = [
        AnswerFactory(request=interview, question=question)
        for question in interview.course.questions.all()
    ]
    when = timezone.now() - timedelta(days=days_ago)
    InterviewRequest.objects.filter(pk=interview.pk).update(
        status=status, completed_at=when, scheduled_at=when
    )
    return interview, [_Stored(answer.file.name) for answer in answers]


def _purge(*args):
    out = StringIO()
    call_command("purge_recordings", *args, stdout=out)
    return out.getvalue()


class _Stored(str):
    """A stored file's name that says whether it still exists (disk or bucket)."""

    def exists(self):
        return private_storage().exists(self)


def test_purge_deletes_old_recordings_and_their_files(
    student, other_student, settings, django_capture_on_commit_callbacks
):
    settings.RECORDING_RETENTION_DAYS = 90
    old, old_files = _finished_interview(student, days_ago=91)
    missed, missed_files = _finished_interview(
        other_student, days_ago=100, status=RequestStatus.MISSED
    )
    recent, recent_files = _finished_interview(student, days_ago=10)

    with django_capture_on_commit_callbacks(execute=True):
        output = _purge("--days", "90")

    assert "Deleted 4 recordings from 2 interviews" in output
    assert not Answer.objects.filter(request__in=[old, missed]).exists()
    assert Answer.objects.filter(request=recent).count() == 2
    assert not any(path.exists() for path in old_files + missed_files)
    assert all(path.exists() for path in recent_files)
    old.refresh_from_db()
    assert old.status == RequestStatus.COMPLETED  # the interview itself stays


def test_purge_keeps_scheduled_interviews(student, django_capture_on_commit_callbacks):
    interview = open_interview(student, questions=1)
    answer = AnswerFactory(request=interview, question=interview.course.questions.get())
    InterviewRequest.objects.filter(pk=interview.pk).update(
        scheduled_at=timezone.now() - timedelta(days=400)
    )

    with django_capture_on_commit_callbacks(execute=True):
        _purge()

    assert Answer.objects.filter(pk=answer.pk).exists()


def test_purge_is_safe_to_run_twice(student, django_capture_on_commit_callbacks):
    _finished_interview(student, days_ago=200)

    with django_capture_on_commit_callbacks(execute=True):
        _purge()
    with django_capture_on_commit_callbacks(execute=True):
        output = _purge()

    assert "Deleted 0 recordings from 0 interviews" in output


def test_deleting_the_student_deletes_their_recordings_and_files(
    student, django_capture_on_commit_callbacks
):
    _, files = _finished_interview(student, days_ago=1)
    assert all(path.exists() for path in files)

    with django_capture_on_commit_callbacks(execute=True):
        student.delete()

    assert Answer.objects.count() == 0
    assert not any(path.exists() for path in files)
