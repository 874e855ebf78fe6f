import pytest

from payments.factories import PaymentFactory
from payments.models import PaymentEvent, PaymentStatus

pytestmark = pytest.mark.django_db


def test_approve_wins_once(approver, superuser):
    payment = PaymentFactory()
    assert payment.proof.name.startswith("proofs/")
    assert payment.approve(approver, "Looks right") is True
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.reviewed_by == approver
    assert payment.reject(superuser, "too late") is False
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert PaymentEvent.objects.filter(payment=payment).count() == 1


def test_reject_requires_remarks(approver):
    payment = PaymentFactory()
    with pytest.raises(ValueError):
        payment.reject(approver, "  ")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING_VERIFICATION
