"""Payments: the reference and QR code a student pays with, submitting a proof,
and the approvers' decisions with their emails."""

import base64
import hashlib
import hmac
from decimal import Decimal
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError
from django.utils.safestring import mark_safe

from payments import fraud, notifications
from payments.models import LIVE_PAYMENT, Payment
from portal.db import atomic, on_commit
from portal.storage import private_storage, unguessable_name


class PaymentRefused(Exception):
    """A submission that cannot be saved; `field` is the form field to blame, if any."""

    def __init__(self, message, field=None, code=""):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def live_payment_for(student, course):
    """The student's pending or unconsumed completed payment for the course, or None."""
    return (
        Payment.objects.filter(LIVE_PAYMENT, student=student, course=course)
        .select_related("reviewed_by")
        .order_by("-created_at")
        .first()
    )


def latest_payment_for(student, course):
    return (
        Payment.objects.filter(student=student, course=course)
        .order_by("-created_at")
        .first()
    )


def _reference_for_attempt(student, course, attempt):
    message = f"{student.pk}:{course.pk}:{attempt}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return "VI" + base64.b32encode(digest).decode()[:8]


def payment_reference(student, course):
    """The note the student puts in the UPI payment, e.g. "VI7KQ2M4XA".

    Derived, not stored, so it stays the same across reloads until the payment is
    submitted; the next attempt (after a rejection) gets the next reference.
    """
    attempt = Payment.objects.filter(student=student, course=course).count()
    for offset in range(5):
        reference = _reference_for_attempt(student, course, attempt + offset)
        # Skips a reference freed and reused after a payment was deleted.
        if not Payment.objects.filter(reference=reference).exists():
            return reference
    return reference


def upi_uri(amount, reference):
    params = {
        "pa": settings.UPI_PAYEE_VPA,
        "pn": settings.UPI_PAYEE_NAME,
        "am": f"{Decimal(amount):.2f}",
        "cu": "INR",
        "tn": reference,
    }
    return "upi://pay?" + urlencode(params, quote_via=quote)


def qr_svg(data, title="UPI payment QR code"):
    """An inline SVG QR code. segno writes presentation attributes, no style=""."""
    qr = segno.make(data, error="m")
    svg = qr.svg_inline(scale=1, omitsize=True, title=title, dark="#000", light="#fff")
    return mark_safe(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))  # noqa: S308


def submit_payment(student, course, utr, screenshot):
    """Save a pending payment with its cleaned proof image, or raise PaymentRefused.

    The row is inserted before the file is written, inside one transaction, so a
    constraint violation (a second live payment, a reused UTR or reference) leaves
    no file; if the file write or the commit fails, the file is removed.
    """
    if not course.is_active:
        raise PaymentRefused(
            "This course is not taking payments at the moment.", code="inactive"
        )
    if live_payment_for(student, course) is not None:
        raise PaymentRefused(
            "You already have a payment for this course; nothing new was saved.",
            code="already_paid",
        )
    name = unguessable_name("proofs", screenshot.extension)
    storage = private_storage()
    payment = Payment(
        student=student,
        course=course,
        amount=course.fee,
        reference=payment_reference(student, course),
        utr=utr,
        proof=name,
        proof_sha256=screenshot.sha256,
        proof_phash=fraud.proof_phash(screenshot.content),
    )
    payment.similar_proofs = fraud.similar_earlier_payments(payment.proof_phash)
    files = {"proof": (name, screenshot.content)}
    if screenshot.thumbnail:
        thumbnail_name = unguessable_name("proofs", "thumb.webp")
        payment.proof_thumbnail = thumbnail_name
        files["proof_thumbnail"] = (thumbnail_name, screenshot.thumbnail)
    written = []
    try:
        with atomic():
            payment.save()
            renamed = []
            for field, (wanted, content) in files.items():
                written.append(storage.save(wanted, ContentFile(content)))
                if written[-1] != wanted:
                    getattr(payment, field).name = written[-1]
                    renamed.append(field)
            if renamed:
                payment.save(update_fields=renamed)
            _after_submit(payment)
    except IntegrityError:
        _delete_all(storage, written)
        raise _explain_integrity_error(student, course, utr) from None
    except BaseException:
        _delete_all(storage, written)
        raise
    return payment


def _delete_all(storage, names):
    for name in names:
        storage.delete(name)


def _after_submit(payment):
    # Issue 17: match against the statements already imported, and read the
    # screenshot in the worker once the payment is committed.
    from payments import reconcile, tasks

    reconcile.match_payment(payment)
    on_commit(lambda: tasks.read_proof_text(payment.pk))


def _explain_integrity_error(student, course, utr):
    # Another tab or a double click got there first; say which rule it broke.
    if live_payment_for(student, course) is not None:
        return PaymentRefused(
            "You already have a payment for this course; nothing new was saved.",
            code="already_paid",
        )
    if Payment.objects.filter(utr=utr).exists():
        return PaymentRefused(
            "This UTR has already been used for a payment.", field="utr", code="utr"
        )
    return PaymentRefused(
        "Your payment reference clashed with another one. Reload the page and check "
        "the reference before paying again.",
        code="reference",
    )


def duplicate_proofs(payment):
    """Other payments whose proof is the same image."""
    return (
        Payment.objects.filter(proof_sha256=payment.proof_sha256)
        .exclude(pk=payment.pk)
        .select_related("student", "course")
        .order_by("created_at")
    )


def approve_payment(payment, by, remarks=""):
    """Approve through the model's one transition; tell the student if it won."""
    with atomic():  # the decision and its email record, together
        won = payment.approve(by, remarks)
        if won:
            notifications.send_approved(payment)
    return won


def reject_payment(payment, by, remarks):
    """Reject through the model's one transition; tell the student if it won."""
    with atomic():  # the decision and its email record, together
        won = payment.reject(by, remarks)
        if won:
            notifications.send_rejected(payment)
    return won
