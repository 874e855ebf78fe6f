"""Sign-up (issue 12, finding 11): the form answers the same for a new and a
registered address or username, and the account is made only when the emailed
link is followed."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from accounts import tasks
from accounts.factories import UserFactory
from accounts.models import PendingSignup, User

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "newstudent",
    "full_name": "  Neha   Kumar ",
    "email": "Neha@Example.com",
    "phone": "98765 43210",
    "password1": "Interview-Ready-2026",
    "password2": "Interview-Ready-2026",
}
LINK = re.compile(r"https?://\S+(/accounts/signup/[^/\s]+/)")


@pytest.fixture
def sign_up(client, immediate_tasks, django_capture_on_commit_callbacks):
    """Post the form with the worker at hand; returns the response."""

    def post(data=GOOD, via=client, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return via.post(reverse("accounts:signup"), data, **kwargs)

    return post


def link_path(message):
    return LINK.search(message.body).group(1)


def without_csrf(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_it_says_check_your_email_and_makes_no_account_yet(sign_up):
    response = sign_up()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signup_sent")
    assert not User.objects.filter(username="newstudent").exists()
    pending = PendingSignup.objects.get()
    assert pending.email == "neha@example.com"
    assert pending.full_name == "Neha Kumar"
    assert pending.phone == "9876543210"
    assert pending.password.startswith(("md5$", "pbkdf2", "argon2"))  # a hash
    assert "Interview-Ready-2026" not in str(pending.__dict__)
    [message] = mail.outbox
    assert message.to == ["neha@example.com"]
    assert "Finish creating your" in message.subject
    assert link_path(message) in message.alternatives[0][0]


def test_the_check_your_email_page_is_the_same_for_everyone(client):
    body = client.get(reverse("accounts:signup_sent")).content.decode()
    assert "Check your email" in body


@pytest.mark.parametrize(
    "taken",
    [
        {"email": "priya@example.com"},
        {"email": "PRIYA@example.com"},
        {"username": "priya"},
        {"username": "priya", "email": "priya@example.com"},
    ],
)
def test_a_registered_email_or_username_gets_the_same_answer_as_a_new_one(
    sign_up, taken
):
    UserFactory(username="priya", email="priya@example.com")
    fresh_client, taken_client = Client(), Client()
    fresh = sign_up(
        dict(GOOD, username="fresh", email="fresh@example.com"), via=fresh_client
    )
    registered = sign_up(dict(GOOD, **taken), via=taken_client)
    assert (fresh.status_code, fresh["Location"]) == (
        registered.status_code,
        registered["Location"],
    )
    assert fresh.content == registered.content
    fresh_page = fresh_client.get(fresh["Location"]).content.decode()
    registered_page = taken_client.get(registered["Location"]).content.decode()
    assert without_csrf(fresh_page) == without_csrf(registered_page)


def test_a_new_and_a_registered_address_cost_the_request_the_same_queries(
    client, student, django_assert_num_queries
):
    HUEY.flush()
    try:
        client.post(reverse("accounts:signup"), dict(GOOD, email="warm@example.com"))
        with CaptureQueriesContext(connection) as new:
            client.post(reverse("accounts:signup"), GOOD)
        with django_assert_num_queries(len(new.captured_queries)):
            client.post(reverse("accounts:signup"), dict(GOOD, email=student.email))
        # Neither request looked the address (or the username) up: the worker does.
        assert not any("accounts_user" in q["sql"] for q in new.captured_queries)
        assert HUEY.pending_count() == 3
        assert mail.outbox == []
    finally:
        HUEY.flush()


def test_the_owner_of_a_registered_address_is_warned_instead(sign_up, student):
    sign_up(dict(GOOD, email=student.email.upper()))
    [message] = mail.outbox
    assert message.to == [student.email]
    assert message.subject == "Someone tried to sign up with your email address"
    assert "/accounts/login/" in message.body
    assert "/accounts/password/reset/" in message.body
    assert LINK.search(message.body) is None  # no way to make a second account
    assert not PendingSignup.objects.exists()
    assert User.objects.filter(email__iexact=student.email).count() == 1


def test_the_account_is_made_when_the_link_is_followed(client, sign_up):
    sign_up()
    path = link_path(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 200
    assert "Create my account" in page.content.decode()
    assert not User.objects.filter(
        username="newstudent"
    ).exists()  # GET changes nothing

    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("interviews:course_list")
    user = User.objects.get(username="newstudent")
    assert user.full_name == "Neha Kumar"
    assert user.email == "neha@example.com"
    assert user.phone == "9876543210"
    assert user.check_password("Interview-Ready-2026")
    assert user.is_email_verified  # the link proved the mailbox
    assert not user.is_staff
    used = PendingSignup.objects.get()
    assert used.used_at and not (used.password or used.phone or used.full_name)
    welcome = client.get(reverse("dashboard")).content.decode()
    assert "Welcome, Neha Kumar!" in welcome  # logged in


def test_it_returns_to_next_after_the_link(client, sign_up):
    sign_up(dict(GOOD, next="/courses/"))
    response = client.post(link_path(mail.outbox[0]))
    assert response["Location"] == "/courses/"


def test_it_ignores_an_offsite_next(client, sign_up):
    sign_up(dict(GOOD, next="https://evil.example.com/"))
    assert PendingSignup.objects.get().next_url == ""
    response = client.post(link_path(mail.outbox[0]))
    assert response["Location"] == reverse("interviews:course_list")


def test_a_used_link_says_the_account_exists(client, sign_up):
    sign_up()
    path = link_path(mail.outbox[0])
    client.post(path)
    again = Client().post(path)
    assert again.status_code == 200
    assert "This link has been used already" in again.content.decode()
    assert User.objects.filter(email="neha@example.com").count() == 1


def test_an_expired_link_is_refused(client, sign_up):
    sign_up()
    PendingSignup.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(link_path(mail.outbox[0]))
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert not User.objects.filter(username="newstudent").exists()


def test_an_unknown_link_is_refused(client, sign_up):
    sign_up()
    path = link_path(mail.outbox[0])
    response = client.post(path[:-4] + "xyz/")
    assert response.status_code == 400
    assert "This sign-up link is not valid" in response.content.decode()
    assert not User.objects.filter(username="newstudent").exists()


def test_two_uses_of_one_link_make_one_account(sign_up):
    sign_up()
    first, second = PendingSignup.objects.get(), PendingSignup.objects.get()
    assert first.create_account() is not None
    assert second.create_account() is None  # the conditional update lost
    assert User.objects.filter(email="neha@example.com").count() == 1


def test_a_second_link_for_an_address_that_has_an_account_now_is_refused(
    client, sign_up
):
    sign_up()
    sign_up(dict(GOOD, username="neha2"), via=Client())
    first, second = (link_path(m) for m in mail.outbox)
    client.post(first)
    response = Client().post(second)
    assert "An account with this email address exists already" in (
        response.content.decode()
    )
    assert User.objects.filter(email="neha@example.com").count() == 1


def test_a_username_taken_meanwhile_is_asked_again_when_the_link_is_followed(
    client, sign_up
):
    sign_up()
    UserFactory(username="NewStudent")  # someone took it before the click
    path = link_path(mail.outbox[0])
    page = client.get(path).content.decode()
    assert "has been taken" in page
    assert client.post(path).status_code == 200  # asked, not created
    refused = client.post(path, {"username": "newstudent"})
    assert "That username is taken too" in refused.content.decode()
    response = client.post(path, {"username": "neha.k"})
    assert response.status_code == 302
    assert User.objects.get(email="neha@example.com").username == "neha.k"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("phone", "12345", "Enter a valid mobile number"),
        ("full_name", "   ", "This field is required."),
        ("password2", "something-else-2026", "The two password fields"),
        ("username", "bad name!", "Enter a valid username."),
    ],
)
def test_it_shows_errors_next_to_the_field_and_keeps_input(
    client, field, value, message
):
    data = dict(GOOD, **{field: value})
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    kept = "phone" if field != "phone" else "username"
    assert f'value="{GOOD[kept]}"' in response.content.decode()
    assert not PendingSignup.objects.exists()


def test_it_applies_djangos_password_validators(client):
    data = dict(GOOD, password1="12345678", password2="12345678")
    response = client.post(reverse("accounts:signup"), data)
    body = response.content.decode()
    assert "This password is too common." in body
    assert "This password is entirely numeric." in body


def test_it_refuses_a_password_like_the_username(client):
    data = dict(
        GOOD, username="neharocks", password1="neharocks1", password2="neharocks1"
    )
    body = client.post(reverse("accounts:signup"), data).content.decode()
    assert "The password is too similar to the username." in body


def test_it_escapes_html_in_the_name(client, sign_up):
    sign_up(dict(GOOD, full_name="<script>alert(1)</script>"))
    client.post(link_path(mail.outbox[0]))
    body = client.get(reverse("dashboard")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_periodic_cleanup_deletes_expired_sign_ups(sign_up):
    sign_up()
    sign_up(dict(GOOD, email="later@example.com"), via=Client())
    PendingSignup.objects.filter(email="neha@example.com").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert tasks.purge_expired_signups.call_local() == 1
    assert list(PendingSignup.objects.values_list("email", flat=True)) == [
        "later@example.com"
    ]


def test_the_cleanup_runs_every_hour():
    from datetime import datetime

    periodic = tasks.purge_expired_signups.task_class()
    assert periodic.validate_datetime(datetime(2026, 1, 1, 9, 41))
    assert not periodic.validate_datetime(datetime(2026, 1, 1, 9, 42))


def test_a_task_run_twice_makes_one_sign_up_and_one_email(
    immediate_tasks, django_capture_on_commit_callbacks
):
    fields = {
        "username": "twice",
        "full_name": "Twice",
        "email": "twice@example.com",
        "phone": "9876543210",
        "password": "!",
        "next_url": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_signup.call_local(fields, "r1")
        tasks.start_signup.call_local(fields, "r1")
    assert PendingSignup.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_link_path_is_on_the_site_url(sign_up, settings):
    sign_up()
    link = LINK.search(mail.outbox[0].body).group(0)
    assert link.startswith(settings.SITE_URL)
    assert urlsplit(link).path == link_path(mail.outbox[0])


def test_sign_ups_are_limited_per_email_alike_for_new_and_registered_ones(
    client, sign_up, student, settings
):
    settings.RATELIMIT_SIGNUP_PER_EMAIL = "2/h"
    answers = {}
    for email in ["new@example.com", student.email]:
        for n in range(2):
            address = f"10.0.{len(answers)}.{n}"  # not the per-address limit
            sign_up(dict(GOOD, email=email), REMOTE_ADDR=address)
        refused = sign_up(dict(GOOD, email=email.upper()), REMOTE_ADDR="10.9.9.9")
        # The wait left in the window may tick between the two: not compared.
        body = re.sub(rb"\d+ (minute|second)s?", b"N", refused.content)
        answers[email] = (refused.status_code, body)
    assert answers["new@example.com"] == answers[student.email]
    assert answers[student.email][0] == 429
    assert (
        b"Too many sign-ups were tried with this email address."
        in (answers[student.email][1])
    )
    assert len(mail.outbox) == 4  # two links, two notes: none for the refused
