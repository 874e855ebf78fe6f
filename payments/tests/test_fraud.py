"""Fraud signals on screenshots made in the tests: the perceptual hash and OCR."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.testing import log_in_verified
from interviews.factories import InterviewCourseFactory
from payments import fraud, tasks
from payments.admin import PaymentAdmin
from payments.models import Payment, PaymentStatus
from payments.tests.screenshots import encoded, screenshot, variants

BASE = screenshot()


@pytest.mark.parametrize(
    "variant", ["jpeg_q60", "cropped_5pc", "resized_80pc", "one_pixel"]
)
def test_the_same_screenshot_re_saved_cropped_or_resized_matches(variant):
    original = fraud.proof_phash(encoded(BASE))
    copy = fraud.proof_phash(variants(BASE)[variant])

    assert fraud.phash_distance(original, copy) <= settings.PROOF_PHASH_MAX_DISTANCE


@pytest.mark.parametrize(
    "other",
    [
        screenshot(layout="gpay"),
        screenshot(layout="gpay", amount="450", utr="411111111111", payee="x@okaxis"),
    ],
)
def test_a_different_screenshot_does_not_match(other):
    distance = fraud.phash_distance(
        fraud.proof_phash(encoded(BASE)), fraud.proof_phash(encoded(other))
    )

    assert distance > settings.PROOF_PHASH_MAX_DISTANCE


def test_an_earlier_screenshot_with_the_amount_edited_still_matches():
    # The fraud the signal is for: the same screen, one number changed.
    edited = screenshot(amount="950")

    distance = fraud.phash_distance(
        fraud.proof_phash(encoded(BASE)), fraud.proof_phash(encoded(edited))
    )

    assert distance <= settings.PROOF_PHASH_MAX_DISTANCE


def pay(client, course, utr, content, name="proof.png"):
    return client.post(
        reverse("payments:pay", args=[course.slug]),
        {"utr": utr, "screenshot": SimpleUploadedFile(name, content, "image/png")},
    )


@pytest.mark.django_db
def test_a_cropped_copy_of_an_earlier_proof_is_flagged_on_both_pages(
    client, student, other_student, approver
):
    course = InterviewCourseFactory(fee=Decimal("200.00"))
    client.force_login(student)
    pay(client, course, "412345678901", encoded(BASE))
    first = Payment.objects.get(utr="412345678901")
    client.force_login(other_student)
    pay(client, course, "412345678902", variants(BASE)["cropped_5pc"])
    second = Payment.objects.get(utr="412345678902")

    assert first.proof_sha256 != second.proof_sha256  # the exact hash misses it
    assert [str(pk) for pk in second.similar_proofs] == [str(first.pk)]
    assert first.similar_proofs == []
    log_in_verified(client, approver)
    queue = client.get(reverse("admin:payments_payment_changelist"))
    assert b"Image like 1" in queue.content
    page = client.get(reverse("admin:payments_payment_change", args=[second.pk]))
    assert first.reference.encode() in page.content
    assert b"Similar screenshot (perceptual hash)" in page.content
    assert second.status == PaymentStatus.PENDING_VERIFICATION  # advisory only


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_ocr_runs_after_the_commit_not_during_the_request(
    student_client, django_capture_on_commit_callbacks
):
    course = InterviewCourseFactory(fee=Decimal("200.00"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pay(student_client, course, "412345678901", encoded(BASE))
    payment = Payment.objects.get()
    assert payment.ocr_done_at is None  # nothing read inside the request

    for callback in callbacks:
        callback()  # what the worker does (huey immediate mode in the tests)

    payment.refresh_from_db()
    assert payment.ocr_done_at is not None
    assert "412345678901" in payment.ocr_text
    assert payment.ocr_findings["flags"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("shown", "flag"),
    [
        ({"utr": "498765432109"}, "shows UTR 498765432109, the student typed"),
        ({"amount": "20"}, "shows ₹20.00, the fee is ₹200.00"),
        ({"payee": "fraudster@ybl"}, "shows payee fraudster@ybl"),
    ],
)
def test_a_screenshot_that_disagrees_with_the_payment_is_flagged_with_why(
    student_client, approver_client, shown, flag
):
    course = InterviewCourseFactory(fee=Decimal("200.00"))
    pay(student_client, course, "412345678901", encoded(screenshot(**shown)))
    payment = Payment.objects.get()

    findings = tasks.read_proof_text.call_local(payment.pk)

    assert any(flag in reason for reason in findings["flags"]), findings
    payment.refresh_from_db()
    model_admin = PaymentAdmin(Payment, admin.site)
    assert "OCR differs" in model_admin.ocr_flag(payment)
    page = approver_client.get(
        reverse("admin:payments_payment_change", args=[payment.pk])
    )
    assert flag.encode() in page.content
    assert payment.status == PaymentStatus.PENDING_VERIFICATION


def test_findings_read_utrs_amounts_and_payees_from_text():
    findings = fraud.findings_from_text(
        "Paid ₹1,200.50 to shop@okicici\nUPI Ref 412345678901  Rs. 5\nINR200"
    )

    assert findings == {
        "utrs": ["412345678901"],
        "amounts": ["1200.50", "200.00", "5.00"],
        "vpas": ["shop@okicici"],
    }
