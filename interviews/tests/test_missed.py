from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from interviews.factories import AnswerFactory
from interviews.models import InterviewRequest, RequestEvent, RequestStatus
from interviews.tests.room_helpers import open_interview

# Emails are delivered by a task: run each at once (issue 13).
pytestmark = pytest.mark.usefixtures("immediate_tasks")


def _closed_interview(student, answered=0, **kwargs):
    start = timezone.now() - timedelta(hours=3)
    interview = open_interview(
        student, questions=2, preferred_at=start, scheduled_at=start, **kwargs
    )
    for question in list(interview.course.questions.order_by("order"))[:answered]:
        AnswerFactory(request=interview, question=question)
    return interview


def _close_missed():
    out = StringIO()
    call_command("close_missed_interviews", stdout=out)
    return out.getvalue()


def test_command_marks_closed_unanswered_interviews_missed(student, other_student):
    missed = _closed_interview(student, answered=1)
    still_open = open_interview(other_student)

    output = _close_missed()

    missed.refresh_from_db()
    still_open.refresh_from_db()
    assert missed.status == RequestStatus.MISSED
    assert still_open.status == RequestStatus.SCHEDULED
    assert "Marked 1 interview as missed" in output
    assert (
        RequestEvent.objects.filter(
            request=missed, to_status=RequestStatus.MISSED
        ).count()
        == 1
    )


def test_command_is_safe_to_run_twice(student):
    _closed_interview(student)

    _close_missed()
    output = _close_missed()

    assert "Marked 0 interviews as missed" in output


def test_command_completes_a_fully_answered_interview_instead(
    student, approver, django_capture_on_commit_callbacks
):
    interview = _closed_interview(student, answered=2)

    with django_capture_on_commit_callbacks(execute=True):
        output = _close_missed()

    interview.refresh_from_db()
    assert interview.status == RequestStatus.COMPLETED
    assert "completed 1" in output
    assert len(mail.outbox) == 1


def test_approver_sees_missed_interviews(approver_client, student):
    missed = _closed_interview(student, answered=1)
    missed.mark_missed()

    response = approver_client.get(
        reverse("admin:interviews_missedinterview_changelist")
    )

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [missed.pk]
    assert "1 of 2" in response.content.decode()


def _reopen_post(when):
    local = timezone.localtime(when)
    return {
        "new_start_0": local.strftime("%Y-%m-%d"),
        "new_start_1": local.strftime("%H:%M:%S"),
        "note": "Student had a power cut.",
    }


def test_approver_reopens_a_missed_interview_and_the_student_is_emailed(
    approver_client, approver, student, django_capture_on_commit_callbacks
):
    missed = _closed_interview(student, answered=1)
    missed.mark_missed()
    new_start = (timezone.now() + timedelta(days=1)).replace(microsecond=0, second=0)
    url = reverse("admin:interviews_missedinterview_change", args=[missed.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = approver_client.post(url, _reopen_post(new_start))

    assert response.status_code == 302
    missed.refresh_from_db()
    assert missed.status == RequestStatus.SCHEDULED
    assert missed.scheduled_at == new_start
    assert missed.answers.count() == 1  # kept
    event = RequestEvent.objects.filter(request=missed).last()
    assert (event.actor, event.to_status) == (approver, RequestStatus.SCHEDULED)
    assert event.note == "Student had a power cut."
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [student.email]
    assert "new time" in mail.outbox[0].subject
    room_url = reverse("interviews:room", args=[missed.public_id])
    assert room_url in mail.outbox[0].body


def test_reopening_in_the_past_is_refused(approver_client, student):
    missed = _closed_interview(student)
    missed.mark_missed()
    url = reverse("admin:interviews_missedinterview_change", args=[missed.pk])

    response = approver_client.post(
        url, _reopen_post(timezone.now() - timedelta(hours=1))
    )

    assert response.status_code == 200
    assert "Choose a time in the future" in response.content.decode()
    missed.refresh_from_db()
    assert missed.status == RequestStatus.MISSED
    assert mail.outbox == []


def test_student_cannot_open_the_missed_list(student_client):
    response = student_client.get(
        reverse("admin:interviews_missedinterview_changelist")
    )

    assert response.status_code == 403


def test_reopened_student_continues_at_the_first_unanswered_question(
    approver, student_client, student
):
    missed = _closed_interview(student, answered=1)
    missed.mark_missed()
    missed.reopen(approver, timezone.now() - timedelta(minutes=1))

    state = student_client.get(
        reverse("interviews:room_state", args=[missed.public_id])
    ).json()

    assert state["room_open"] is True
    assert [q["answered"] for q in state["questions"]] == [True, False]
    assert InterviewRequest.objects.get(pk=missed.pk).status == "scheduled"
