"""The whole student journey, with the approver working in a second browser."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.factories import UserFactory
from accounts.roles import make_approver
from interviews.factories import InterviewCourseFactory, InterviewQuestionFactory
from interviews.models import InterviewRequest, RequestStatus
from payments.models import Payment, PaymentStatus
from tests.e2e import steps

# Emails are delivered by a task: run each at once (issue 13).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("immediate_tasks")]

# The pages poll for news; a second keeps the test quick.
POLL_SECONDS = 1
# Enough for a poll, a render and the browser to swap the card.
NEWS_TIMEOUT_MS = 8_000
LOADED_METADATA = """video => new Promise(resolve => {
    if (video.readyState >= 1) { resolve(video.readyState); return; }
    video.addEventListener("loadedmetadata", () => resolve(video.readyState));
    video.addEventListener("error", () => resolve(-1));
    video.load();
})"""


@pytest.fixture
def quick_polls(settings):
    settings.STATUS_POLL_SECONDS = POLL_SECONDS


@pytest.fixture
def hr_round(db):
    course = InterviewCourseFactory(
        title="HR Round", slug="hr-round", duration_minutes=20
    )
    for order, text in enumerate(
        ["Tell us about yourself.", "Why should we hire you?"], start=1
    ):
        InterviewQuestionFactory(
            course=course,
            text=text,
            order=order,
            preparation_seconds=0,
            max_answer_seconds=10,
        )
    return course


@pytest.fixture
def console(page_as, db):
    """The approver's browser, logged in to the approval console."""
    approver = make_approver(UserFactory(username="asha", full_name="Asha Approver"))
    return page_as(approver)


def test_a_student_pays_schedules_records_and_gets_reviewed(
    page, console, hr_round, quick_polls
):
    # Sign up, then choose the course.
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("meera")
    page.get_by_label("Full name").fill("Meera Nair")
    page.get_by_label("Email").fill("meera@example.com")
    page.get_by_label("Mobile number").fill("9876543210")
    page.get_by_role("textbox", name="Password", exact=True).fill("pass-phrase-4242")
    page.get_by_label("Password confirmation").fill("pass-phrase-4242")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # The account is made from the link in the email, which verifies it too.
    link = re.search(r"https?://\S+/accounts/signup/\S+/", mail.outbox[-1].body)
    page.goto(urlsplit(link.group(0)).path)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")
    expect(page.get_by_role("heading", name="Interview courses")).to_be_visible()
    course_card = steps.card(page, "HR Round")
    expect(course_card).to_contain_text("Not booked yet")
    course_card.get_by_role("link", name="Pay & Schedule").click()

    # Pay: the QR code, the UPI link, then the proof.
    expect(page.get_by_role("heading", name="Pay for HR Round")).to_be_visible()
    expect(page.get_by_role("img", name="UPI payment QR code")).to_be_visible()
    expect(page.get_by_role("link", name="Open UPI app")).to_have_attribute(
        "href", re.compile(r"^upi://pay\?.*am=200\.00")
    )
    steps.submit_payment_proof(page, "4123 4567 8901")
    expect(page.get_by_role("status")).to_contain_text("pending verification")
    expect(page.get_by_text("Pending admin approval", exact=True)).to_be_visible()
    payment = Payment.objects.get(student__username="meera")
    assert payment.utr == "412345678901"

    # The dashboard waits on the approver ...
    page.get_by_role("link", name="Dashboard").click()
    course_card = steps.card(page, "HR Round")
    expect(course_card).to_contain_text("Pending admin approval")
    expect(course_card.get_by_role("button", name="Request interview")).to_be_disabled()

    # ... who approves the payment in the console ...
    steps.approve_payment(console, payment.reference)

    # ... and the student's card changes without a reload.
    expect(course_card).to_contain_text("Ready to schedule", timeout=NEWS_TIMEOUT_MS)

    # Request a slot.
    course_card.get_by_role("link", name="Request interview").click()
    steps.request_slot(page, steps.bookable_day(), "10:00", notes="Mornings suit me.")
    expect(page.get_by_role("status")).to_contain_text("Your request for HR Round")
    course_card = steps.card(page, "HR Round")
    expect(course_card).to_contain_text("Schedule request pending")

    # The approver schedules it a few minutes from now: the room is already open.
    starts_at = timezone.now() + timedelta(minutes=3)
    steps.schedule_request(console, "Meera Nair", starts_at)
    expect(course_card).to_contain_text("Scheduled on", timeout=NEWS_TIMEOUT_MS)
    go = course_card.get_by_role("link", name="Go to interview")
    expect(go).to_be_visible()

    # The interview room: device check, consent, every answer recorded.
    go.click()
    expect(
        page.get_by_role("heading", name=re.compile("interview room"))
    ).to_be_visible()
    assert steps.record_every_answer(page) == 2
    interview = InterviewRequest.objects.get(student__username="meera")
    assert interview.status == RequestStatus.COMPLETED
    assert interview.answers.count() == 2
    assert all(answer.size > 0 for answer in interview.answers.all())
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(steps.card(page, "HR Round")).to_contain_text("Interview completed")

    # The approver watches and rates it.
    steps.open_queue(console, "Completed interviews to review")
    console.get_by_role("link", name=re.compile("Meera Nair")).click()
    recordings = console.locator("video")
    expect(recordings).to_have_count(2)
    for recording in recordings.all():
        assert recording.evaluate(LOADED_METADATA) >= 1, "a recording does not play"
    console.get_by_label(re.compile(r"^Overall rating")).select_option(label="4 / 5")
    console.get_by_label(re.compile(r"^Result")).select_option(label="Pass")
    console.get_by_label("Overall feedback").fill("Clear; slow down a bit.")
    console.get_by_label("Rating of this answer").first.select_option(label="5 / 5")
    console.get_by_role("button", name="Publish to student").click()
    expect(console.get_by_text(re.compile("Published: .* was emailed"))).to_be_visible()

    interview.refresh_from_db()
    assert interview.overall_rating == 4
    assert interview.reviewed_by.username == "asha"
    assert interview.answers.filter(rating=5).count() == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.COMPLETED
    to_student = [m.subject for m in mail.outbox if m.to == ["meera@example.com"]]
    expected = [
        r"^Finish creating your",
        r"^Payment \w+ verified",
        r"interview is scheduled for",
        r"^Feedback",
    ]
    assert len(to_student) == len(expected), to_student
    for subject, pattern in zip(to_student, expected, strict=True):
        assert re.search(pattern, subject), to_student
    assert "Clear; slow down a bit." in mail.outbox[-1].body

    # The student reads the published feedback on the site.
    page.goto("/")
    expect(steps.card(page, "HR Round")).to_contain_text("Feedback ready")
    steps.card(page, "HR Round").get_by_role("link", name="Read your feedback").click()
    expect(page.get_by_text("Clear; slow down a bit.")).to_be_visible()
    expect(page.get_by_text("5 / 5")).to_be_visible()
