"""The records behind the course cards come from the shared cache
(interviews.cards.student_records), and every change to a payment or a request
refreshes them: the cards never lag the database."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interviews.cards import student_records
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


def test_the_records_are_read_once(student_client, student, course):
    PaymentFactory(student=student, course=course)
    badge(student_client)

    with CaptureQueriesContext(connection) as queries:
        assert badge(student_client) == "Pending admin approval"

    tables = ('"payments_payment"', '"interviews_interviewrequest"')
    assert not [q for q in queries if any(t in q["sql"] for t in tables)]


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


def test_a_read_that_raced_a_transition_cannot_put_the_old_records_back(
    student, approver, course, django_capture_on_commit_callbacks
):
    payment = PaymentFactory(student=student, course=course)
    stale = student_records.get(student.pk)  # read before the decision committed
    with django_capture_on_commit_callbacks(execute=True):
        payment.approve(approver)

    assert cache.add(student_records.key(student.pk), stale) is False
    newest_payment, _ = student_records.get(student.pk)
    assert newest_payment[course.pk].status == "completed"


def test_a_request_update_outside_the_model_is_the_one_thing_not_seen(
    student_client, student, course
):
    # Every status change goes through InterviewRequest._transition; a bare
    # queryset update bypasses it, and shows only when the entry expires.
    interview = InterviewRequestFactory(student=student, course=course)
    assert badge(student_client) == "Schedule request pending"
    InterviewRequest.objects.filter(pk=interview.pk).update(status=RequestStatus.MISSED)
    assert badge(student_client) == "Schedule request pending"
    cache.delete(student_records.key(student.pk))
    assert badge(student_client) == "Interview missed"
