"""An approver never decides on their own payment: the transition refuses it,
and every admin path says so on the page and changes nothing."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.roles import OwnDecisionRefused
from payments.factories import PaymentFactory
from payments.models import Payment, PaymentEvent, PaymentStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

CHANGELIST = reverse("admin:payments_payment_changelist")
REFUSED = "You cannot decide on your own payment: another approver must do it."


@pytest.fixture
def own_payment(approver):
    return PaymentFactory(student=approver)


def assert_unchanged(payment):
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING_VERIFICATION
    assert payment.reviewed_by is None
    assert not PaymentEvent.objects.filter(payment=payment).exists()


def test_approve_refuses_the_approvers_own_payment(own_payment, approver):
    with pytest.raises(OwnDecisionRefused, match=REFUSED):
        own_payment.approve(approver)
    assert_unchanged(own_payment)


def test_reject_refuses_the_approvers_own_payment(own_payment, approver):
    with pytest.raises(OwnDecisionRefused, match=REFUSED):
        own_payment.reject(approver, "Not matched")
    assert_unchanged(own_payment)


def test_another_approver_may_decide_it(own_payment, superuser):
    assert own_payment.approve(superuser)


def test_the_approve_button_refuses_and_says_why(approver_client, own_payment):
    url = reverse("admin:payments_payment_approve", args=[own_payment.pk])

    response = approver_client.post(url, follow=True)

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert_unchanged(own_payment)
    assert not mail.outbox


def test_the_reject_button_refuses_and_says_why(approver_client, own_payment):
    url = reverse("admin:payments_payment_reject", args=[own_payment.pk])

    response = approver_client.post(url, {"reject-remarks": "Looks wrong"}, follow=True)

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert_unchanged(own_payment)


@pytest.mark.parametrize(
    ("action", "extra", "verb", "decided"),
    [
        ("approve_selected", {}, "Approved", PaymentStatus.COMPLETED),
        (
            "reject_selected",
            {"apply": "yes", "remarks": "Not in our account."},
            "Rejected",
            PaymentStatus.REJECTED,
        ),
    ],
)
def test_a_bulk_action_decides_the_others_and_reports_the_own_one(
    approver_client,
    own_payment,
    django_capture_on_commit_callbacks,
    action,
    extra,
    verb,
    decided,
):
    others = PaymentFactory.create_batch(2)
    selected = [others[0], own_payment, others[1]]

    with django_capture_on_commit_callbacks(execute=True):
        response = approver_client.post(
            CHANGELIST,
            {
                "action": action,
                "_selected_action": [p.pk for p in selected],
                "index": 0,
                **extra,
            },
            follow=True,
        )

    assert response.status_code == 200
    html = response.content.decode()
    assert f"{verb} 2 payments." in html
    assert f"Payment {own_payment.reference} was not changed. {REFUSED}" in html
    assert_unchanged(own_payment)
    statuses = set(
        Payment.objects.filter(pk__in=[p.pk for p in others]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {decided}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.student.email for p in others
    )


def test_the_own_payments_page_says_why_and_offers_no_buttons(
    approver_client, own_payment
):
    response = approver_client.get(
        reverse("admin:payments_payment_change", args=[own_payment.pk])
    )

    assert response.status_code == 200
    assert response.context["can_decide"] is False
    assert REFUSED in response.content.decode()
