from datetime import timedelta

import pytest
from django.contrib import admin
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.factories import UserFactory
from interviews.factories import InterviewCourseFactory
from payments.admin import PaymentAdmin
from payments.factories import CompletedPaymentFactory, PaymentFactory, png_bytes
from payments.models import Payment, PaymentEvent, PaymentStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

CHANGELIST = reverse("admin:payments_payment_changelist")


def change_url(payment):
    return reverse("admin:payments_payment_change", args=[payment.pk])


def aged(payment, days):
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )
    return payment


def listed(response):
    return [p.reference for p in response.context["cl"].result_list]


def run_action(client, action, payments, query="", **extra):
    data = {"action": action, "_selected_action": [p.pk for p in payments], "index": 0}
    data.update(extra)
    return client.post(CHANGELIST + query, data, follow=True)


# The queue ----------------------------------------------------------------


def test_the_changelist_opens_on_the_pending_queue_oldest_first(approver_client):
    newer = aged(PaymentFactory(), 1)
    older = aged(PaymentFactory(), 3)
    decided = CompletedPaymentFactory()

    response = approver_client.get(CHANGELIST)

    assert response.status_code == 200
    assert listed(response) == [older.reference, newer.reference]
    assert decided.reference not in listed(response)


def test_all_payments_are_one_filter_away(approver_client):
    pending, done = PaymentFactory(), CompletedPaymentFactory()

    response = approver_client.get(CHANGELIST + "?status=all")

    assert set(listed(response)) == {pending.reference, done.reference}
    done_only = approver_client.get(CHANGELIST + "?status=completed")
    assert listed(done_only) == [done.reference]


@pytest.mark.parametrize(
    "query", ["zoya_k", "Zoya Khan", "zoya@example.org", "412300000077", "VIFIND123"]
)
def test_search_finds_a_payment_by_student_utr_or_reference(approver_client, query):
    student = UserFactory(
        username="zoya_k", full_name="Zoya Khan", email="zoya@example.org"
    )
    wanted = PaymentFactory(student=student, utr="412300000077", reference="VIFIND123")
    PaymentFactory()

    response = approver_client.get(CHANGELIST, {"q": query})

    assert listed(response) == [wanted.reference]


def test_filters_by_course_and_date_are_offered(approver_client):
    InterviewCourseFactory(title="Data analysis")
    InterviewCourseFactory(title="System design")
    response = approver_client.get(CHANGELIST)
    html = response.content.decode()
    assert "By course" in html and "Data analysis" in html
    assert "By submitted" in html


def test_the_list_shows_a_proof_thumbnail_and_the_duplicate_flag(approver_client):
    image = png_bytes(color=(5, 5, 5))
    first = aged(PaymentFactory(proof_bytes=image), 2)
    second = PaymentFactory(proof_bytes=image)
    single = PaymentFactory()

    response = approver_client.get(CHANGELIST)

    rows = {p.reference: p for p in response.context["cl"].result_list}
    assert rows[first.reference].has_duplicate_proof
    assert rows[second.reference].has_duplicate_proof
    assert not rows[single.reference].has_duplicate_proof
    html = response.content.decode()
    assert html.count("Same proof image") == 2
    assert f'src="{reverse("payments:proof", args=[single.public_id])}"' in html


def test_the_change_page_names_the_earlier_payment_with_the_same_image(
    approver_client,
):
    image = png_bytes(color=(6, 6, 6))
    earlier = aged(PaymentFactory(proof_bytes=image), 2)
    later = PaymentFactory(proof_bytes=image)

    html = approver_client.get(change_url(later)).content.decode()

    assert "Possible duplicate" in html
    assert earlier.reference in html
    assert change_url(earlier) in html


def test_the_changelist_query_count_does_not_grow(
    approver_client, django_assert_max_num_queries
):
    course = InterviewCourseFactory()
    PaymentFactory.create_batch(5, course=course)
    approver_client.get(CHANGELIST)  # warm the per-process caches
    with django_assert_max_num_queries(20) as five:
        assert len(listed(approver_client.get(CHANGELIST))) == 5

    PaymentFactory.create_batch(45, course=course)
    with django_assert_max_num_queries(len(five.captured_queries)) as fifty:
        assert len(listed(approver_client.get(CHANGELIST))) == 50

    assert len(fifty.captured_queries) == len(five.captured_queries)


def test_approvers_cannot_add_payments(approver_client):
    assert approver_client.get(reverse("admin:payments_payment_add")).status_code == 403


def test_students_cannot_open_the_console(student_client):
    assert student_client.get(CHANGELIST).status_code == 403


# Bulk actions -------------------------------------------------------------


def test_approve_action_approves_and_emails_each_student(
    approver_client, approver, django_capture_on_commit_callbacks
):
    payments = PaymentFactory.create_batch(2)

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(approver_client, "approve_selected", payments)

    assert "Approved 2 payments." in response.content.decode()
    for payment in payments:
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.COMPLETED
        assert payment.reviewed_by == approver
        assert payment.reviewed_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.student.email for p in payments
    )


def test_an_already_decided_payment_says_by_whom(
    approver_client, django_capture_on_commit_callbacks
):
    other = UserFactory(full_name="Ravi Reviewer", is_staff=True)
    payment = PaymentFactory()
    payment.reject(other, "Wrong payee")

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(
            approver_client, "approve_selected", [payment], query="?status=all"
        )

    html = response.content.decode()
    assert f"Payment {payment.reference} was already decided by Ravi Reviewer" in html
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REJECTED
    assert PaymentEvent.objects.filter(payment=payment).count() == 1
    assert mail.outbox == []


