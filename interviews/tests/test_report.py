"""The student's feedback report (issue 16)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interviews.factories import AnswerFactory, InterviewCourseFactory
from interviews.models import (
    AnswerComment,
    AnswerScore,
    InterviewRequest,
    ReviewResult,
    RubricCriterion,
)
from interviews.tests.room_helpers import open_interview


def _reviewed(student, course=None, published=True, rating=4, score=3, days_ago=0):
    kwargs = {"course": course} if course else {}
    interview = open_interview(student, questions=2, **kwargs)
    for question in interview.course.questions.all():
        AnswerFactory(
            request=interview, question=question, duration_seconds=75, rating=4
        )
    assert interview.complete()
    criterion, _ = RubricCriterion.objects.get_or_create(
        course=interview.course, name="Structure", defaults={"order": 1}
    )
    for answer in interview.answers.all():
        AnswerScore.objects.create(answer=answer, criterion=criterion, score=score)
    AnswerComment.objects.create(
        answer=interview.answers.first(), at_seconds=42.0, text="Strong opening"
    )
    InterviewRequest.objects.filter(pk=interview.pk).update(
        overall_rating=rating,
        result=ReviewResult.PASS,
        feedback="Clear and calm.",
        next_steps="Quantify your impact.",
        completed_at=timezone.now() - timedelta(days=days_ago),
    )
    interview.refresh_from_db()
    if published:
        interview.publish_review(None)
    return interview


def _report(interview):
    return reverse("interviews:report", args=[interview.public_id])


def test_student_reads_the_published_report(student_client, student):
    interview = _reviewed(student)

    response = student_client.get(_report(interview))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Pass" in body and "4 / 5" in body
    assert "Clear and calm." in body and "Quantify your impact." in body
    for answer in interview.answers.all():
        assert reverse("interviews:answer_video", args=[answer.public_id]) in body
        assert answer.question.text in body
    assert 'data-seek="42.0"' in body and "0:42" in body and "Strong opening" in body
    assert "Structure" in body
    assert "js/report.js" in body
    assert 'style="' not in body


def test_opening_the_report_changes_nothing_until_the_read_post(
    student_client, student
):
    interview = _reviewed(student)

    student_client.get(_report(interview))
    interview.refresh_from_db()
    assert interview.feedback_read_at is None

    response = student_client.post(
        reverse("interviews:report_read", args=[interview.public_id])
    )
    assert response.status_code == 204
    interview.refresh_from_db()
    first = interview.feedback_read_at
    assert first is not None
    student_client.post(reverse("interviews:report_read", args=[interview.public_id]))
    interview.refresh_from_db()
    assert interview.feedback_read_at == first  # the first open only


def test_an_unpublished_report_is_not_found_for_the_student(student_client, student):
    interview = _reviewed(student, published=False)

    assert student_client.get(_report(interview)).status_code == 404
    read = reverse("interviews:report_read", args=[interview.public_id])
    assert student_client.post(read).status_code == 404


def test_another_student_cannot_open_the_report(client, student, other_student):
    interview = _reviewed(student)
    client.force_login(other_student)

    assert client.get(_report(interview)).status_code == 404


def test_anonymous_is_sent_to_log_in(client, student):
    interview = _reviewed(student)

    response = client.get(_report(interview))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_approver_previews_an_unpublished_report(approver_client, student):
    interview = _reviewed(student, published=False)

    response = approver_client.get(_report(interview))

    assert response.status_code == 200
    assert "Preview: this review is not published" in response.content.decode()
    approver_client.post(reverse("interviews:report_read", args=[interview.public_id]))
    interview.refresh_from_db()
    assert interview.feedback_read_at is None  # only the student's open counts


def test_progress_across_attempts_is_charted_with_a_table(student_client, student):
    course = InterviewCourseFactory(title="HR Round")
    first = _reviewed(student, course=course, rating=2, score=2, days_ago=30)
    InterviewRequest.objects.filter(pk=first.pk).update(status="completed")
    latest = _reviewed(student, course=course, rating=4, score=5)

    body = student_client.get(_report(latest)).content.decode()

    assert "Your progress in HR Round" in body
    assert body.count("<svg") == 2  # overall rating and Structure
    assert "<polyline" in body
    assert "Up 2.0 since the first attempt." in body  # overall 2 -> 4
    assert "Up 3.0 since the first attempt." in body  # structure 2 -> 5
    assert "<table" in body
    assert _report(first) in body


def test_a_single_attempt_has_no_progress_chart(student_client, student):
    interview = _reviewed(student)

    body = student_client.get(_report(interview)).content.decode()

    assert "<svg" not in body


def test_report_queries_do_not_grow(
    student_client, student, django_assert_max_num_queries
):
    interview = _reviewed(student)
    student_client.get(_report(interview))
    with django_assert_max_num_queries(10):
        student_client.get(_report(interview))


@pytest.mark.parametrize("url_name", ["interviews:report"])
def test_the_card_links_to_the_report(student_client, student, url_name):
    interview = _reviewed(student)

    body = student_client.get(reverse("dashboard")).content.decode()

    assert "Feedback ready" in body
    assert reverse(url_name, args=[interview.public_id]) in body
