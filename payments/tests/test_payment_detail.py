import pytest
from django.urls import reverse

from payments.factories import PaymentFactory
from payments.models import PaymentStatus

pytestmark = pytest.mark.django_db


def detail_url(payment):
    return reverse("payments:payment", args=[payment.public_id])


def test_the_owner_sees_the_status_and_a_polling_panel(student_client, student):
    payment = PaymentFactory(student=student)

    response = student_client.get(detail_url(payment))

    html = response.content.decode()
    assert response.status_code == 200
    assert payment.reference in html
    assert "Pending admin approval" in html
    assert "Pending verification" not in html
    assert 'aria-live="polite"' in html
    assert (
        f'data-status-url="{reverse("payments:status", args=[payment.public_id])}"'
        in html
    )
    assert 'src="/static/js/payment_status.js"' in html
    assert "<script>" not in html


def test_the_owner_sees_the_remarks_of_a_rejection_escaped(student_client, student):
    payment = PaymentFactory(
        student=student, status=PaymentStatus.REJECTED, remarks="<i>UTR</i> not found"
    )

    html = student_client.get(detail_url(payment)).content.decode()

    assert "&lt;i&gt;UTR&lt;/i&gt; not found" in html
    assert "Pay again" in html


def test_student_cannot_open_another_students_payment(client, other_student):
    payment = PaymentFactory()
    client.force_login(other_student)
    assert client.get(detail_url(payment)).status_code == 404


def test_anonymous_is_sent_to_log_in(client):
    payment = PaymentFactory()
    response = client.get(detail_url(payment))
    assert response.status_code == 302
