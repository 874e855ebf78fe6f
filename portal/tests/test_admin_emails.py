from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interviews.factories import InterviewRequestFactory
from interviews.services import schedule_interview
from payments.factories import PaymentFactory
from payments.services import approve_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def test_a_payments_page_lists_its_emails(
    approver_client, approver, django_capture_on_commit_callbacks
):
    payment = PaymentFactory(student__email="priya@example.com")
    other = PaymentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        approve_payment(payment, approver)
        approve_payment(other, approver)
    url = reverse("admin:payments_payment_change", args=[payment.pk])
    page = approver_client.get(url).content.decode()
    assert "Emails sent" in page
    assert "payment_approved" in page
    assert "priya@example.com" in page
    assert ">Sent<" in page
    assert other.student.email not in page


def test_an_interviews_page_lists_its_emails(
    approver_client, approver, django_capture_on_commit_callbacks
):
    interview = InterviewRequestFactory()
    page_url = reverse("admin:interviews_interviewrequest_change", args=[interview.pk])
    assert "No emails yet." in approver_client.get(page_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        schedule_interview(interview, approver, timezone.now() + timedelta(days=2))
    page = approver_client.get(page_url).content.decode()
    assert "interview_scheduled" in page
    assert ">Sent<" in page
