import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def test_it_emails_a_working_reset_link(
    client, student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:password_reset"), {"email": student.email}
        )
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [student.email]
    assert "Reset your password" in message.subject
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", message.body)
    assert link
    response = client.get(link.group(1), follow=True)
    assert "Choose a new password" in response.content.decode()
    set_url = response.redirect_chain[-1][0]
    response = client.post(
        set_url,
        {"new_password1": "Fresh-Start-2026!", "new_password2": "Fresh-Start-2026!"},
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    student.refresh_from_db()
    assert student.check_password("Fresh-Start-2026!")


def test_it_says_the_same_for_unknown_addresses(client):
    response = client.post(
        reverse("accounts:password_reset"), {"email": "nobody@example.com"}
    )
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_a_bad_token_shows_an_expired_page(client, student):
    response = client.get("/accounts/password/reset/MQ/bad-token/")
    assert "This link has expired" in response.content.decode()


def test_the_link_comes_from_site_url_never_the_host_header(
    client, student, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://portal.example.com"
    # localhost is an allowed host; the port is the attacker's choice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:password_reset"),
            {"email": student.email},
            HTTP_HOST="localhost:1337",
        )
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "1337" not in part
        assert "localhost" not in part
        assert "https://portal.example.com/accounts/password/reset/" in part


def test_the_text_part_is_not_html_escaped(
    client, settings, django_capture_on_commit_callbacks
):
    from accounts.factories import UserFactory

    user = UserFactory(full_name='Priya "P" <O\'Neil> & Co')
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": user.email})
    message = mail.outbox[0]
    assert 'Priya "P" <O\'Neil> & Co' in message.body
    assert "&lt;O&#x27;Neil&gt;" in message.alternatives[0][0]
