from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from accounts.factories import UserFactory
from accounts.models import User
from accounts.notifications import verification_url as _url
from interviews.factories import InterviewCourseFactory
from payments.models import Payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def _path(user):
    return urlsplit(_url(user)).path


@pytest.fixture
def unverified(db):
    return UserFactory(username="newbie", unverified=True)


def test_get_of_the_link_changes_nothing_and_post_verifies(client, unverified):
    path = _path(unverified)
    page = client.get(path)
    assert page.status_code == 200
    assert "Verify my email" in page.content.decode()
    unverified.refresh_from_db()
    assert unverified.email_verified_at is None

    response = client.post(path)
    assert response.status_code == 302
    unverified.refresh_from_db()
    assert unverified.email_verified_at is not None


def test_the_link_works_once(client, unverified):
    path = _path(unverified)
    client.post(path)
    first = User.objects.get(pk=unverified.pk).email_verified_at
    again = client.post(path)
    assert "already verified" in again.content.decode()
    assert User.objects.get(pk=unverified.pk).email_verified_at == first


def test_the_link_dies_when_the_email_changes(client, unverified):
    path = _path(unverified)
    unverified.email = "someone-else@example.com"
    unverified.save()
    response = client.post(path)
    assert response.status_code == 400
    assert User.objects.get(pk=unverified.pk).email_verified_at is None


def test_a_forged_token_is_refused(client, unverified):
    path = _path(unverified)
    response = client.post(path[:-3] + "xx/")
    assert response.status_code == 400
    assert User.objects.get(pk=unverified.pk).email_verified_at is None


def test_the_link_expires(client, unverified):
    path = _path(unverified)
    with override_settings(PASSWORD_RESET_TIMEOUT=-1):
        response = client.post(path)
    assert response.status_code == 400


def test_an_unverified_student_cannot_pay_and_is_told_why(client, unverified):
    course = InterviewCourseFactory()
    client.force_login(unverified)
    page = client.get(reverse("payments:pay", args=[course.slug]))
    body = page.content.decode()
    assert "Verify your email before you pay" in body
    assert "Resend the email" in body
    assert "Submit payment proof" not in body
    response = client.post(
        reverse("payments:pay", args=[course.slug]), {"utr": "412345678901"}
    )
    assert response.status_code == 200
    assert not Payment.objects.exists()


def test_the_dashboard_card_asks_to_verify(client, unverified):
    InterviewCourseFactory(title="Data Analyst")
    client.force_login(unverified)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Verify your email" in body


def test_resend_sends_a_new_link_and_is_rate_limited(
    client, unverified, settings, django_capture_on_commit_callbacks
):
    settings.RATELIMIT_VERIFY_EMAIL = "2/h"
    client.force_login(unverified)
    url = reverse("accounts:verify_email_resend")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
        assert client.post(url).status_code == 302
        assert client.post(url).status_code == 429
    assert len(mail.outbox) == 2
    assert mail.outbox[0].to == [unverified.email]


def test_resend_needs_a_post(client, unverified):
    client.force_login(unverified)
    assert client.get(reverse("accounts:verify_email_resend")).status_code == 405


def test_a_verified_student_is_not_sent_another_link(
    client, student, django_capture_on_commit_callbacks
):
    client.force_login(student)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:verify_email_resend"))
    assert mail.outbox == []


def test_changing_the_email_clears_the_verification(student):
    student = User.objects.get(pk=student.pk)
    student.full_name = "Priya S."
    student.save()
    assert User.objects.get(pk=student.pk).is_email_verified
    student.email = "priya.new@example.com"
    student.save(update_fields=["email"])
    assert not User.objects.get(pk=student.pk).is_email_verified
