"""The interview room with the fake camera: retakes, and coming back after a reload."""

import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interviews.factories import (
    InterviewCourseFactory,
    InterviewQuestionFactory,
    ScheduledRequestFactory,
)
from interviews.models import Answer, AnswerState, RequestStatus

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("immediate_tasks")]


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


# ---- Resumable answers (issue 14) ----


def _answer_of(interview, text):
    return Answer.objects.filter(request=interview, question__text=text).first()


def wait_until(check, seconds=15):
    """Poll the database from the test thread until `check()` is truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the server")


def enter_the_room(page, interview):
    page.goto(f"/interviews/{interview.public_id}/room/")
    page.get_by_role("button", name="My camera and microphone work").click()
    consent = page.get_by_role("button", name="I agree, start the interview")
    if interview.consent_given_at is None:
        consent.click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()


def test_an_answer_uploads_while_it_is_recorded_and_survives_a_drop(page_as, interview):
    page = page_as(interview.student)
    enter_the_room(page, interview)

    # The first slice reaches the server while the student is still speaking.
    received = wait_until(
        lambda: (a := _answer_of(interview, "Sell me this pen.")) and a.bytes_received
    )
    assert _answer_of(interview, "Sell me this pen.").state == AnswerState.RECORDING

    # The network goes for a few seconds; recording goes on.
    page.context.set_offline(True)
    expect(page.get_by_text("Reconnecting — your answer is safe")).to_be_visible()
    page.wait_for_timeout(1500)
    page.context.set_offline(False)
    expect(page.get_by_text("Reconnecting — your answer is safe")).to_be_hidden()
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("Answer saved.")).to_be_visible()
    page.get_by_role("button", name="Submit answer").click()
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()

    answer = _answer_of(interview, "Sell me this pen.")
    assert answer.attempt == 1
    assert answer.bytes_received > received
    # Every byte arrived once, in order: ffprobe reads the whole answer.
    assert answer.state == AnswerState.PROCESSED, answer.processing_error
    assert answer.duration_seconds > 4


def test_a_reload_mid_answer_resumes_it_and_keeps_the_retake_count(page_as, interview):
    page = page_as(interview.student)
    enter_the_room(page, interview)
    wait_until(lambda: _answer_of(interview, "Sell me this pen."))
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("You can retake this answer 1 more time.")).to_be_visible()
    page.get_by_role("button", name="Retake").click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    wait_until(lambda: _answer_of(interview, "Sell me this pen.").attempt == 2)

    # The tab is reloaded in the middle of the retake.
    page.reload()
    page.get_by_role("button", name="My camera and microphone work").click()
    expect(page.get_by_text("Question 1 of 2")).to_be_visible()
    expect(page.get_by_role("button", name="Continue with this answer")).to_be_visible()
    expect(
        page.get_by_text("No retakes left: continue with this answer.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Retake")).to_be_hidden()
    page.get_by_role("button", name="Continue with this answer").click()
    expect(page.get_by_text("Answer saved.")).to_be_visible()
    page.get_by_role("button", name="Submit answer").click()
    expect(page.get_by_text("Question 2 of 2")).to_be_visible()

    answer = _answer_of(interview, "Sell me this pen.")
    assert answer.attempt == 2
    assert answer.state in (AnswerState.PROCESSED, AnswerState.FAILED)
    assert answer.state == AnswerState.PROCESSED, answer.processing_error
