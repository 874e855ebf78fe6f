"""One definition of a live payment and one status -> badge mapping."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from payments.admin import PaymentAdmin
from payments.factories import PaymentFactory
from payments.models import LIVE_PAYMENT, Payment, PaymentStatus
from payments.services import live_payment_for

pytestmark = pytest.mark.django_db

CASES = [
    (PaymentStatus.PENDING_VERIFICATION, False, True),
    (PaymentStatus.COMPLETED, False, True),
    (PaymentStatus.COMPLETED, True, False),
    (PaymentStatus.REJECTED, False, False),
]


@pytest.mark.parametrize(("status", "consumed", "live"), CASES)
def test_is_live_and_the_queryset_agree(status, consumed, live):
    payment = PaymentFactory(
        status=status, consumed_at=timezone.now() if consumed else None
    )

    assert payment.is_live is live
    assert Payment.objects.filter(LIVE_PAYMENT, pk=payment.pk).exists() is live
    found = live_payment_for(payment.student, payment.course)
    assert (found == payment) is live


def test_the_constraint_uses_the_same_rule():
    constraint = Payment._meta.constraints[0]
    assert constraint.name == "one_live_payment_per_student_course"
    assert constraint.condition == LIVE_PAYMENT


@pytest.mark.parametrize(
    ("status", "badge"),
    [
        (PaymentStatus.PENDING_VERIFICATION, "wait"),
        (PaymentStatus.COMPLETED, "ok"),
        (PaymentStatus.REJECTED, "bad"),
    ],
)
def test_each_status_has_one_badge(status, badge):
    assert status.badge == badge
    assert Payment(status=status).badge == badge


def test_the_console_colours_the_status_by_its_badge():
    model_admin = PaymentAdmin(Payment, admin.site)

    html = model_admin.status_display(Payment(status=PaymentStatus.REJECTED))

    assert 'class="status-badge bad"' in html
    assert "style=" not in html


def test_my_interviews_page_uses_the_badge(student_client, student):
    PaymentFactory(student=student, status=PaymentStatus.REJECTED, remarks="No")

    response = student_client.get(reverse("interviews:my_interviews"))

    assert b'class="badge bad"' in response.content


def test_the_stored_flag_follows_every_status_change():
    payment = PaymentFactory()
    assert Payment.objects.get(pk=payment.pk).is_live is True

    payment.status = PaymentStatus.REJECTED
    payment.save(update_fields=["status"])

    assert Payment.objects.get(pk=payment.pk).is_live is False
