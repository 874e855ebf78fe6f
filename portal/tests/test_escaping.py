"""Script and HTML typed by students and approvers comes out as text: in the
student's pages, in the approval console and in the HTML emails."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.testing import log_in_verified
from interviews.factories import (
    AnswerFactory,
    InterviewRequestFactory,
    ScheduledRequestFactory,
)
from interviews.models import RequestStatus
from payments.factories import PaymentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert("


def assert_escaped(html, must_show=True):
    assert PAYLOAD not in html
    assert "<img src=x" not in html
    if must_show:
        assert ESCAPED in html


def _html_email(message):
    return next(body for body, kind in message.alternatives if kind == "text/html")


@pytest.fixture
def student(student):
    student.full_name = PAYLOAD
    student.save()
    return student


def test_a_rejected_payments_remarks_and_the_name_are_escaped(
    client, student, approver, django_capture_on_commit_callbacks, mailoutbox
):
    payment = PaymentFactory(student=student)
    log_in_verified(client, approver)
    assert_escaped(
        client.get(reverse("admin:payments_payment_changelist")).content.decode()
    )
    change = reverse("admin:payments_payment_change", args=[payment.pk])
    assert_escaped(client.get(change).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:payments_payment_reject", args=[payment.pk]),
            {"reject-reason": "", "reject-remarks": PAYLOAD},
        )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.remarks == PAYLOAD  # stored as typed, escaped when shown
    assert len(mailoutbox) == 1
    assert_escaped(_html_email(mailoutbox[0]))

    log_in_verified(client, student)
    page = reverse("payments:payment", args=[payment.public_id])
    assert_escaped(client.get(page).content.decode())
    assert_escaped(client.get(reverse("interviews:my_interviews")).content.decode())
    pay = reverse("payments:pay", args=[payment.course.slug])
    assert_escaped(client.get(pay).content.decode())


def test_request_notes_and_a_rejection_reason_are_escaped(
    client, student, approver, django_capture_on_commit_callbacks, mailoutbox
):
    interview = InterviewRequestFactory(student=student, notes=PAYLOAD)
    log_in_verified(client, approver)
    changelist = client.get(reverse("admin:interviews_interviewrequest_changelist"))
    assert_escaped(changelist.content.decode())
    change = reverse("admin:interviews_interviewrequest_change", args=[interview.pk])
    assert_escaped(client.get(change).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change, {"_reject": "1", "reject-reason": PAYLOAD})
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.status == RequestStatus.REJECTED
    assert len(mailoutbox) == 1
    assert_escaped(_html_email(mailoutbox[0]))

    log_in_verified(client, student)
    assert_escaped(client.get(reverse("interviews:my_interviews")).content.decode())


def test_review_feedback_and_comments_are_escaped(
    client, student, approver, django_capture_on_commit_callbacks, mailoutbox
):
    interview = ScheduledRequestFactory(
        student=student, status=RequestStatus.COMPLETED, completed_at=timezone.now()
    )
    answer = AnswerFactory(request=interview)
    log_in_verified(client, approver)
    url = reverse("admin:interviews_interviewtoreview_review", args=[interview.pk])
    publish = reverse("admin:interviews_interviewtoreview_publish", args=[interview.pk])
    prefix = f"answer-{answer.public_id}"
    client.post(
        reverse(
            "admin:interviews_interviewtoreview_comment",
            args=[interview.pk, answer.public_id],
        ),
        {
            f"comment-{answer.public_id}-at_seconds": "1",
            f"comment-{answer.public_id}-text": PAYLOAD,
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            publish,
            {
                "overall_rating": "4",
                "result": "pass",
                "feedback": PAYLOAD,
                "next_steps": PAYLOAD,
                f"{prefix}-rating": "3",
                f"{prefix}-comment": PAYLOAD,
            },
        )
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.comment == PAYLOAD
    assert answer.timed_comments.get().text == PAYLOAD
    assert len(mailoutbox) == 1
    assert_escaped(_html_email(mailoutbox[0]))
    assert_escaped(client.get(url).content.decode())
    changelist = reverse("admin:interviews_interviewtoreview_changelist")
    assert_escaped(client.get(changelist).content.decode())

    log_in_verified(client, student)
    page = client.get(reverse("interviews:my_interviews")).content.decode()
    assert_escaped(page, must_show=False)
    report = reverse("interviews:report", args=[interview.public_id])
    assert_escaped(client.get(report).content.decode())


def test_a_name_typed_at_sign_up_is_escaped_in_the_welcome(
    client, settings, django_capture_on_commit_callbacks
):
    import re

    from django.core import mail

    settings.RATELIMIT_ENABLED = False
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:signup"),
            {
                "username": "newbie",
                "full_name": PAYLOAD,
                "email": "newbie@example.com",
                "phone": "9876543210",
                "password1": "Strong-Pass-2026!",
                "password2": "Strong-Pass-2026!",
            },
        )
    assert_escaped(_html_email(mail.outbox[0]))
    # The account is made, and the welcome shown, when the link is followed.
    link = re.search(r"/accounts/signup/[^/\s]+/", mail.outbox[0].body).group(0)
    response = client.post(link, follow=True)
    assert response.status_code == 200
    assert_escaped(response.content.decode())
