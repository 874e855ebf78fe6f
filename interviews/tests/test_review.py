from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.testing import log_in_verified
from interviews.admin_review import AnswerReviewInline, InterviewToReviewAdmin
from interviews.factories import AnswerFactory, InterviewQuestionFactory
from interviews.models import InterviewToReview, RequestStatus, ReviewResult
from interviews.tests.room_helpers import open_interview

# Emails are delivered by a task: run each at once (issue 13).
pytestmark = pytest.mark.usefixtures("immediate_tasks")


CHANGELIST = reverse("admin:interviews_interviewtoreview_changelist")


@pytest.fixture
def completed(student):
    interview = open_interview(student, questions=2)
    for question in interview.course.questions.all():
        AnswerFactory(request=interview, question=question, duration_seconds=75)
    assert interview.complete()
    return interview


def _change_url(interview):
    return reverse("admin:interviews_interviewtoreview_change", args=[interview.pk])


def _review_post(interview, **overrides):
    answers = list(interview.answers.order_by("question__order"))
    data = {
        "overall_rating": "4",
        "result": ReviewResult.PASS,
        "feedback": "Clear answers. Work on <eye contact> & pace.",
        "answers-TOTAL_FORMS": str(len(answers)),
        "answers-INITIAL_FORMS": str(len(answers)),
        "answers-MIN_NUM_FORMS": "0",
        "answers-MAX_NUM_FORMS": "0",
    }
    for index, answer in enumerate(answers):
        data[f"answers-{index}-id"] = str(answer.pk)
        data[f"answers-{index}-request"] = str(interview.pk)
        data[f"answers-{index}-rating"] = str(index + 3)
        data[f"answers-{index}-comment"] = f"Comment {index}"
    data.update(overrides)
    return data


def test_approver_sees_completed_interviews_oldest_first(approver_client, student):
    newer = open_interview(student, questions=1)
    AnswerFactory(request=newer, question=newer.course.questions.get())
    newer.complete()
    older = open_interview(student, questions=1)
    AnswerFactory(request=older, question=older.course.questions.get())
    older.complete()
    InterviewToReview.objects.filter(pk=older.pk).update(
        completed_at=timezone.now() - timedelta(days=2)
    )
    open_interview(student, questions=1)  # scheduled: not in the queue

    response = approver_client.get(CHANGELIST)

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [row.pk for row in rows] == [older.pk, newer.pk]


def test_not_reviewed_filter(approver_client, completed, student):
    InterviewToReview.objects.filter(pk=completed.pk).update(reviewed_at=timezone.now())

    reviewed = approver_client.get(CHANGELIST + "?reviewed=yes").context["cl"]
    waiting = approver_client.get(CHANGELIST + "?reviewed=no").context["cl"]

    assert [r.pk for r in reviewed.result_list] == [completed.pk]
    assert list(waiting.result_list) == []


def test_change_page_shows_a_player_per_answer(approver_client, completed):
    response = approver_client.get(_change_url(completed))

    body = response.content.decode()
    assert response.status_code == 200
    for answer in completed.answers.all():
        video_url = reverse("interviews:answer_video", args=[answer.public_id])
        assert f'src="{video_url}"' in body
        assert answer.question.text in body
    assert 'preload="metadata"' in body
    assert "1:15" in body  # 75 seconds
    assert "2.0\xa0KB" in body
    assert "Email the feedback to the student" in body


def test_saving_a_review_records_ratings_and_reviewer(
    approver_client, approver, completed
):
    response = approver_client.post(_change_url(completed), _review_post(completed))

    assert response.status_code == 302
    completed.refresh_from_db()
    assert completed.overall_rating == 4
    assert completed.result == ReviewResult.PASS
    assert completed.reviewed_by == approver
    assert completed.reviewed_at is not None
    assert completed.status == RequestStatus.COMPLETED
    ratings = list(
        completed.answers.order_by("question__order").values_list("rating", "comment")
    )
    assert ratings == [(3, "Comment 0"), (4, "Comment 1")]
    assert mail.outbox == []  # the approver did not ask to email it


def test_saving_with_the_checkbox_emails_the_escaped_feedback(
    approver_client, student, completed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        approver_client.post(
            _change_url(completed), _review_post(completed, email_feedback="on")
        )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [student.email]
    assert "Work on <eye contact> & pace." in message.body
    html = message.alternatives[0][0]
    assert "&lt;eye contact&gt; &amp; pace." in html
    assert "<eye contact>" not in html


def test_emailing_needs_feedback(approver_client, completed):
    response = approver_client.post(
        _change_url(completed),
        _review_post(completed, feedback="", email_feedback="on"),
    )

    assert response.status_code == 200
    assert "write the feedback before emailing it" in response.content.decode()
    completed.refresh_from_db()
    assert completed.reviewed_at is None


def test_rating_outside_one_to_five_is_refused(approver_client, completed):
    response = approver_client.post(
        _change_url(completed), _review_post(completed, **{"answers-0-rating": "9"})
    )

    assert response.status_code == 200
    assert completed.answers.filter(rating__isnull=False).count() == 0


def test_student_cannot_open_the_review_console(student_client, completed):
    assert student_client.get(CHANGELIST).status_code == 403
    assert student_client.get(_change_url(completed)).status_code == 403


def test_anonymous_is_sent_to_the_admin_login(client, completed):
    response = client.get(_change_url(completed))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_superuser_can_review(client, superuser, completed):
    log_in_verified(client, superuser)

    assert client.get(_change_url(completed)).status_code == 200


def test_scheduled_interview_is_not_in_the_review_queue(approver_client, student):
    interview = open_interview(student)

    assert approver_client.get(_change_url(interview)).status_code == 302


def test_answers_cannot_be_added_or_deleted_from_the_review(rf, approver):
    inline = AnswerReviewInline(InterviewToReview, site)
    request = rf.get("/")
    request.user = approver

    assert inline.has_add_permission(request) is False
    assert inline.has_delete_permission(request) is False


def test_duration_display(approver):
    inline = AnswerReviewInline(InterviewToReview, site)

    assert inline.duration(AnswerFactory.build(duration_seconds=None)) == "unknown"
    assert inline.duration(AnswerFactory.build(duration_seconds=61.4)) == "1:01"


def test_review_queue_queries_do_not_grow(
    approver_client, student, django_assert_max_num_queries
):
    for _ in range(5):
        interview = open_interview(student, questions=1)
        AnswerFactory(request=interview, question=interview.course.questions.get())
        interview.complete()
        InterviewQuestionFactory(course=interview.course)
    approver_client.get(CHANGELIST)  # the first request also saves the session

    with django_assert_max_num_queries(10):
        approver_client.get(CHANGELIST)


def test_admin_class_has_no_add_or_delete(rf, approver):
    model_admin = InterviewToReviewAdmin(InterviewToReview, site)
    request = rf.get("/")
    request.user = approver

    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_delete_permission(request) is False


def test_the_review_player_shows_the_poster_and_flags_an_unreadable_file(approver):
    from interviews.models import Answer, AnswerState

    inline = AnswerReviewInline(InterviewToReview, site)
    with_poster = AnswerFactory(poster="answers/2026/12/poster.jpg")
    html = inline.recording(with_poster)
    assert 'preload="metadata"' in html
    assert f'poster="/answers/{with_poster.public_id}/poster/"' in html
    assert 'poster=""' in inline.recording(AnswerFactory())
    failed = Answer(state=AnswerState.FAILED, processing_error="Invalid data")
    assert "unreadable recording (Invalid data)" in inline.duration(failed)
