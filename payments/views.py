from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import is_approver
from payments import services
from payments.forms import PaymentProofForm
from payments.models import Payment, PaymentStatus
from portal.http import private_file_response
from portal.ratelimit import ratelimit

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
STATUS_MESSAGES = {
    PaymentStatus.PENDING_VERIFICATION: (
        "An approver is checking your payment. This page updates by itself."
    ),
    PaymentStatus.COMPLETED: (
        "Your payment is verified. You can now request an interview slot."
    ),
    PaymentStatus.REJECTED: (
        "Your payment was not accepted. Read the remarks below; you may pay again."
    ),
}

USED_MESSAGE = "This payment paid for an interview that is done."


def _get_course(slug):
    # Imported lazily: payments refers to courses only through the FK's string.
    course_model = Payment._meta.get_field("course").related_model
    return get_object_or_404(course_model, slug=slug)


def _get_payment_for_user(request, public_id, allow_approvers=False):
    """The payment if the user owns it (or, where allowed, approves payments)."""
    payment = get_object_or_404(
        Payment.objects.select_related("course", "student", "reviewed_by"),
        public_id=public_id,
    )
    user = request.user
    if payment.student_id == user.pk and user.is_authenticated:
        return payment
    if allow_approvers and is_approver(user):
        return payment
    raise Http404("No such payment.")


def _status_context(payment):
    used = payment.consumed_at is not None
    return {
        "payment": payment,
        "badge": payment.badge,
        "status_message": USED_MESSAGE if used else STATUS_MESSAGES[payment.status],
        "status_url": reverse("payments:status", args=[payment.public_id]),
    }


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(
    key="user",
    rate="RATELIMIT_PAYMENT",
    name="payment",
    message="You have submitted payments too many times in a short while.",
)
def pay(request, slug):
    course = _get_course(slug)
    live = services.live_payment_for(request.user, course)
    context = {"course": course}
    if live is not None:
        if request.method == "POST":
            messages.warning(
                request,
                "You already have a payment for this course, so this second "
                "submission was not saved.",
            )
            return redirect("payments:pay", slug=course.slug)
        context.update(_status_context(live), live=live, show_detail_link=True)
        return render(request, "payments/pay.html", context)
    if not request.user.is_email_verified:
        # Every decision reaches the student by email: verify it first.
        if request.method == "POST":
            messages.error(
                request, "Verify your email before you pay; nothing was saved."
            )
        return render(request, "payments/pay.html", {**context, "unverified": True})
    if not course.is_active:
        if request.method == "POST":
            messages.error(
                request,
                "This course is not taking payments at the moment; nothing was saved.",
            )
        return render(request, "payments/pay.html", {**context, "inactive": True})

    form = PaymentProofForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.submit_payment(
                request.user,
                course,
                form.cleaned_data["utr"],
                form.cleaned_data["screenshot"],
            )
        except services.PaymentRefused as refusal:
            if refusal.code == "already_paid":
                messages.warning(request, refusal.message)
                return redirect("payments:pay", slug=course.slug)
            form.add_error(refusal.field, refusal.message)
        else:
            messages.success(
                request,
                f"Thank you. Your payment {payment.reference} is pending "
                "verification; we will email you when it is checked.",
            )
            return redirect("payments:payment", public_id=payment.public_id)

    reference = services.payment_reference(request.user, course)
    uri = services.upi_uri(course.fee, reference)
    context.update(
        form=form,
        reference=reference,
        upi_uri=uri,
        qr_svg=services.qr_svg(uri),
        payee_vpa=settings.UPI_PAYEE_VPA,
        payee_name=settings.UPI_PAYEE_NAME,
        last_payment=services.latest_payment_for(request.user, course),
    )
    return render(request, "payments/pay.html", context)


@login_required
@require_GET
def payment_detail(request, public_id):
    payment = _get_payment_for_user(request, public_id)
    return render(request, "payments/payment_detail.html", _status_context(payment))


@login_required
@require_GET
def status(request, public_id):
    # Polled every few seconds by every waiting page: one indexed query.
    payment = Payment.status_snapshot(public_id)
    if payment is None or payment["student_id"] != request.user.pk:
        raise Http404("No such payment.")
    current = PaymentStatus(payment["status"])
    reviewed_at = payment["reviewed_at"]
    response = JsonResponse(
        {
            "status": current,
            # The card's words (a decision never makes a payment used).
            "status_label": current.student_label,
            "badge": current.badge,
            "message": STATUS_MESSAGES[current],
            "remarks": payment["remarks"],
            "reviewed_at": reviewed_at.isoformat() if reviewed_at else None,
            "is_final": current != PaymentStatus.PENDING_VERIFICATION,
        }
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def proof(request, public_id):
    payment = _get_payment_for_user(request, public_id, allow_approvers=True)
    # ?thumb=1: the small WebP made at submit, same permission (the queue's).
    proof = payment.proof_thumbnail if request.GET.get("thumb") else payment.proof
    if not proof:  # deleted with the student's account (interviews/privacy.py)
        raise Http404("The proof was deleted with the student's account.")
    extension = proof.name.rsplit(".", 1)[-1].lower()
    if not proof.storage.exists(proof.name):
        raise Http404("The proof file is missing.")
    response = private_file_response(
        request,
        proof.storage,
        proof.name,
        CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
    # Opened on its own, the image runs nothing (nginx sets the same).
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
