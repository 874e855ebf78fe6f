"""Every student page: no serious or critical axe-core violations, and nothing
wider than a 375 px phone screen."""

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from tests.e2e import steps
from tests.e2e.browser import axe_violations, format_violations, horizontal_overflow
from tests.e2e.world import build_world

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(db):
    return build_world()


def assert_no_problems(problems):
    assert not problems, "\n\n".join(problems)


def wrong_password(page):
    page.get_by_label("Username").fill("sam")
    page.get_by_role("textbox", name="Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()


def empty_sign_up(page):
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("This field is required.").first).to_be_visible()


def bad_payment_proof(page):
    steps.submit_payment_proof(page, "12ab", screenshot=b"GIF89a", name="x.gif")
    expect(page.get_by_text("A UTR is exactly 12 digits")).to_be_visible()


def slot_at_night(page):
    steps.request_slot(page, steps.bookable_day(), "23:30")
    expect(page.get_by_text(re.compile("Choose a time between"))).to_be_visible()


def camera_ready(page):
    expect(
        page.get_by_role("button", name="My camera and microphone work")
    ).to_be_enabled()


def recording_first_answer(page):
    camera_ready(page)
    page.get_by_role("button", name="My camera and microphone work").click()
    expect(page.get_by_role("heading", name="2. Before you start")).to_be_visible()


def consent_given_and_recording(page):
    recording_first_answer(page)
    page.get_by_role("button", name="I agree, start the interview").click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()


def test_pages_before_logging_in(audit, world):
    student = world.student
    uid = urlsafe_base64_encode(force_bytes(student.pk))
    token = default_token_generator.make_token(student)
    problems = []
    for path, then in [
        ("/accounts/login/", None),
        ("/accounts/login/", wrong_password),
        ("/accounts/signup/", None),
        ("/accounts/signup/", empty_sign_up),
        ("/accounts/password/reset/", None),
        ("/accounts/password/reset/sent/", None),
        (f"/accounts/password/reset/{uid}/{token}/", None),
        ("/accounts/password/reset/MQ/expired-token/", None),
        ("/accounts/password/reset/complete/", None),
    ]:
        problems += audit(path, then=then)
    problems += audit("/no-such-page/", status=404)
    verify = f"/accounts/verify/{uid}/not-a-token/"  # "already verified" / expired
    problems += audit(verify)
    # Sign-up without enumeration (issue 12, finding 11).
    from datetime import timedelta

    from accounts.models import PendingSignup

    problems += audit("/accounts/signup/sent/")
    for name, username in [("new", "meera"), ("taken", student.username)]:
        _, link = PendingSignup.start(
            request_id=name,
            lifetime=timedelta(days=1),
            username=username,
            full_name="Meera Nair",
            email=f"{name}@example.com",
            phone="9876543210",
            password="!",
        )
        problems += audit(f"/accounts/signup/{link}/")
    problems += audit("/accounts/signup/not-a-link/", status=400)
    assert_no_problems(problems)


def test_the_students_pages(audit, world):
    student, p, i = world.student, world.payments, world.interviews
    problems = []
    for path, then in [
        ("/", None),
        ("/courses/", None),
        ("/interviews/", None),
        ("/accounts/password/change/", None),
        ("/accounts/password/change/done/", None),
        ("/courses/ux-designer/pay/", None),
        ("/courses/ux-designer/pay/", bad_payment_proof),
        ("/courses/hr-round/pay/", None),
        ("/courses/data-analyst/pay/", None),
        (f"/payments/{p['pending'].public_id}/", None),
        (f"/payments/{p['rejected'].public_id}/", None),
        ("/courses/product-manager/request/", None),
        ("/courses/product-manager/request/", slot_at_night),
        ("/account/", None),
        ("/accounts/verify/", None),
    ]:
        problems += audit(path, student, then=then)
    problems += audit("/no-such-page/", student, status=404)
    problems += audit("/admin/", student, status=403)
    problems += audit(f"/interviews/{i['pending'].public_id}/room/", student)
    assert_no_problems(problems)


def test_the_interview_room_in_every_state(audit, world):
    student, i = world.student, world.interviews
    room = "/interviews/{}/room/".format
    problems = []
    for name in ["tomorrow", "completed", "missed"]:
        problems += audit(room(i[name].public_id), student)
    for then in [camera_ready, recording_first_answer, consent_given_and_recording]:
        problems += audit(room(i["open"].public_id), student, then=then)
    assert_no_problems(problems)


def test_the_server_error_page(new_context, live_server):
    # The 500 page is static HTML; render it in place on the live server's origin.
    page = new_context(bypass_csp=True).new_page()
    page.goto("/health")
    page.set_content(render_to_string("500.html"))
    problems = []
    violations = axe_violations(page)
    if violations:
        problems.append(format_violations("500.html", violations))
    page.set_viewport_size({"width": 375, "height": 740})
    if horizontal_overflow(page) > 0:
        problems.append("500.html is wider than a 375 px screen")
    assert_no_problems(problems)


def test_the_too_many_requests_page(audit, world, settings):
    settings.RATELIMIT_PASSWORD_RESET_PER_ADDRESS = "1/h"

    def ask_twice(page):
        for _ in range(2):
            page.get_by_label("Email").fill("sam@example.com")
            page.get_by_role("button", name="Send reset link").click()
            if page.get_by_role("heading", name="Check your email").is_visible():
                page.goto("/accounts/password/reset/")
        expect(page.get_by_role("heading", name="Please slow down")).to_be_visible()

    assert_no_problems(audit("/accounts/password/reset/", then=ask_twice))


def test_the_keyboard_reaches_the_content_first(page_as, world):
    page = page_as(world.student)
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


def test_the_approval_console(audit, world):
    approver, p, i = world.approver, world.payments, world.interviews
    problems = []
    for path in [
        "/admin/",
        "/admin/payments/payment/",
        "/admin/payments/payment/?status=pending_verification",
        f"/admin/payments/payment/{p['pending'].pk}/change/",
        "/admin/interviews/interviewrequest/",
        f"/admin/interviews/interviewrequest/{i['pending'].pk}/change/",
        "/admin/interviews/interviewtoreview/",
        f"/admin/interviews/interviewtoreview/{i['completed'].pk}/change/",
        "/admin/interviews/missedinterview/",
        "/admin/interviews/interviewcourse/",
    ]:
        problems += audit(path, approver)
    assert_no_problems(problems)
