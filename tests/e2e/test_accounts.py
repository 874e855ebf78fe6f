"""Signing up, logging in and out, and the password pages, in a real browser."""

import json
import re
import zipfile

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.factories import TEST_PASSWORD
from interviews.factories import InterviewCourseFactory
from tests.e2e.browser import log_in_with_form

# Emails are delivered by a task: run each at once (issue 13).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("immediate_tasks")]


def test_a_new_student_signs_up_follows_the_link_and_lands_on_the_course_list(page, db):
    InterviewCourseFactory(title="HR Round", slug="hr-round")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_role("link", name="Create an account").click()

    page.get_by_label("Username").fill("meera")
    page.get_by_label("Full name").fill("Meera Nair")
    page.get_by_label("Email").fill("meera@example.com")
    page.get_by_label("Mobile number").fill("98765 43210")
    page.get_by_role("textbox", name="Password", exact=True).fill(
        "a-long-pass-phrase-42"
    )
    page.get_by_label("Password confirmation").fill("a-long-pass-phrase-42")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    link = re.search(r"https?://\S+(/accounts/signup/\S+/)", mail.outbox[-1].body)
    page.goto(link.group(1))
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Interview courses")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Welcome, Meera Nair")
    expect(page.get_by_role("heading", name="HR Round")).to_be_visible()


def test_sign_up_with_a_bad_phone_shows_the_error_beside_it_and_keeps_input(page, db):
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("meera")
    page.get_by_label("Full name").fill("Meera Nair")
    page.get_by_label("Email").fill("meera@example.com")
    page.get_by_label("Mobile number").fill("12")
    page.get_by_role("textbox", name="Password", exact=True).fill(
        "a-long-pass-phrase-42"
    )
    page.get_by_label("Password confirmation").fill("a-long-pass-phrase-42")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_text("Enter a valid mobile number")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Meera Nair")
    expect(page.get_by_label("Email")).to_have_value("meera@example.com")


def test_a_student_logs_in_and_out(page, student):
    log_in_with_form(page, "student", "wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("did not match")
    expect(page.get_by_label("Username")).to_have_value("student")

    log_in_with_form(page, "student", TEST_PASSWORD)
    expect(page.get_by_role("heading", name="Hello, Priya Student")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/"))


def test_a_student_changes_the_password(page_as, student):
    page = page_as(student)
    page.goto("/")
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Old password").fill(TEST_PASSWORD)
    page.get_by_role("textbox", name="New password", exact=True).fill(
        "another-long-phrase-77"
    )
    page.get_by_label("New password confirmation").fill("another-long-phrase-77")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()

    student.refresh_from_db()
    assert student.check_password("another-long-phrase-77")


def test_a_student_resets_a_forgotten_password_by_email(page, student):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(student.email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/password/reset/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = "/" + link.group(0).split("/", 3)[3]
    page.goto(path)
    page.get_by_role("textbox", name="New password", exact=True).fill(
        "a-brand-new-phrase-55"
    )
    page.get_by_label("New password confirmation").fill("a-brand-new-phrase-55")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()

    student.refresh_from_db()
    assert student.check_password("a-brand-new-phrase-55")


def test_a_student_downloads_their_data_then_deletes_the_account(page_as, student):
    page = page_as(student)
    page.goto("/")
    page.get_by_role("link", name="Account").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        data = json.loads(archive.read("data.json"))
    assert data["profile"]["username"] == "student"

    page.get_by_label("Your password").fill("not-it")
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_text("That is not your password")).to_be_visible()
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_role("status")).to_contain_text("Your account and your data")
    log_in_with_form(page, "student", TEST_PASSWORD)
    expect(page.get_by_role("alert")).to_be_visible()  # the login is refused
