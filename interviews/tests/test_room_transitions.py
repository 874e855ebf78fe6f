from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from interviews.factories import (
    AnswerFactory,
    InterviewQuestionFactory,
    ScheduledRequestFactory,
)
from interviews.models import RequestEvent, RequestStatus
from interviews.services import reopen_interview

# Emails are delivered by a task: run each at once (issue 13).
pytestmark = pytest.mark.usefixtures("immediate_tasks")


def _interview_with_questions(student, count=2, **kwargs):
    interview = ScheduledRequestFactory(student=student, **kwargs)
    questions = [
        InterviewQuestionFactory(course=interview.course) for _ in range(count)
    ]
    return interview, questions


def test_complete_needs_every_question_answered(student):
    interview, questions = _interview_with_questions(student)
    AnswerFactory(request=interview, question=questions[0])

    assert interview.complete() is False
    assert interview.status == RequestStatus.SCHEDULED


def test_complete_marks_completed_and_consumes_the_payment(student):
    interview, questions = _interview_with_questions(student)
    for question in questions:
        AnswerFactory(request=interview, question=question)

    assert interview.complete() is True
    interview.refresh_from_db()
    interview.payment.refresh_from_db()
    assert interview.status == RequestStatus.COMPLETED
    assert interview.completed_at is not None
    assert interview.payment.consumed_at is not None
    assert interview.complete() is False  # only once


def test_mark_missed_waits_for_the_room_to_close(student):
    interview, _ = _interview_with_questions(student)

    assert interview.mark_missed() is False
    later = interview.room_closes_at + timedelta(seconds=1)
    assert interview.mark_missed(now=later) is True
    assert interview.status == RequestStatus.MISSED
    assert RequestEvent.objects.filter(
        request=interview, to_status=RequestStatus.MISSED
    ).exists()


def test_reopen_schedules_a_new_window_and_emails_the_student(
    student, approver, django_capture_on_commit_callbacks
):
    started = timezone.now() - timedelta(days=1)
    interview, _ = _interview_with_questions(
        student, preferred_at=started, scheduled_at=started
    )
    assert interview.mark_missed() is True
    # Whole milliseconds: MongoDB keeps no finer (issue 18).
    new_time = (timezone.now() + timedelta(days=2)).replace(microsecond=0)

    with django_capture_on_commit_callbacks(execute=True):
        assert reopen_interview(interview, approver, new_time) is True

    interview.refresh_from_db()
    assert interview.status == RequestStatus.SCHEDULED
    assert interview.scheduled_at == new_time
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [student.email]
    assert reopen_interview(interview, approver, new_time) is False


def test_give_consent_sets_the_time_once_inside_the_window(student):
    interview, _ = _interview_with_questions(student)

    assert interview.give_consent() is True
    first = interview.consent_given_at
    assert interview.give_consent() is True
    interview.refresh_from_db()
    assert interview.consent_given_at == first


def test_give_consent_outside_the_window_gives_nothing(student):
    later = timezone.now() + timedelta(days=1)
    interview, _ = _interview_with_questions(
        student, preferred_at=later, scheduled_at=later
    )

    assert interview.give_consent() is False
    interview.refresh_from_db()
    assert interview.consent_given_at is None


def test_finish_completes_and_tells_the_approvers_once(
    student, approver, django_capture_on_commit_callbacks
):
    interview, questions = _interview_with_questions(student)
    for question in questions:
        AnswerFactory(request=interview, question=question)

    from interviews.uploads import finish_interview

    with django_capture_on_commit_callbacks(execute=True):
        assert finish_interview(interview) is True
        assert finish_interview(interview) is False

    assert interview.status == RequestStatus.COMPLETED
    assert [m.to for m in mail.outbox] == [[approver.email]]


def test_an_answer_still_recording_does_not_count(student):
    from interviews.models import AnswerState

    interview, questions = _interview_with_questions(student, count=1)
    AnswerFactory(request=interview, question=questions[0], state=AnswerState.RECORDING)

    assert interview.finish() is False
    assert interview.status == RequestStatus.SCHEDULED