def test_reject_action_asks_for_remarks_first(approver_client):
    payment = PaymentFactory()

    response = run_action(approver_client, "reject_selected", [payment])

    html = response.content.decode()
    assert "Reject payments" in html
    assert "Amount mismatch" in html and "UTR not found" in html
    assert payment.reference in html
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING_VERIFICATION


def test_reject_action_without_a_reason_changes_nothing(approver_client):
    payment = PaymentFactory()

    response = run_action(
        approver_client, "reject_selected", [payment], apply="yes", remarks="  "
    )

    assert "choose a reason or write remarks" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING_VERIFICATION


def test_reject_action_with_a_canned_reason_and_text_rejects_and_emails(
    approver_client, approver, django_capture_on_commit_callbacks
):
    payment = PaymentFactory()
    reason = "UTR not found: we could not find this transaction in our account."

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(
            approver_client,
            "reject_selected",
            [payment],
            apply="yes",
            reason=reason,
            remarks="Please check the bank app.",
        )

    assert "Rejected 1 payment." in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REJECTED
    assert payment.remarks == f"{reason} Please check the bank app."
    [email] = mail.outbox
    assert "Please check the bank app." in email.body


# The payment's page -------------------------------------------------------


def test_the_change_page_offers_decisions_and_no_edits(approver_client):
    payment = PaymentFactory()

    html = approver_client.get(change_url(payment)).content.decode()

    assert reverse("admin:payments_payment_approve", args=[payment.pk]) in html
    assert reverse("admin:payments_payment_reject", args=[payment.pk]) in html
    assert 'name="_save"' not in html
    assert 'name="utr"' not in html and 'name="amount"' not in html
    assert payment.utr in html


def test_the_approve_button_approves_once(
    approver_client, approver, django_capture_on_commit_callbacks
):
    payment = PaymentFactory()
    url = reverse("admin:payments_payment_approve", args=[payment.pk])

    with django_capture_on_commit_callbacks(execute=True):
        first = approver_client.post(url, {"remarks": "Matched"}, follow=True)
        second = approver_client.post(url, follow=True)

    assert f"Approved payment {payment.reference}." in first.content.decode()
    assert "was already decided by Asha Approver" in second.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.remarks == "Matched"
    assert len(mail.outbox) == 1


def test_the_decision_buttons_only_take_post(approver_client):
    payment = PaymentFactory()
    url = reverse("admin:payments_payment_approve", args=[payment.pk])
    assert approver_client.get(url).status_code == 405


def test_the_reject_button_needs_remarks_and_keeps_what_was_typed(approver_client):
    payment = PaymentFactory()
    url = reverse("admin:payments_payment_reject", args=[payment.pk])

    response = approver_client.post(url, {"reject-remarks": "   "})

    assert response.status_code == 200
    assert "choose a reason or write remarks" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING_VERIFICATION


def test_the_reject_button_rejects_with_the_reason(
    approver_client, django_capture_on_commit_callbacks
):
    payment = PaymentFactory()
    url = reverse("admin:payments_payment_reject", args=[payment.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = approver_client.post(
            url,
            {"reject-reason": "Wrong payee: the payment did not go to our UPI ID."},
            follow=True,
        )

    assert f"Rejected payment {payment.reference}." in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REJECTED
    assert payment.remarks.startswith("Wrong payee")


def test_a_decided_payment_shows_its_audit_trail_and_no_buttons(
    approver_client, approver
):
    payment = PaymentFactory()
    payment.reject(approver, "Amount mismatch")

    html = approver_client.get(change_url(payment)).content.decode()

    assert "Audit trail" in html or "audit trail" in html
    assert "Asha Approver" in html or "approver" in html
    assert "Amount mismatch" in html
    assert "It cannot be decided again." in html
    assert reverse("admin:payments_payment_approve", args=[payment.pk]) not in html


# Display methods ----------------------------------------------------------


def test_display_methods():
    model_admin = PaymentAdmin(Payment, admin.site)
    student = UserFactory.build(
        username="meera", full_name="Meera <Iyer>", email="meera@example.org"
    )
    payment = PaymentFactory.build(student=student, status=PaymentStatus.REJECTED)
    payment.has_duplicate_proof = True

    assert model_admin.student_display(payment) == (
        'Meera &lt;Iyer&gt;<br><small title="meera@example.org">meera</small>'
    )
    assert "Rejected" in model_admin.status_display(payment)
    thumbnail = model_admin.proof_image(payment)
    assert f'src="/payments/{payment.public_id}/proof/"' in thumbnail
    assert "Same proof image" in model_admin.duplicate_flag(payment)
    payment.has_duplicate_proof = False
    assert model_admin.duplicate_flag(payment) == "-"


def test_the_queue_ordering_depends_on_the_filter():
    model_admin = PaymentAdmin(Payment, admin.site)
    factory = RequestFactory()
    # Matched by statement first (issue 17), then oldest first.
    assert model_admin.get_ordering(factory.get("/"))[1:] == ["created_at", "pk"]
    assert model_admin.get_ordering(factory.get("/", {"status": "all"})) == [
        "-created_at",
        "-pk",
    ]
