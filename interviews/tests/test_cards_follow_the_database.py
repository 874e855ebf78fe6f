"""The course cards are read from the database on every request (the cache
entry that held them saved too little for its invalidation: docs/benchmarks.md),
so every change to a payment or a request, by any writer, shows at once."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interviews.factories import (
    InterviewCourseFactory,
    InterviewQuestionFactory,
    InterviewRequestFactory,
)
from interviews.models import InterviewRequest, MissedInterview, RequestStatus
from payments.factories import CompletedPaymentFactory, PaymentFactory

pytestmark = pytest.mark.django_db
STATES = reverse("interviews:card_states")


@pytest.fixture
def course(db):
    return InterviewCourseFactory(slug="data-analyst")


def badge(client):
    return client.get(STATES).json()["cards"]["data-analyst"]["badge"]


def test_payment_changes_show_at_once(student_client, student, approver, course):
    assert badge(student_client) == "Not booked yet"
    payment = PaymentFactory(student=student, course=course)
    assert badge(student_client) == "Pending admin approval"
    payment.reject(approver, "Wrong amount")
    assert badge(student_client) == "Payment rejected: Wrong amount"

    again = PaymentFactory(student=student, course=course)
    assert badge(student_client) == "Pending admin approval"
    again.approve(approver)
    assert badge(student_client) == "Ready to schedule"
    again.delete()
    assert badge(student_client) == "Payment rejected: Wrong amount"


def test_request_transitions_show_at_once(student_client, student, approver, course):
    interview = InterviewRequestFactory(student=student, course=course)
    assert badge(student_client) == "Schedule request pending"

    interview.reject(approver, "No reviewer that day")
    assert badge(student_client) == "Request rejected: No reviewer that day"

    second = InterviewRequestFactory(
        student=student, course=course, payment=interview.payment
    )
    assert badge(student_client) == "Schedule request pending"
    second.schedule(approver, timezone.now() + timedelta(days=2))
    assert badge(student_client).startswith("Scheduled on ")

    second.cancel(student)
    assert badge(student_client) == "Ready to schedule"


def test_a_missed_interview_and_its_reopening_show_at_once(
    student_client, student, approver, course
):
    InterviewQuestionFactory(course=course)  # unanswered
    payment = CompletedPaymentFactory(student=student, course=course)
    interview = InterviewRequestFactory(
        student=student,
        course=course,
        payment=payment,
        status=RequestStatus.SCHEDULED,
        scheduled_at=timezone.now() - timedelta(days=1),
    )
    assert badge(student_client).startswith("Scheduled on ")

    assert interview.mark_missed()
    assert badge(student_client) == "Interview missed"
    interview.reopen(approver, timezone.now() + timedelta(days=2))
    assert badge(student_client).startswith("Scheduled on ")


def test_an_edit_through_a_proxy_admin_shows_at_once(student_client, student, course):
    interview = InterviewRequestFactory(student=student, course=course)
    assert badge(student_client) == "Schedule request pending"

    missed = MissedInterview.objects.get(pk=interview.pk)
    missed.status = RequestStatus.MISSED
    missed.save()

    assert badge(student_client) == "Interview missed"


def test_a_bare_queryset_update_shows_at_once(student_client, student, course):
    interview = InterviewRequestFactory(student=student, course=course)
    assert badge(student_client) == "Schedule request pending"
    InterviewRequest.objects.filter(pk=interview.pk).update(status=RequestStatus.MISSED)

    assert badge(student_client) == "Interview missed"
