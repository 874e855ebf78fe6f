"""Transcripts beside the players (issue 16, item 9): a word seeks the player,
on the student's report and in the reviewer's workbench."""

import re

import pytest
from playwright.sync_api import expect

from interviews.models import Transcript
from tests.e2e.feedback_world import completed_with_recordings, published_review
from tests.e2e.transcript_world import transcribed

pytestmark = pytest.mark.e2e


def _first_transcript(interview):
    answer = interview.answers.order_by("question__order", "question__id").first()
    return Transcript.objects.get(answer=answer)


def _wait_for_time(page, video, seconds):
    """Until the player is at `seconds` or a little after (it plays on)."""
    page.wait_for_function(
        "([v, t]) => v.currentTime >= t - 0.3 && v.currentTime < t + 1.5",
        arg=[video.element_handle(), seconds],
    )


def _a_later_word(transcript):
    """A word said after the first second of speech: seeking to it shows."""
    return next(w for w in transcript.words if w[1] >= 2.0)


def test_the_report_shows_the_transcript_and_a_word_seeks_the_player(
    page_as, student, superuser
):
    interview = transcribed(published_review(student, superuser))
    word, start, _end = _a_later_word(_first_transcript(interview))

    page = page_as(student)
    page.goto(f"/interviews/{interview.public_id}/feedback/")
    answer = page.locator("[data-answer]").first
    video = answer.locator("video")
    video.evaluate("v => { v.muted = true; }")
    transcript = answer.get_by_role("group", name=re.compile("Transcript"))
    expect(transcript).to_be_visible()
    assert video.evaluate("v => v.currentTime") == 0

    button = transcript.locator(f'[data-seek="{start:.2f}"]')
    expect(button).to_have_accessible_name(word)
    button.click()

    _wait_for_time(page, video, start)

    # The keyboard: one Tab stop, the arrow keys and Home/End move in it.
    video.evaluate("v => { v.pause(); }")
    buttons = transcript.get_by_role("button")
    buttons.last.focus()
    page.keyboard.press("Home")
    expect(buttons.first).to_be_focused()
    assert buttons.first.get_attribute("tabindex") == "0"
    assert buttons.last.get_attribute("tabindex") == "-1"
    page.keyboard.press("ArrowRight")
    expect(buttons.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    second_start = float(buttons.nth(1).get_attribute("data-seek"))
    _wait_for_time(page, video, second_start)


def test_a_word_in_the_workbench_seeks_its_answers_player(page_as, approver, student):
    interview = transcribed(completed_with_recordings(student))
    second = interview.answers.order_by("question__order", "question__id")[1]
    word, start, _end = _a_later_word(Transcript.objects.get(answer=second))

    page = page_as(approver)
    page.goto(f"/admin/interviews/interviewtoreview/{interview.pk}/review/")
    section = page.locator("[data-answer]").nth(1)
    video = section.locator("video")
    video.evaluate("v => { v.muted = true; }")
    transcript = section.get_by_role("group", name=re.compile("Transcript"))

    button = transcript.locator(f'[data-seek="{start:.2f}"]')
    expect(button).to_have_accessible_name(word)
    button.click()

    _wait_for_time(page, video, start)
    first_video = page.locator("[data-answer]").first.locator("video")
    assert first_video.evaluate("v => v.currentTime") == 0  # only its own player


def test_pages_with_transcripts_pass_axe_at_both_widths(
    audit, approver, student, superuser
):
    published = transcribed(published_review(student, superuser))
    draft = transcribed(completed_with_recordings(student))
    problems = []
    problems += audit(f"/interviews/{published.public_id}/feedback/", student)
    problems += audit(
        f"/admin/interviews/interviewtoreview/{draft.pk}/review/", approver
    )
    problems += audit(
        f"/admin/interviews/interviewtoreview/{draft.pk}/review/?answer=1", approver
    )
    assert not problems, "\n\n".join(problems)
