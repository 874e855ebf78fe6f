"""The interview room with the fake camera: retakes, and coming back after a reload."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interviews.factories import (
    InterviewCourseFactory,
    InterviewQuestionFactory,
    ScheduledRequestFactory,
)
from interviews.models import RequestStatus

pytestmark = pytest.mark.e2e


@pytest.fixture
def interview(student):
    course = InterviewCourseFactory(title="Sales Executive", slug="sales")
    for order, text in enumerate(["Sell me this pen.", "Why sales?"], start=1):
        InterviewQuestionFactory(
            course=course,
            text=text,
            order=order,
            preparation_seconds=1,
            max_answer_seconds=10,
        )
    return ScheduledRequestFactory(student=student, course=course)


def record_for_a_moment(page):
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    page.wait_for_timeout(1000)
    stop.click()
    expect(page.get_by_role("button", name="Submit answer")).to_be_visible()


def test_a_student_retakes_an_answer_and_resumes_after_a_reload(page_as, interview):
    page = page_as(interview.student)
    page.goto(f"/interviews/{interview.public_id}/room/")
    page.get_by_role("button", name="My camera and microphone work").click()
    page.get_by_role("button", name="I agree, start the interview").click()

    # Question 1: a preparation countdown, a first take, then a retake.
    expect(page.get_by_text("Question 1 of 2")).to_be_visible()
    expect(page.get_by_text("Sell me this pen.")).to_be_visible()
    record_for_a_moment(page)
    expect(page.get_by_text("You can retake this answer 1 more time.")).to_be_visible()
    page.get_by_role("button", name="Retake").click()
    record_for_a_moment(page)
    expect(page.get_by_role("button", name="Retake")).to_be_hidden()
    page.get_by_role("button", name="Submit answer").click()
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()
    assert interview.answers.count() == 1

    # The browser closes mid-interview; back in the room, question 2 is next and
    # the consent already given is not asked again.
    page.reload()
    page.get_by_role("button", name="My camera and microphone work").click()
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()
    expect(page.get_by_text("Why sales?")).to_be_visible()
    record_for_a_moment(page)
    page.get_by_role("button", name="Submit answer").click()
    expect(page.get_by_role("heading", name="Interview completed")).to_be_visible()

    interview.refresh_from_db()
    assert interview.status == RequestStatus.COMPLETED
    assert interview.completed_at <= timezone.now()
    assert sorted(a.question.text for a in interview.answers.all()) == [
        "Sell me this pen.",
        "Why sales?",
    ]
