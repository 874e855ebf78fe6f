"""`make screenshots`: a full-page PNG of every student page and every console page,
1280 and 375 px wide, into docs/screenshots/<page>-<width>.png.

Not collected by the normal runs (the file name does not start with test_); run it
with `.venv/bin/pytest tests/e2e/screenshots.py`.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from accounts.factories import UserFactory
from accounts.models import PendingSignup
from interviews.factories import InterviewRequestFactory
from interviews.models import ShareLink
from payments.factories import PaymentFactory
from tests.e2e import steps
from tests.e2e.browser import save_screenshots
from tests.e2e.feedback_world import completed_with_recordings, published_review
from tests.e2e.transcript_world import transcribed
from tests.e2e.world import build_world

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(db):
    world = build_world()
    # A few other students, so that the console's queues look like a real day.
    courses = list(world.courses.values())
    for n, name in enumerate(["Anjali Rao", "Vikram Singh", "Fatima Sheikh"]):
        other = UserFactory(full_name=name, username=f"student{n + 2}")
        PaymentFactory(student=other, course=courses[n])
        InterviewRequestFactory(
            student=other, course=courses[n + 4], notes="Any weekday works."
        )
    return world


WIDER_THAN_A_PHONE = {}


def shoot(page, name, path=None, then=None):
    if path is not None:
        page.goto(path)
    if then is not None:
        then(page)
    overflow = save_screenshots(page, name)
    if overflow > 0:
        WIDER_THAN_A_PHONE[name] = overflow


def test_screenshots_of_every_page(new_context, page_as, world):
    student, p, i = world.student, world.payments, world.interviews

    # Before logging in.
    page = new_context().new_page()
    shoot(page, "login", "/accounts/login/")
    shoot(page, "signup", "/accounts/signup/")

    def signup_errors(page):
        page.get_by_label("Username").fill("sam")
        page.get_by_label("Mobile number").fill("12")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_text("Enter a valid mobile number")).to_be_visible()

    shoot(page, "signup-errors", "/accounts/signup/", signup_errors)
    shoot(page, "signup-sent", "/accounts/signup/sent/")
    for name, username, email in [
        ("signup-confirm", "meera", "signup-confirm@example.com"),
        ("signup-taken", student.username, "signup-taken@example.com"),
        # Another link for the address made its account first.
        ("signup-registered", "meera2", student.email),
    ]:
        _, token = PendingSignup.start(
            request_id=name,
            lifetime=timedelta(days=1),
            username=username,
            full_name="Meera Nair",
            email=email,
            phone="9876543210",
            password="!",
        )
        shoot(page, name, f"/accounts/signup/{token}/")
    shoot(page, "password-reset", "/accounts/password/reset/")
    shoot(page, "password-reset-sent", "/accounts/password/reset/sent/")
    uid = urlsafe_base64_encode(force_bytes(student.pk))
    token = default_token_generator.make_token(student)
    shoot(page, "password-reset-confirm", f"/accounts/password/reset/{uid}/{token}/")
    shoot(page, "password-reset-complete", "/accounts/password/reset/complete/")
    shoot(page, "error-404", "/no-such-page/")

    # The student's pages.
    page = page_as(student)
    shoot(page, "dashboard", "/")
    shoot(page, "course-list", "/courses/")
    shoot(page, "my-interviews", "/interviews/")
    shoot(page, "pay", "/courses/ux-designer/pay/")

    def bad_proof(page):
        steps.submit_payment_proof(page, "41234567", screenshot=b"%PDF", name="a.pdf")
        expect(page.get_by_text("A UTR is exactly 12 digits")).to_be_visible()

    shoot(page, "pay-errors", "/courses/ux-designer/pay/", bad_proof)
    shoot(page, "pay-after-rejection", "/courses/hr-round/pay/")
    shoot(page, "payment-pending", f"/payments/{p['pending'].public_id}/")
    shoot(page, "payment-rejected", f"/payments/{p['rejected'].public_id}/")
    shoot(page, "request-form", "/courses/product-manager/request/")

    def night_slot(page):
        steps.request_slot(page, steps.bookable_day(), "23:30")
        expect(page.get_by_text(re.compile("Choose a time between"))).to_be_visible()

    shoot(page, "request-form-errors", "/courses/product-manager/request/", night_slot)
    room = "/interviews/{}/room/".format
    shoot(page, "room-not-open", room(i["tomorrow"].public_id))
    shoot(page, "room-completed", room(i["completed"].public_id))
    shoot(page, "room-missed", room(i["missed"].public_id))

    def camera_ready(page):
        button = page.get_by_role("button", name="My camera and microphone work")
        expect(button).to_be_enabled()
        page.wait_for_timeout(500)  # a few frames of the fake camera

    shoot(page, "room-device-check", room(i["open"].public_id), camera_ready)

    def consent(page):
        page.get_by_role("button", name="My camera and microphone work").click()
        expect(page.get_by_role("heading", name="2. Before you start")).to_be_visible()

    shoot(page, "room-consent", then=consent)

    def recording(page):
        page.get_by_role("button", name="I agree, start the interview").click()
        expect(page.get_by_role("button", name="Stop")).to_be_visible()
        page.wait_for_timeout(1500)

    shoot(page, "room-recording", then=recording)

    def review_answer(page):
        page.get_by_role("button", name="Stop").click()
        expect(page.get_by_role("button", name="Submit answer")).to_be_visible()

    shoot(page, "room-answer-review", then=review_answer)
    shoot(page, "error-403", "/admin/")
    shoot(page, "password-change", "/accounts/password/change/")

    # The approval console.
    console = page_as(world.approver)
    shoot(console, "admin-index", "/admin/")
    steps.open_queue(console, "Payments to verify")
    shoot(console, "admin-payments-queue")
    console.get_by_role("link", name=p["pending"].reference, exact=True).click()
    shoot(console, "admin-payment")
    steps.open_queue(console, "Interview requests to schedule")
    shoot(console, "admin-requests-queue")
    steps.open_request(console, student.display_name)
    shoot(console, "admin-request")
    steps.open_queue(console, "Completed interviews to review")
    shoot(console, "admin-review-queue")
    console.get_by_role("link", name=re.compile(student.display_name)).first.click()
    shoot(console, "admin-review")

    # The feedback report and the review workbench (issue 16): two published
    # attempts at one course (so the report charts the progress) and a draft.
    teaching = world.courses["teaching"]
    published_review(student, world.approver, course=teaching, lift=0, days_ago=30)
    latest = published_review(student, world.approver, course=teaching, lift=2)
    transcribed(latest)  # issue 16, item 9: transcripts beside the players
    shoot(page, "feedback-report", f"/interviews/{latest.public_id}/feedback/")

    def printed(page):
        page.emulate_media(media="print")

    shoot(page, "feedback-report-print", then=printed)
    page.emulate_media(media="screen")
    _link, token, code = ShareLink.create_for(latest, student, 7)
    mentor = new_context().new_page()
    shoot(mentor, "shared-code", f"/shared/{token}/")

    def enter_code(page):
        page.get_by_label("Access code").fill(code)
        page.get_by_role("button", name="Open").click()
        expect(page.get_by_role("heading", name="Question 1")).to_be_visible()

    shoot(mentor, "shared", then=enter_code)
    draft = completed_with_recordings(student, course=world.courses["ux-designer"])
    transcribed(draft)
    shoot(
        console,
        "admin-workbench",
        f"/admin/interviews/interviewtoreview/{draft.pk}/review/",
    )
    shoot(
        console,
        "admin-workbench-one",
        f"/admin/interviews/interviewtoreview/{draft.pk}/review/?answer=1",
    )

    # The student pages are held to this by test_accessibility.py; the console
    # (Django's admin) is reported here, to be looked at.
    for name, pixels in WIDER_THAN_A_PHONE.items():
        print(f"{name} is {pixels} px wider than a 375 px screen")
    assert all(name.startswith("admin-") for name in WIDER_THAN_A_PHONE)


# ---- The owner's analytics page (issue 19) ----


def test_screenshot_of_the_analytics_page(page_as, db):
    from io import StringIO

    from django.core.management import call_command

    from bench.scale import seed_scale

    # Scale data alone: the seeder's numbering collides with more than eight
    # courses, and the world above has its own.
    call_command("seed_demo", "--allow-demo-passwords", stdout=StringIO())
    seed_scale(300, stdout=StringIO())
    owner = UserFactory(
        username="owner", full_name="Olga Owner", is_staff=True, is_superuser=True
    )
    page = page_as(owner)
    shoot(page, "admin-analytics", "/admin/analytics/?period=365")
    print(WIDER_THAN_A_PHONE.get("admin-analytics", 0), "px wider than 375")
    assert "admin-analytics" not in WIDER_THAN_A_PHONE
