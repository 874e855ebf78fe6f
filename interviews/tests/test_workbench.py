"""The review workbench (issue 16): drafts, publishing, rubric scores and
comments pinned to moments of a recording."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.testing import log_in_verified
from interviews.factories import AnswerFactory
from interviews.models import (
    AnswerComment,
    AnswerScore,
    RequestEvent,
    ReviewResult,
    RubricCriterion,
)
from interviews.tests.room_helpers import open_interview

pytestmark = pytest.mark.usefixtures("immediate_tasks")


@pytest.fixture
def completed(student):
    interview = open_interview(student, questions=2)
    for question in interview.course.questions.all():
        AnswerFactory(request=interview, question=question, duration_seconds=75)
    RubricCriterion.objects.create(
        course=interview.course,
        name="Structure",
        order=1,
        guide_1="Rambling",
        guide_5="A clear beginning, middle and end",
    )
    RubricCriterion.objects.create(course=interview.course, name="Confidence", order=2)
    assert interview.complete()
    return interview


def _url(interview, name="review", *args):
    return reverse(
        f"admin:interviews_interviewtoreview_{name}", args=[interview.pk, *args]
    )


def _post_data(interview, **overrides):
    data = {
        "overall_rating": "4",
        "result": ReviewResult.PASS,
        "feedback": "Clear answers. Work on <eye contact> & pace.",
        "next_steps": "Practise the STAR structure.",
    }
    criteria = list(interview.course.rubric.all())
    for index, answer in enumerate(interview.answers.order_by("question__order")):
        prefix = f"answer-{answer.public_id}"
        data[f"{prefix}-rating"] = str(index + 3)
        data[f"{prefix}-comment"] = f"Note {index}"
        for criterion in criteria:
            data[f"{prefix}-score_{criterion.pk}"] = str(index + 2)
    data.update(overrides)
    return data


def test_workbench_shows_a_player_rubric_and_forms_per_answer(
    approver_client, completed
):
    response = approver_client.get(_url(completed))

    body = response.content.decode()
    assert response.status_code == 200
    for answer in completed.answers.all():
        video_url = reverse("interviews:answer_video", args=[answer.public_id])
        assert f'src="{video_url}"' in body
        assert answer.question.text in body
        assert f'name="answer-{answer.public_id}-rating"' in body
    assert 'preload="metadata"' in body
    assert "1:15" in body  # 75 seconds
    assert "A clear beginning, middle and end" in body
    assert 'data-speed="1.5"' in body
    assert "Comment at current time" in body
    assert "Save draft" in body and "Publish to student" in body
    assert 'src="/static/js/workbench.js"' in body or "js/workbench" in body
    assert "js/player.js" in body  # a fresh link when a recording's expires


def test_one_answer_at_a_time(approver_client, completed):
    first, second = completed.answers.order_by("question__order")

    body = approver_client.get(_url(completed) + "?answer=2").content.decode()

    assert second.question.text in body
    assert first.question.text not in body
    assert "Answer 2 of 2" in body


def test_saving_a_draft_stores_everything_and_publishes_nothing(
    approver_client, completed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = approver_client.post(_url(completed), _post_data(completed))

    assert response.status_code == 302
    completed.refresh_from_db()
    assert completed.overall_rating == 4
    assert completed.next_steps == "Practise the STAR structure."
    assert completed.reviewed_at is None
    assert completed.reviewed_by is None
    answers = completed.answers.order_by("question__order")
    assert [(a.rating, a.comment) for a in answers] == [(3, "Note 0"), (4, "Note 1")]
    assert sorted(AnswerScore.objects.values_list("score", flat=True)) == [2, 2, 3, 3]
    assert mail.outbox == []


def test_saving_again_replaces_and_clears_scores(approver_client, completed):
    approver_client.post(_url(completed), _post_data(completed))
    answer = completed.answers.order_by("question__order").first()
    criterion = completed.course.rubric.get(name="Structure")
    data = _post_data(
        completed, **{f"answer-{answer.public_id}-score_{criterion.pk}": ""}
    )

    approver_client.post(_url(completed), data)

    assert not AnswerScore.objects.filter(answer=answer, criterion=criterion).exists()
    assert AnswerScore.objects.count() == 3


def test_a_score_outside_one_to_five_saves_nothing(approver_client, completed):
    answer = completed.answers.first()
    criterion = completed.course.rubric.first()
    data = _post_data(
        completed, **{f"answer-{answer.public_id}-score_{criterion.pk}": "9"}
    )

    response = approver_client.post(_url(completed), data)

    assert response.status_code == 200
    assert AnswerScore.objects.count() == 0
    completed.refresh_from_db()
    assert completed.overall_rating is None


def test_publishing_shows_the_review_and_emails_the_student_once(
    approver_client, approver, student, completed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = approver_client.post(
            _url(completed, "publish"), _post_data(completed)
        )
        again = approver_client.post(_url(completed, "publish"), _post_data(completed))

    assert response.status_code == 302
    completed.refresh_from_db()
    assert completed.reviewed_by == approver
    assert completed.reviewed_at is not None
    assert completed.result == ReviewResult.PASS
    assert (
        RequestEvent.objects.filter(
            request=completed, note="Review published to the student."
        ).count()
        == 1
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [student.email]
    report = reverse("interviews:report", args=[completed.public_id])
    assert report in message.body
    assert "Work on <eye contact> & pace." in message.body
    html = message.alternatives[0][0]
    assert "&lt;eye contact&gt; &amp; pace." in html
    assert again.status_code == 302
    messages = [str(m) for m in again.wsgi_request._messages]
    assert any("already published" in m for m in messages)


def test_publishing_needs_the_result_and_rating(approver_client, completed):
    response = approver_client.post(
        _url(completed, "publish"), _post_data(completed, result="", overall_rating="")
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose the result before publishing." in body
    assert "Give an overall rating before publishing." in body
    completed.refresh_from_db()
    assert completed.reviewed_at is None


def test_a_published_review_cannot_be_changed(approver_client, completed):
    approver_client.post(_url(completed, "publish"), _post_data(completed))

    approver_client.post(_url(completed), _post_data(completed, feedback="Changed"))

    completed.refresh_from_db()
    assert completed.feedback.startswith("Clear answers.")
    body = approver_client.get(_url(completed)).content.decode()
    assert "Publish to student" not in body
    assert "It can no longer be changed." in body


def test_an_approver_cannot_publish_their_own_interview(client, student, completed):
    from accounts.roles import make_approver

    make_approver(student)
    client.force_login(student)

    client.post(_url(completed, "publish"), _post_data(completed))

    completed.refresh_from_db()
    assert completed.reviewed_at is None
    assert completed.overall_rating is None


def test_a_comment_is_pinned_at_a_time(approver_client, approver, completed):
    answer = completed.answers.first()
    prefix = f"comment-{answer.public_id}"

    response = approver_client.post(
        _url(completed, "comment", answer.public_id),
        {f"{prefix}-at_seconds": "12.5", f"{prefix}-text": "Good eye contact here"},
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"#answer-{answer.public_id}")
    comment = AnswerComment.objects.get()
    assert (comment.answer, comment.author, comment.at_seconds) == (
        answer,
        approver,
        12.5,
    )
    body = approver_client.get(_url(completed)).content.decode()
    assert 'data-seek="12.5"' in body and "0:12" in body


def test_a_comment_past_the_end_of_the_recording_is_refused(approver_client, completed):
    answer = completed.answers.first()
    prefix = f"comment-{answer.public_id}"

    approver_client.post(
        _url(completed, "comment", answer.public_id),
        {f"{prefix}-at_seconds": "300", f"{prefix}-text": "Too late"},
    )

    assert not AnswerComment.objects.exists()


def test_a_comment_can_be_removed_before_publishing(approver_client, completed):
    comment = AnswerComment.objects.create(
        answer=completed.answers.first(), at_seconds=3, text="Oops"
    )

    approver_client.post(_url(completed, "delete_comment", comment.public_id))

    assert not AnswerComment.objects.exists()


def test_students_cannot_open_or_post_to_the_workbench(student_client, completed):
    answer = completed.answers.first()
    assert student_client.get(_url(completed)).status_code in (302, 403)
    student_client.post(_url(completed, "publish"), _post_data(completed))
    student_client.post(
        _url(completed, "comment", answer.public_id),
        {
            f"comment-{answer.public_id}-at_seconds": "1",
            f"comment-{answer.public_id}-text": "x",
        },
    )
    completed.refresh_from_db()
    assert completed.reviewed_at is None
    assert not AnswerComment.objects.exists()


def test_staff_without_the_review_permission_is_refused(client, completed):
    from accounts.factories import UserFactory

    staff = UserFactory(username="clerk", is_staff=True)
    log_in_verified(client, staff)

    assert client.get(_url(completed)).status_code == 403


def test_workbench_queries_do_not_grow_with_answers(
    approver_client, completed, django_assert_max_num_queries
):
    approver_client.get(_url(completed))
    with django_assert_max_num_queries(14):
        approver_client.get(_url(completed))
