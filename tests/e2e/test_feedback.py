"""The review workbench and the student's feedback report (issue 16)."""

import re

import pytest
from playwright.sync_api import expect

from interviews.models import AnswerComment
from tests.e2e.feedback_world import completed_with_recordings, published_review

pytestmark = pytest.mark.e2e


@pytest.fixture
def interview(student):
    return completed_with_recordings(student)


def test_a_reviewer_publishes_and_the_student_reads_it(
    page_as, approver, student, interview
):
    admin = page_as(approver)
    admin.goto("/admin/interviews/interviewtoreview/")
    admin.get_by_role("link", name="Review", exact=True).click()
    expect(admin.get_by_role("heading", name="Question 1")).to_be_visible()

    # A comment pinned at the player's current time.
    first = admin.locator("[data-answer]").first
    video = first.locator("video")
    expect(first.get_by_role("button", name="Comment at current time")).to_be_visible()
    video.evaluate("v => { v.muted = true; v.currentTime = 3.2; }")
    admin.wait_for_function(
        "v => Math.abs(v.currentTime - 3.2) < 0.3", arg=video.element_handle()
    )
    first.get_by_role("button", name="Comment at current time").click()
    expect(first.get_by_label("At (seconds)")).to_have_value(re.compile(r"^3\.\d$"))
    first.get_by_label("Comment").fill("Good eye contact here.")
    first.get_by_role("button", name="Pin comment").click()
    expect(admin.get_by_text("Comment pinned at 0:03")).to_be_visible()

    # Playback speed.
    first = admin.locator("[data-answer]").first
    first.get_by_role("button", name="1.5x").click()
    assert first.locator("video").evaluate("v => v.playbackRate") == 1.5

    # Ratings, rubric scores and the overall review; a draft first.
    for n in range(2):
        section = admin.locator("[data-answer]").nth(n)
        section.get_by_label("Rating of this answer").select_option("4")
        section.get_by_label("Structure").select_option("3")
    admin.get_by_label("Overall rating").select_option("4")
    admin.get_by_label("Result").select_option("pass")
    admin.get_by_label("Overall feedback").fill("Well structured; slow down.")
    admin.get_by_label("Next steps for the student").fill("Pause before concluding.")
    admin.get_by_role("button", name="Save draft").click()
    expect(
        admin.get_by_text("Draft saved. The student sees nothing yet.")
    ).to_be_visible()

    reader = page_as(student)
    report = f"/interviews/{interview.public_id}/feedback/"
    assert reader.goto(report).status == 404

    admin.get_by_role("button", name="Publish to student").click()
    expect(admin.get_by_text(re.compile("Published: .* was emailed"))).to_be_visible()

    reader.goto("/")
    reader.get_by_role("link", name="Read your feedback").click()
    expect(
        reader.get_by_role("heading", name=re.compile("Feedback on your"))
    ).to_be_visible()
    expect(reader.get_by_text("Well structured; slow down.")).to_be_visible()
    expect(reader.get_by_text("Pause before concluding.")).to_be_visible()
    expect(reader.get_by_text("Good eye contact here.")).to_be_visible()

    # A comment's time seeks the recording.
    answer = reader.locator("[data-answer]").first
    answer.locator("video").evaluate("v => { v.muted = true; }")
    answer.get_by_role("button", name="Play from 0:03").click()
    reader.wait_for_function(
        "v => v.currentTime >= 3.0",
        arg=answer.locator("video").element_handle(),
    )
    interview.refresh_from_db()
    assert interview.feedback_read_at is not None  # report.js's POST
    assert AnswerComment.objects.get().at_seconds == pytest.approx(3.2, abs=0.3)


def test_keyboard_shortcuts_play_and_go_to_the_next_answer(
    page_as, approver, interview
):
    admin = page_as(approver)
    admin.goto(f"/admin/interviews/interviewtoreview/{interview.pk}/review/")
    videos = admin.locator("[data-answer] video")
    videos.first.evaluate("v => { v.muted = true; }")
    admin.locator("[data-answer] h2").first.click()
    admin.keyboard.press("k")
    admin.wait_for_function("v => !v.paused", arg=videos.first.element_handle())
    admin.keyboard.press("k")
    assert videos.first.evaluate("v => v.paused")
    admin.keyboard.press("l")
    assert videos.first.evaluate("v => v.currentTime") >= 5
    admin.keyboard.press("n")
    expect(admin.locator("[data-answer] h2").nth(1)).to_be_focused()


