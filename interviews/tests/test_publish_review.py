"""InterviewRequest.publish_review: once, audited, refusing the student's own
interview, and race-safe (the last test runs on PostgreSQL)."""

import threading

import pytest
from django.core import mail
from django.db import connection

from accounts.factories import UserFactory
from accounts.roles import OwnDecisionRefused, make_approver
from interviews.factories import AnswerFactory
from interviews.models import InterviewRequest, RequestEvent, ReviewResult
from interviews.tests.room_helpers import open_interview

pytestmark = pytest.mark.usefixtures("immediate_tasks")


def _completed(student, **review):
    interview = open_interview(student, questions=1)
    AnswerFactory(request=interview, question=interview.course.questions.get())
    assert interview.complete()
    InterviewRequest.objects.filter(pk=interview.pk).update(**review)
    interview.refresh_from_db()
    return interview


READY = {"overall_rating": 4, "result": ReviewResult.PASS, "feedback": "Good."}


@pytest.mark.django_db
def test_it_publishes_once_and_audits(
    student, approver, superuser, django_capture_on_commit_callbacks
):
    interview = _completed(student, **READY)

    with django_capture_on_commit_callbacks(execute=True):
        assert interview.publish_review(approver) is True
        assert interview.publish_review(superuser) is False

    interview.refresh_from_db()
    assert interview.reviewed_by == approver
    assert RequestEvent.objects.filter(request=interview, actor=approver).count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_it_needs_the_result_and_the_rating(student, approver):
    interview = _completed(student, feedback="Half done")

    with pytest.raises(ValueError):
        interview.publish_review(approver)
    interview.refresh_from_db()
    assert interview.reviewed_at is None


@pytest.mark.django_db
def test_it_refuses_the_students_own_interview(student):
    make_approver(student)
    interview = _completed(student, **READY)

    with pytest.raises(OwnDecisionRefused):
        interview.publish_review(student)
    with pytest.raises(OwnDecisionRefused):
        interview.save_review_draft(student, feedback="I was great")


@pytest.mark.django_db
def test_a_draft_cannot_change_a_published_review(student, approver):
    interview = _completed(student, **READY)
    interview.publish_review(approver)

    assert interview.save_review_draft(approver, feedback="Changed") is False
    interview.refresh_from_db()
    assert interview.feedback == "Good."


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_publishing_at_once_one_wins():
    if connection.vendor not in ("postgresql", "mongodb"):  # issue 18
        pytest.skip("needs PostgreSQL row locks")
    student = UserFactory(username="s")
    reviewers = [make_approver(UserFactory(username=f"r{n}")) for n in range(2)]
    interview = _completed(student, **READY)
    barrier = threading.Barrier(2)
    results, errors = [None, None], []

    def publish(index):
        try:
            mine = InterviewRequest.objects.get(pk=interview.pk)
            barrier.wait(timeout=10)
            results[index] = mine.publish_review(reviewers[index])
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert sorted(results) == [False, True]
    interview.refresh_from_db()
    assert interview.reviewed_by == reviewers[results.index(True)]
    assert (
        RequestEvent.objects.filter(note="Review published to the student.").count()
        == 1
    )
    assert len(mail.outbox) == 1
