"""Assigning a completed interview to a reviewer (issue 16)."""

import pytest
from django.urls import reverse

from accounts.factories import UserFactory
from accounts.roles import OwnDecisionRefused, make_approver
from accounts.testing import log_in_verified
from interviews.factories import AnswerFactory
from interviews.models import RequestEvent, ReviewAssignment
from interviews.tests.room_helpers import open_interview

CHANGELIST = reverse("admin:interviews_interviewtoreview_changelist")


@pytest.fixture
def completed(student):
    interview = open_interview(student, questions=1)
    AnswerFactory(request=interview, question=interview.course.questions.get())
    assert interview.complete()
    return interview


def _assign_url(interview):
    return reverse("admin:interviews_interviewtoreview_assign", args=[interview.pk])


@pytest.mark.undone_in_the_test_transaction
def test_a_reviewer_claims_an_unassigned_interview_once(completed, approver):
    colleague = make_approver(UserFactory(username="ravi"))

    assert ReviewAssignment.claim(completed, approver) is True
    assert ReviewAssignment.claim(completed, colleague) is False
    assert ReviewAssignment.claim(completed, approver) is True  # already theirs

    assert completed.assignment.reviewer == approver
    assert RequestEvent.objects.filter(note__startswith="Review assigned").count() == 1


def test_nobody_reviews_their_own_interview(student, completed):
    make_approver(student)

    with pytest.raises(OwnDecisionRefused):
        ReviewAssignment.claim(completed, student)


def test_assign_to_me_from_the_workbench(approver_client, approver, completed):
    response = approver_client.post(_assign_url(completed))

    assert response.status_code == 302
    completed.refresh_from_db()
    assert completed.assignment.reviewer == approver
    body = approver_client.get(response["Location"]).content.decode()
    assert "Reviewer: <strong>Asha Approver</strong>" in body
    assert "Assign to me" not in body


@pytest.mark.undone_in_the_test_transaction
def test_an_approver_cannot_take_an_assigned_interview(
    approver_client, approver, completed
):
    colleague = make_approver(UserFactory(username="ravi"))
    ReviewAssignment.claim(completed, colleague)

    approver_client.post(_assign_url(completed), {"reviewer": approver.pk})

    completed.refresh_from_db()
    assert completed.assignment.reviewer == colleague


def test_a_lead_assigns_to_any_reviewer(client, superuser, approver, completed):
    colleague = make_approver(UserFactory(username="ravi"))
    ReviewAssignment.claim(completed, colleague)
    log_in_verified(client, superuser)

    client.post(_assign_url(completed), {"reviewer": approver.pk})

    completed.refresh_from_db()
    assert completed.assignment.reviewer == approver
    assert completed.assignment.assigned_by == superuser


def test_the_queue_shows_who_has_what_and_filters_mine(
    approver_client, approver, student, completed
):
    other = open_interview(student, questions=1)
    AnswerFactory(request=other, question=other.course.questions.get())
    other.complete()
    ReviewAssignment.claim(completed, approver)

    page = approver_client.get(CHANGELIST)
    mine = approver_client.get(CHANGELIST + "?assigned=me").context["cl"]
    nobody = approver_client.get(CHANGELIST + "?assigned=nobody").context["cl"]

    assert "Asha Approver" in page.content.decode()
    assert "Waiting" in page.content.decode()
    assert [i.pk for i in mine.result_list] == [completed.pk]
    assert [i.pk for i in nobody.result_list] == [other.pk]


def test_the_assign_to_me_action_claims_only_the_unassigned(
    approver_client, approver, student, completed
):
    colleague = make_approver(UserFactory(username="ravi"))
    other = open_interview(student, questions=1)
    AnswerFactory(request=other, question=other.course.questions.get())
    other.complete()
    ReviewAssignment.claim(other, colleague)

    response = approver_client.post(
        CHANGELIST,
        {
            "action": "assign_to_me",
            "_selected_action": [completed.pk, other.pk],
        },
        follow=True,
    )

    assert "1 interview assigned to you" in response.content.decode()
    assert ReviewAssignment.objects.get(interview=completed).reviewer == approver
    assert ReviewAssignment.objects.get(interview=other).reviewer == colleague
