"""What goes wrong, seen from the student's browser: rejections, a wrong file,
and the interview room outside its window."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.factories import UserFactory
from accounts.roles import make_approver
from interviews.factories import (
    InterviewCourseFactory,
    InterviewQuestionFactory,
    InterviewRequestFactory,
    ScheduledRequestFactory,
)
from interviews.models import InterviewRequest, RequestStatus
from payments.factories import PaymentFactory
from payments.models import Payment, PaymentStatus
from portal.storage import private_storage
from tests.e2e import steps

pytestmark = pytest.mark.e2e

# payment_status.js polls no faster than every 5 s, whatever the setting.
PAYMENT_NEWS_TIMEOUT_MS = 12_000
CARD_NEWS_TIMEOUT_MS = 8_000


@pytest.fixture(autouse=True)
def quick_polls(settings):
    settings.STATUS_POLL_SECONDS = 1


@pytest.fixture
def course(db):
    course = InterviewCourseFactory(title="Data Analyst", slug="data-analyst")
    InterviewQuestionFactory(course=course, preparation_seconds=0)
    return course


@pytest.fixture
def console(page_as, db):
    approver = make_approver(UserFactory(username="asha", full_name="Asha Approver"))
    return page_as(approver)


def files_under(folder):
    root = Path(private_storage().path(folder))
    return sorted(path.name for path in root.rglob("*") if path.is_file())


def test_a_rejected_payment_shows_the_remarks_live_and_the_student_pays_again(
    page_as, console, student, course
):
    payment = PaymentFactory(student=student, course=course)
    proofs_before = files_under("proofs")
    page = page_as(student)
    page.goto(f"/payments/{payment.public_id}/")
    expect(page.get_by_text("Pending admin approval", exact=True)).to_be_visible()

    steps.reject_payment(console, payment.reference, "The amount paid was ₹20.")

    panel = page.get_by_role("region", name=f"Payment {payment.reference}")
    expect(panel.get_by_text("Payment rejected", exact=True)).to_be_visible(
        timeout=PAYMENT_NEWS_TIMEOUT_MS
    )
    expect(panel).to_contain_text("The amount paid was ₹20.")
    panel.get_by_role("link", name="Pay again").click()

    expect(page.get_by_text("was not accepted")).to_be_visible()
    expect(page.get_by_text("The amount paid was ₹20.")).to_be_visible()
    steps.submit_payment_proof(page, "512345678901")
    expect(page.get_by_text("Pending admin approval", exact=True)).to_be_visible()
    statuses = list(
        Payment.objects.filter(student=student)
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert statuses == [PaymentStatus.REJECTED, PaymentStatus.PENDING_VERIFICATION]
    # The proof and its thumbnail (issue 15).
    new_files = set(files_under("proofs")) - set(proofs_before)
    assert len(new_files) == 2
    assert len([name for name in new_files if name.endswith(".thumb.webp")]) == 1


def test_a_proof_that_is_not_an_image_is_refused_beside_the_field(
    page_as, student, course
):
    page = page_as(student)
    page.goto(f"/courses/{course.slug}/pay/")
    proofs_before = files_under("proofs")
    steps.submit_payment_proof(
        page, "612345678901", screenshot=b"%PDF-1.4 not a picture", name="proof.pdf"
    )

    screenshot_field = page.get_by_label("Screenshot of the successful payment")
    expect(screenshot_field).to_have_attribute("aria-invalid", "true")
    expect(screenshot_field).to_have_accessible_description(
        re.compile("This file is not a JPEG, PNG or WebP image")
    )
    expect(
        page.get_by_text("This file is not a JPEG, PNG or WebP image")
    ).to_be_visible()
    expect(page.get_by_label("UTR (UPI transaction reference)")).to_have_value(
        "612345678901"
    )
    assert not Payment.objects.exists()
    assert files_under("proofs") == proofs_before


def test_a_rejected_request_shows_the_reason_and_the_student_reschedules(
    page_as, console, student, course
):
    InterviewRequestFactory(student=student, course=course)
    page = page_as(student)
    page.goto("/")
    course_card = steps.card(page, "Data Analyst")
    expect(course_card).to_contain_text("Schedule request pending")

    steps.reject_request(console, student.display_name, "No reviewer that morning.")

    expect(course_card).to_contain_text(
        "Request rejected: No reviewer that morning.", timeout=CARD_NEWS_TIMEOUT_MS
    )
    course_card.get_by_role("link", name="Reschedule").click()
    steps.request_slot(page, steps.bookable_day(3), "15:30")
    expect(steps.card(page, "Data Analyst")).to_contain_text("Schedule request pending")
    assert list(
        InterviewRequest.objects.filter(student=student)
        .order_by("pk")
        .values_list("status", flat=True)
    ) == [RequestStatus.REJECTED, RequestStatus.PENDING]


def test_a_slot_outside_bookable_hours_is_refused_and_the_input_kept(
    page_as, student, course
):
    PaymentFactory(student=student, course=course, status=PaymentStatus.COMPLETED)
    page = page_as(student)
    page.goto(f"/courses/{course.slug}/request/")
    day = steps.bookable_day()
    steps.request_slot(page, day, "22:00")

    expect(page.get_by_text(re.compile(r"Choose a time between"))).to_be_visible()
    expect(page.get_by_label("Preferred date")).to_have_value(day)
    assert not InterviewRequest.objects.exists()


def test_the_room_before_its_window_says_when_it_opens_and_records_nothing(
    page_as, student, course
):
    tomorrow = timezone.now() + timedelta(days=1)
    interview = ScheduledRequestFactory(
        student=student, course=course, preferred_at=tomorrow, scheduled_at=tomorrow
    )
    page = page_as(student)
    page.goto("/")
    course_card = steps.card(page, "Data Analyst")
    expect(course_card).to_contain_text("Scheduled on")
    expect(course_card).to_contain_text("The room opens at")
    expect(course_card.get_by_role("button", name="Go to interview")).to_be_disabled()

    page.goto(f"/interviews/{interview.public_id}/room/")
    expect(page.get_by_role("heading", name="The room is not open yet")).to_be_visible()
    expect(
        page.get_by_role("button", name="My camera and microphone work")
    ).to_have_count(0)


def test_the_room_of_a_missed_interview_says_so(page_as, student, course):
    long_ago = timezone.now() - timedelta(hours=3)
    interview = ScheduledRequestFactory(
        student=student, course=course, preferred_at=long_ago, scheduled_at=long_ago
    )
    page = page_as(student)
    page.goto(f"/interviews/{interview.public_id}/room/")
    # Opening the room changes nothing (issue 14): the periodic task marks it.
    expect(page.get_by_role("heading", name="The room has closed")).to_be_visible()
    interview.refresh_from_db()
    assert interview.status == RequestStatus.SCHEDULED
    assert interview.mark_missed()
    page.reload()
    expect(
        page.get_by_role("heading", name="You missed this interview")
    ).to_be_visible()
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(steps.card(page, "Data Analyst")).to_contain_text("Interview missed")


def test_a_student_cannot_open_another_students_room(
    page_as, student, other_student, course
):
    interview = ScheduledRequestFactory(student=other_student, course=course)
    page = page_as(student)
    response = page.goto(f"/interviews/{interview.public_id}/room/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_an_approver_reopens_a_missed_interview_and_the_room_opens_again(
    page_as, console, student, course
):
    long_ago = timezone.now() - timedelta(hours=3)
    interview = ScheduledRequestFactory(
        student=student, course=course, preferred_at=long_ago, scheduled_at=long_ago
    )
    interview.mark_missed()

    console.goto("/admin/")
    console.get_by_role("link", name="Missed interviews").click()
    console.get_by_role("link", name=re.compile(student.display_name)).click()
    new_start = steps.site_local(timezone.now() + timedelta(minutes=5))
    # Django's split date/time widget leaves its two inputs without labels; they
    # are the first two text boxes of the form.
    boxes = console.get_by_role("group").get_by_role("textbox")
    boxes.nth(0).fill(new_start.strftime("%Y-%m-%d"))
    boxes.nth(1).fill(new_start.strftime("%H:%M:%S"))
    console.get_by_label("Note for the audit trail").fill("Power cut in Pune.")
    console.get_by_role("button", name="Save", exact=True).click()
    expect(console.get_by_text("Reopened:")).to_be_visible()

    page = page_as(student)
    page.goto("/")
    steps.card(page, "Data Analyst").get_by_role("link", name="Go to interview").click()
    expect(
        page.get_by_role("button", name="My camera and microphone work")
    ).to_be_enabled()
    interview.refresh_from_db()
    assert interview.status == RequestStatus.SCHEDULED
    assert interview.events.last().note == "Power cut in Pune."


def test_a_student_cancels_a_pending_request_and_can_ask_again(
    page_as, student, course
):
    InterviewRequestFactory(student=student, course=course)
    page = page_as(student)
    page.goto("/interviews/")
    page.get_by_role("button", name="Cancel request").click()
    expect(page.get_by_role("status")).to_contain_text("cancelled")
    page.get_by_role("link", name="Dashboard").click()
    course_card = steps.card(page, "Data Analyst")
    expect(course_card).to_contain_text("Ready to schedule")
    expect(course_card.get_by_role("link", name="Request interview")).to_be_visible()
