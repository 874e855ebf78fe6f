"""Races that only a real database with row locks can show: run on PostgreSQL."""

import threading

import pytest
from django.core import mail
from django.db import connection

from interviews.factories import InterviewCourseFactory
from payments import services
from payments.factories import PaymentFactory
from payments.images import clean_payment_screenshot
from payments.models import Payment, PaymentEvent, PaymentStatus
from payments.tests.helpers import png_bytes, private_proof_files, upload

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("immediate_tasks"),
]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor not in ("postgresql", "mongodb"):  # issue 18
        pytest.skip("needs PostgreSQL row locks")


def run_together(*jobs):
    """Run each job in its own thread and database connection, all at once."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=job) for job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_two_approvers_deciding_at_once_one_wins(approver, superuser):
    payment = PaymentFactory()

    def decide(action, user, remarks):
        def job():
            mine = Payment.objects.select_related("student", "course").get(
                pk=payment.pk
            )
            return action(mine, user, remarks)

        return job

    results = run_together(
        decide(services.approve_payment, approver, "ok"),
        decide(services.reject_payment, superuser, "Amount mismatch"),
    )

    assert sorted(results) == [False, True]
    payment.refresh_from_db()
    expected = PaymentStatus.COMPLETED if results[0] else PaymentStatus.REJECTED
    assert payment.status == expected
    assert PaymentEvent.objects.filter(payment=payment).count() == 1
    assert len(mail.outbox) == 1


def test_two_tabs_submitting_at_once_save_one_payment_and_one_file(student):
    course = InterviewCourseFactory()
    before = set(private_proof_files())

    def submit(utr, color):
        def job():
            proof = clean_payment_screenshot(upload(png_bytes(color=color)))
            try:
                return services.submit_payment(student, course, utr, proof)
            except services.PaymentRefused as refusal:
                return refusal

        return job

    results = run_together(
        submit("555555555551", (1, 1, 1)), submit("555555555552", (2, 2, 2))
    )

    saved = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, services.PaymentRefused)]
    assert len(saved) == 1 and len(refused) == 1
    assert refused[0].code == "already_paid"
    assert Payment.objects.filter(student=student, course=course).count() == 1
    # The winner's proof and its thumbnail; nothing of the loser's.
    new = [str(name) for name in set(private_proof_files()) - before]
    assert len([name for name in new if not name.endswith(".thumb.webp")]) == 1
    assert len([name for name in new if name.endswith(".thumb.webp")]) == 1
