import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import EmailStatus, SentEmail
from accounts.testing import log_in_verified
from portal.emails import send_on_commit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def test_a_superuser_sends_a_given_up_email_again(
    client, superuser, student, django_capture_on_commit_callbacks
):
    email = send_on_commit(
        "password_reset",
        {"user": student, "uid": "MQ", "token": "t", "protocol": "http"},
        [student.email],
        key="test:given-up",
    )
    SentEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.FAILED, attempts=7, last_error="SMTPServerDisconnected"
    )
    log_in_verified(client, superuser)
    listing = client.get(reverse("admin:accounts_sentemail_changelist"))
    assert "test:given-up" in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_sentemail_changelist"),
            {"action": "try_again", "_selected_action": [email.pk]},
            follow=True,
        )
    assert "1 email(s) queued to be sent again." in response.content.decode()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 1
    assert [m.to for m in mail.outbox] == [[student.email]]


def test_approvers_do_not_see_the_email_log(approver_client):
    response = approver_client.get(reverse("admin:accounts_sentemail_changelist"))
    assert response.status_code == 403
