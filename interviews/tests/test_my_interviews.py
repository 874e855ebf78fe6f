from datetime import UTC, datetime

import pytest
from django.urls import reverse

from interviews.factories import InterviewCourseFactory, InterviewRequestFactory
from interviews.models import RequestStatus
from payments.factories import CompletedPaymentFactory, PaymentFactory
from payments.models import PaymentStatus

pytestmark = pytest.mark.django_db
URL = reverse("interviews:my_interviews")


def test_it_lists_payments_and_requests_with_states_and_reasons(
    student_client, student
):
    course = InterviewCourseFactory(title="Bank PO Interview")
    PaymentFactory(
        student=student,
        course=InterviewCourseFactory(title="HR Round"),
        status=PaymentStatus.REJECTED,
        remarks="Screenshot unreadable",
    )
    InterviewRequestFactory(
        student=student,
        course=course,
        status=RequestStatus.REJECTED,
        rejection_reason="Pick a weekday",
    )
    body = student_client.get(URL).content.decode()
    assert "Bank PO Interview" in body
    assert "HR Round" in body
    assert "Screenshot unreadable" in body
    assert "Pick a weekday" in body
    # The cards' words, not the console's statuses.
    assert "Payment rejected" in body
    assert "Request rejected" in body


def test_it_shows_scheduled_times_in_ist(student_client, student):
    InterviewRequestFactory(
        student=student,
        status=RequestStatus.SCHEDULED,
        scheduled_at=datetime(2030, 1, 11, 18, 0, tzinfo=UTC),
        message_to_student="Wear formals",
    )
    body = student_client.get(URL).content.decode()
    assert "Fri 11 Jan 2030, 23:30" in body
    assert "Wear formals" in body


def test_newest_payments_come_first(student_client, student):
    CompletedPaymentFactory(student=student, course=InterviewCourseFactory(title="Old"))
    CompletedPaymentFactory(student=student, course=InterviewCourseFactory(title="New"))
    body = student_client.get(URL).content.decode()
    assert body.index("New") < body.index("Old")


def test_other_students_history_is_not_shown(student_client, other_student):
    CompletedPaymentFactory(
        student=other_student, course=InterviewCourseFactory(title="Secret Course")
    )
    body = student_client.get(URL).content.decode()
    assert "Secret Course" not in body
    assert "No payments or interviews yet" in body


def test_it_is_paginated_in_constant_queries(
    student_client, student, django_assert_max_num_queries
):
    for _ in range(12):
        InterviewRequestFactory(student=student)
    student_client.get(URL)
    with django_assert_max_num_queries(6):
        first = student_client.get(URL)
    assert first.context["page"].paginator.num_pages == 2
    second = student_client.get(URL + "?page=2").content.decode()
    assert "Page 2 of 2" in second


def test_it_requires_login(client):
    assert client.get(URL).status_code == 302


# ---- Live updates and the feedback link (issue 16) ----

STATE_URL = reverse("interviews:my_interviews_state")


def test_the_page_polls_while_a_request_waits_on_an_approver(student_client, student):
    InterviewRequestFactory(student=student)

    body = student_client.get(URL).content.decode()

    assert 'data-waiting="true"' in body
    assert "js/my_interviews.js" in body
    assert STATE_URL in body


def test_the_page_does_not_poll_when_nothing_waits(student_client, student):
    CompletedPaymentFactory(student=student)

    assert 'data-waiting="false"' in student_client.get(URL).content.decode()


def test_the_state_changes_its_key_when_a_request_is_decided(
    student_client, student, approver
):
    interview = InterviewRequestFactory(student=student)
    before = student_client.get(STATE_URL).json()

    interview.reject(approver, "No approver that day")
    after = student_client.get(STATE_URL).json()

    assert before["waiting"] is True
    assert after["waiting"] is False
    assert after["key"] != before["key"]
    assert "No approver that day" in after["html"]
    assert student_client.get(STATE_URL).json()["key"] == after["key"]


def test_the_state_is_only_the_students_own(client, student, other_student):
    InterviewRequestFactory(student=other_student, notes="Other's secret note")
    client.force_login(student)

    data = client.get(STATE_URL).json()

    assert "secret" not in data["html"]
    assert data["waiting"] is False


def test_a_published_review_is_linked(student_client, student):
    from interviews.factories import AnswerFactory
    from interviews.tests.room_helpers import open_interview

    interview = open_interview(student, questions=1)
    AnswerFactory(request=interview, question=interview.course.questions.get())
    interview.complete()
    body = student_client.get(URL).content.decode()
    assert "A reviewer is watching your answers" in body
    assert 'data-waiting="true"' in body

    interview.overall_rating, interview.result = 4, "pass"
    interview.save()
    interview.publish_review(None)

    body = student_client.get(URL).content.decode()
    report = reverse("interviews:report", args=[interview.public_id])
    assert f'href="{report}"' in body
    assert 'data-waiting="false"' in body
