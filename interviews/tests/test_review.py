from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse
from django.utils import timezone

from accounts.testing import log_in_verified
from interviews.admin_review import InterviewToReviewAdmin
from interviews.factories import AnswerFactory, InterviewQuestionFactory
from interviews.models import InterviewRequest, InterviewToReview, RequestStatus
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


def test_the_change_page_opens_the_workbench(approver_client, completed):
    response = approver_client.get(_change_url(completed))

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:interviews_interviewtoreview_review", args=[completed.pk]
    )


def test_student_cannot_open_the_review_console(student_client, completed):
    assert student_client.get(CHANGELIST).status_code == 403
    assert student_client.get(_change_url(completed)).status_code == 403


def test_anonymous_is_sent_to_the_admin_login(client, completed):
    response = client.get(_change_url(completed))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_superuser_can_review(client, superuser, completed):
    log_in_verified(client, superuser)

    assert client.get(_change_url(completed), follow=True).status_code == 200


def test_scheduled_interview_is_not_in_the_review_queue(approver_client, student):
    interview = open_interview(student)

    assert approver_client.get(_change_url(interview)).status_code == 404


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


def test_the_workbench_player_shows_the_poster_and_flags_an_unreadable_file(
    client, approver
):
    from interviews.models import AnswerState

    with_poster = AnswerFactory(poster="answers/2026/12/poster.jpg")
    interview = with_poster.request
    InterviewRequest.objects.filter(pk=interview.pk).update(
        status=RequestStatus.COMPLETED
    )
    failed = AnswerFactory(
        request=interview,
        state=AnswerState.FAILED,
        processing_error="Invalid data",
    )
    log_in_verified(client, approver)
    html = client.get(
        reverse("admin:interviews_interviewtoreview_review", args=[interview.pk])
    ).content.decode()
    assert f'poster="/answers/{with_poster.public_id}/poster/"' in html
    assert f'poster="/answers/{failed.public_id}/poster/"' not in html
    assert "Unreadable recording (Invalid data)" in html
