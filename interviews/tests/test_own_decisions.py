"""An approver never schedules, rejects, reopens or reviews their own interview:
the model refuses it and every admin path says so on the page."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.roles import OwnDecisionRefused
from interviews.factories import AnswerFactory, InterviewRequestFactory
from interviews.models import InterviewRequest, RequestEvent, RequestStatus
from interviews.scheduling import site_datetime
from interviews.tests.room_helpers import open_interview

pytestmark = pytest.mark.django_db


def refused(what):
    return f"You cannot decide on your own {what}: another approver must do it."


def _future_day(days=3):
    local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    return (local + timedelta(days=days)).date()


@pytest.fixture
def own_request(approver):
    return InterviewRequestFactory(student=approver)


@pytest.fixture
def own_completed(approver):
    interview = open_interview(approver, questions=1)
    AnswerFactory(request=interview, question=interview.course.questions.get())
    assert interview.complete()
    return interview


@pytest.fixture
def own_missed(approver):
    start = timezone.now() - timedelta(hours=3)
    interview = open_interview(
        approver, questions=2, preferred_at=start, scheduled_at=start
    )
    assert interview.mark_missed()
    return interview


def events(interview):
    return list(RequestEvent.objects.filter(request=interview))


# The model ----------------------------------------------------------------


def test_schedule_and_reject_refuse_the_approvers_own_request(own_request, approver):
    with pytest.raises(OwnDecisionRefused, match=refused("interview request")):
        own_request.schedule(approver, timezone.now() + timedelta(days=2))
    with pytest.raises(OwnDecisionRefused, match=refused("interview request")):
        own_request.reject(approver, "No slots")
    own_request.refresh_from_db()
    assert own_request.status == RequestStatus.PENDING
    assert own_request.decided_by is None
    assert not events(own_request)


def test_reopen_refuses_the_approvers_own_interview(own_missed, approver):
    before = events(own_missed)
    with pytest.raises(OwnDecisionRefused, match=refused("interview")):
        own_missed.reopen(approver, timezone.now() + timedelta(days=1))
    own_missed.refresh_from_db()
    assert own_missed.status == RequestStatus.MISSED
    assert events(own_missed) == before


def test_check_reviewer_refuses_the_approver_and_allows_another(
    own_completed, approver, superuser
):
    with pytest.raises(OwnDecisionRefused, match=refused("interview review")):
        own_completed.check_reviewer(approver)
    own_completed.check_reviewer(superuser)  # no exception


def test_another_approver_may_decide_the_request(own_request, superuser):
    assert own_request.reject(superuser, "No slots")


# The admin ----------------------------------------------------------------


def _request_url(interview):
    return reverse("admin:interviews_interviewrequest_change", args=[interview.pk])


def test_scheduling_ones_own_request_on_its_page_is_refused(
    approver_client, own_request
):
    response = approver_client.post(
        _request_url(own_request),
        {
            "schedule-date": _future_day().isoformat(),
            "schedule-time": "11:00",
            "schedule-message": "",
            "_schedule": "1",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert refused("interview request") in response.content.decode()
    own_request.refresh_from_db()
    assert own_request.status == RequestStatus.PENDING
    assert not mail.outbox


def test_rejecting_ones_own_request_on_its_page_is_refused(
    approver_client, own_request
):
    response = approver_client.post(
        _request_url(own_request),
        {"reject-reason": "Busy", "_reject": "1"},
        follow=True,
    )

    assert response.status_code == 200
    assert refused("interview request") in response.content.decode()
    own_request.refresh_from_db()
    assert own_request.status == RequestStatus.PENDING


def test_bulk_approval_schedules_the_others_and_skips_the_own_one(
    approver_client, approver
):
    ten = site_datetime(_future_day(), datetime.min.time()).replace(hour=10)
    other = InterviewRequestFactory(preferred_at=ten)
    own = InterviewRequestFactory(
        student=approver, preferred_at=ten + timedelta(hours=2)
    )

    response = approver_client.post(
        reverse("admin:interviews_interviewrequest_changelist"),
        {
            "action": "approve_at_preferred_times",
            "_selected_action": [other.pk, own.pk],
        },
        follow=True,
    )

    body = response.content.decode()
    assert "Approved 1 request." in body
    assert "1 of your own (another approver decides those)" in body
    statuses = dict(InterviewRequest.objects.values_list("pk", "status"))
    assert statuses == {
        other.pk: RequestStatus.SCHEDULED,
        own.pk: RequestStatus.PENDING,
    }


def test_reviewing_ones_own_interview_is_refused_and_nothing_is_saved(
    approver_client, own_completed
):
    answer = own_completed.answers.get()
    url = reverse("admin:interviews_interviewtoreview_publish", args=[own_completed.pk])
    prefix = f"answer-{answer.public_id}"

    response = approver_client.post(
        url,
        {
            "overall_rating": "5",
            "result": "pass",
            "feedback": "Excellent, says me.",
            "next_steps": "None needed.",
            f"{prefix}-rating": "5",
            f"{prefix}-comment": "Great",
        },
        follow=True,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert refused("interview review") in body
    assert "was changed successfully" not in body
    own_completed.refresh_from_db()
    answer.refresh_from_db()
    assert own_completed.reviewed_at is None and own_completed.reviewed_by is None
    assert own_completed.feedback == "" and own_completed.overall_rating is None
    assert answer.rating is None and answer.comment == ""
    assert not mail.outbox


def test_reopening_ones_own_missed_interview_is_refused(approver_client, own_missed):
    url = reverse("admin:interviews_missedinterview_change", args=[own_missed.pk])
    local = timezone.localtime(timezone.now() + timedelta(days=1))

    response = approver_client.post(
        url,
        {
            "new_start_0": local.strftime("%Y-%m-%d"),
            "new_start_1": local.strftime("%H:%M:%S"),
            "note": "",
        },
        follow=True,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert refused("interview") in body
    assert "was changed successfully" not in body
    own_missed.refresh_from_db()
    assert own_missed.status == RequestStatus.MISSED


def test_the_own_requests_page_says_why_and_offers_no_forms(
    approver_client, own_request
):
    response = approver_client.get(_request_url(own_request))

    assert response.status_code == 200
    body = response.content.decode()
    assert refused("interview request") in body
    assert "Approve with this schedule" not in body
