from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from interviews.factories import InterviewRequestFactory
from interviews.models import InterviewRequest, RequestEvent, RequestStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def _cancel(client, interview):
    return client.post(reverse("interviews:cancel", args=[interview.public_id]))


def _scheduled(student, hours_ahead):
    return InterviewRequestFactory(
        student=student,
        status=RequestStatus.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(hours=hours_ahead),
    )


def test_a_student_cancels_a_pending_request(
    student_client, student, django_capture_on_commit_callbacks
):
    interview = InterviewRequestFactory(student=student)
    with django_capture_on_commit_callbacks(execute=True):
        response = _cancel(student_client, interview)
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.status == RequestStatus.CANCELLED
    assert interview.cancelled_at is not None
    event = RequestEvent.objects.get(request=interview)
    assert (event.from_status, event.to_status, event.actor) == (
        "pending",
        "cancelled",
        student,
    )
    assert mail.outbox[-1].subject.endswith("interview is cancelled")


def test_a_scheduled_interview_can_be_cancelled_before_the_cutoff(
    student_client, student
):
    interview = _scheduled(student, hours_ahead=7)
    _cancel(student_client, interview)
    interview.refresh_from_db()
    assert interview.status == RequestStatus.CANCELLED


def test_a_scheduled_interview_cannot_be_cancelled_after_the_cutoff(
    student_client, student
):
    interview = _scheduled(student, hours_ahead=5)
    response = _cancel(student_client, interview)
    interview.refresh_from_db()
    assert interview.status == RequestStatus.SCHEDULED
    page = student_client.get(response["Location"]).content.decode()
    assert "It is too late to cancel" in page
    assert len(mail.outbox) == 0


def test_the_cutoff_is_exact(student):
    interview = _scheduled(student, hours_ahead=10)
    deadline = interview.scheduled_at - timedelta(hours=6)
    assert interview.can_cancel(deadline)
    assert not interview.can_cancel(deadline + timedelta(seconds=1))


def test_the_cancel_button_shows_only_where_allowed(student_client, student):
    allowed = _scheduled(student, hours_ahead=30)
    too_late = _scheduled(student, hours_ahead=2)
    body = student_client.get(reverse("interviews:my_interviews")).content.decode()
    assert reverse("interviews:cancel", args=[allowed.public_id]) in body
    assert reverse("interviews:cancel", args=[too_late.public_id]) not in body


def test_after_cancelling_the_payment_pays_for_a_new_request(student_client, student):
    interview = InterviewRequestFactory(student=student)
    _cancel(student_client, interview)
    body = student_client.get(reverse("dashboard")).content.decode()
    assert "Ready to schedule" in body
    assert reverse("interviews:request", args=[interview.course.slug]) in body


def test_cancelling_twice_changes_nothing(
    student_client, student, django_capture_on_commit_callbacks
):
    interview = InterviewRequestFactory(student=student)
    with django_capture_on_commit_callbacks(execute=True):
        _cancel(student_client, interview)
        response = _cancel(student_client, interview)
    page = student_client.get(response["Location"]).content.decode()
    assert "Nothing was cancelled: this request is “Cancelled”." in page
    assert RequestEvent.objects.filter(request=interview).count() == 1
    assert len(mail.outbox) == 1


def test_a_decided_request_cannot_be_cancelled(student_client, student, approver):
    interview = InterviewRequestFactory(student=student)
    interview.reject(approver, "No slot")
    _cancel(student_client, interview)
    interview.refresh_from_db()
    assert interview.status == RequestStatus.REJECTED


def test_a_student_cannot_cancel_another_students_request(
    student_client, other_student
):
    interview = InterviewRequestFactory(student=other_student)
    assert _cancel(student_client, interview).status_code == 404
    assert InterviewRequest.objects.get().status == RequestStatus.PENDING


def test_cancel_is_post_only(student_client, student):
    interview = InterviewRequestFactory(student=student)
    url = reverse("interviews:cancel", args=[interview.public_id])
    assert student_client.get(url).status_code == 405