def test_the_report_and_the_workbench_pass_axe_at_both_widths(
    audit, approver, student, superuser
):
    published = published_review(student, superuser)
    draft = completed_with_recordings(student)
    problems = []
    problems += audit(f"/interviews/{published.public_id}/feedback/", student)
    problems += audit(
        f"/admin/interviews/interviewtoreview/{draft.pk}/review/", approver
    )
    problems += audit(
        f"/admin/interviews/interviewtoreview/{published.pk}/review/", approver
    )
    assert not problems, "\n\n".join(problems)


def share_link_and_code(page):
    text = page.get_by_text(re.compile("Share this link")).inner_text()
    link = re.search(r"https?://\S+/shared/[\w-]+/", text).group(0)
    code = re.search(r"access code (\w+)", text).group(1)
    return link, code


def test_a_mentor_opens_the_shared_link_comments_and_is_then_revoked(
    page_as, new_context, student, superuser
):
    interview = published_review(student, superuser)
    reader = page_as(student)
    reader.goto(f"/interviews/{interview.public_id}/feedback/")
    reader.get_by_label("The link works for").select_option("1")
    reader.get_by_role("button", name="Make a share link").click()
    link, code = share_link_and_code(reader)

    mentor = new_context().new_page()
    mentor.goto(link)
    mentor.get_by_label("Access code").fill("WRONG999")
    mentor.get_by_role("button", name="Open").click()
    expect(mentor.get_by_text("That code does not open this link.")).to_be_visible()
    mentor.get_by_label("Access code").fill(code)
    mentor.get_by_role("button", name="Open").click()
    answer = mentor.locator("[data-answer]").first
    video = answer.locator("video")
    video.evaluate("v => { v.muted = true; v.currentTime = 4; }")
    mentor.wait_for_function(
        "v => Math.abs(v.currentTime - 4) < 0.3", arg=video.element_handle()
    )
    answer.get_by_role("button", name="Use the current time").click()
    answer.get_by_label("Your name").fill("Dr Rao")
    answer.get_by_label("Comment").fill("Lovely pause here.")
    answer.get_by_role("button", name="Leave comment").click()
    expect(mentor.get_by_text("Your comment at 0:04 is saved.")).to_be_visible()

    reader.reload()
    expect(reader.get_by_text("Lovely pause here.")).to_be_visible()
    expect(reader.get_by_text("Mentor: Dr Rao").first).to_be_visible()
    reader.get_by_role("button", name=re.compile("^Revoke")).click()
    expect(reader.get_by_text("The link is revoked")).to_be_visible()

    assert mentor.goto(link).status == 404


def test_the_share_pages_pass_axe_at_both_widths(audit, student, superuser, client):
    from django.urls import reverse

    from interviews.models import ShareLink

    interview = published_review(student, superuser)
    _link, token, code = ShareLink.create_for(interview, student, 7)
    path = reverse("interviews:shared", args=[token])

    def enter_code(page):
        page.get_by_label("Access code").fill(code)
        page.get_by_role("button", name="Open").click()
        expect(page.get_by_role("heading", name="Question 1")).to_be_visible()

    problems = audit(path) + audit(path, then=enter_code)
    assert not problems, "\n\n".join(problems)


def test_leaving_with_unsaved_ratings_asks_first(page_as, approver, interview):
    admin = page_as(approver)
    admin.goto(f"/admin/interviews/interviewtoreview/{interview.pk}/review/?answer=1")
    admin.get_by_label("Rating of this answer").select_option("4")
    dialogs = []
    admin.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))

    admin.locator("h1, h2").first.click()
    admin.keyboard.press("n")

    expect(admin.get_by_text("Answer 1 of 2")).to_be_visible()
    assert dialogs == ["beforeunload"]
