"""A student's rights over their data (India's DPDP Act 2023): download
everything we hold about them, and delete their account.

It lives in `interviews` because it spans every app (accounts imports none).

Deleting keeps only what the law makes us keep for accounting: each payment's
amount, date, UTR, reference, course and status, pointing at the user row turned
into a tombstone ("deleted student", no name, email, phone or password). Proof
images, recordings, interview requests, answers, reviews, sessions and second
factors are removed. Staff cannot delete themselves here: their name is on the
decisions they took (the audit trail), so an administrator removes the role
first.
"""

import json
import logging
import shutil
import tempfile
import zipfile
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import DeleteAccountForm
from interviews import chunks
from interviews.models import Answer, InterviewRequest
from payments.models import Payment, PaymentEvent
from portal.db import atomic, on_commit
from portal.ratelimit import ratelimit
from portal.storage import private_storage

logger = logging.getLogger(__name__)

KEPT_FOR_ACCOUNTING = (
    "For each payment: the amount, the date, the UTR, the reference, the course "
    "and whether it was approved. The law requires us to keep payment records for "
    "accounting; they no longer carry your name, email, phone or screenshot."
)


def may_delete_themselves(user):
    return not (user.is_staff or user.is_superuser)


# ---- download my data ------------------------------------------------------


def _extension(name):
    return name.rsplit(".", 1)[-1].lower() if "." in name else "bin"


def _published(interview):
    return interview.reviewed_at is not None


def export_data(user):
    """(the data.json dict, [(name in the zip, stored file name)])."""
    files = []
    payments = []
    for payment in (
        Payment.objects.filter(student=user)
        .select_related("course")
        .prefetch_related("events")
        .order_by("created_at")
    ):
        proof = ""
        if payment.proof:
            proof = f"proofs/{payment.reference}.{_extension(payment.proof.name)}"
            files.append((proof, payment.proof.name, None))
        payments.append(
            {
                "reference": payment.reference,
                "course": payment.course.title,
                "amount": payment.amount,
                "utr": payment.utr,
                "status": payment.status,
                "remarks": payment.remarks,
                "submitted_at": payment.created_at,
                "reviewed_at": payment.reviewed_at,
                "used_at": payment.consumed_at,
                "proof_file": proof,
                "events": [
                    {
                        "from": event.from_status,
                        "to": event.to_status,
                        "remarks": event.remarks,
                        "at": event.created_at,
                    }
                    for event in payment.events.all()
                ],
            }
        )
    interviews = []
    for interview in (
        InterviewRequest.objects.filter(student=user)
        .select_related("course", "payment")
        .prefetch_related("events", "answers__question")
        .order_by("created_at")
    ):
        published = _published(interview)
        answers = []
        for number, answer in enumerate(interview.answers.all(), start=1):
            recording = ""
            if answer.file:
                recording = (
                    f"recordings/{interview.course.slug}-{interview.public_id}-"
                    f"{number}.{_extension(answer.file.name)}"
                )
                # A take not yet sealed may still be its parts (on S3): the
                # export copies what the server holds of it.
                held = None if answer.is_sealed else answer.bytes_received
                files.append((recording, answer.file.name, held))
            answers.append(
                {
                    "question": answer.question.text,
                    "recorded_at": answer.created_at,
                    "content_type": answer.content_type,
                    "size_bytes": answer.size,
                    "duration_seconds": answer.duration_seconds,
                    "recording_file": recording,
                    "rating": answer.rating if published else None,
                    "comment": answer.comment if published else "",
                }
            )
        interviews.append(
            {
                "course": interview.course.title,
                "payment": interview.payment.reference,
                "status": interview.status,
                "preferred_at": interview.preferred_at,
                "notes": interview.notes,
                "scheduled_at": interview.scheduled_at,
                "message_to_student": interview.message_to_student,
                "rejection_reason": interview.rejection_reason,
                "cancelled_at": interview.cancelled_at,
                "consent_given_at": interview.consent_given_at,
                "completed_at": interview.completed_at,
                # A review is the student's once it is published to them.
                "review": {
                    "published_at": interview.reviewed_at,
                    "overall_rating": interview.overall_rating,
                    "result": interview.result,
                    "feedback": interview.feedback,
                }
                if published
                else None,
                "events": [
                    {
                        "from": event.from_status,
                        "to": event.to_status,
                        "note": event.note,
                        "at": event.created_at,
                    }
                    for event in interview.events.all()
                ],
                "answers": answers,
            }
        )
    data = {
        "exported_at": timezone.now(),
        "profile": {
            "username": user.username,
            "full_name": user.full_name,
            "email": user.email,
            "email_verified_at": user.email_verified_at,
            "phone": user.phone,
            "joined_at": user.date_joined,
            "last_login": user.last_login,
        },
        "payments": payments,
        "interview_requests": interviews,
    }
    return data, files


def write_export(user, out):
    """Write the zip to the binary file `out`, copying each stored file through
    in chunks (memory stays small whatever the recordings weigh)."""
    data, files = export_data(user)
    storage = private_storage()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2))
        for arcname, stored, held in files:
            # Stored, not deflated: images and videos are compressed already.
            entry = zipfile.ZipInfo(arcname, timezone.localtime().timetuple()[:6])
            entry.compress_type = zipfile.ZIP_STORED
            if held is not None and chunks.has_parts(stored):
                with archive.open(entry, "w", force_zip64=True) as target:
                    chunks.copy_received(stored, held, target)
                continue
            try:
                source = storage.open(stored, "rb")
            except FileNotFoundError:
                logger.warning("export: %s is missing, left out", stored)
                continue
            with source, archive.open(entry, "w", force_zip64=True) as target:
                shutil.copyfileobj(source, target, 1024 * 1024)


# ---- delete my account -----------------------------------------------------


def _end_all_sessions(user):
    """Every session of the user, in the database and in the cache."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            store(session.session_key).delete()
            ended += 1
    return ended


def delete_account(user):
    """Erase the student's data; keep their payments anonymised. Files go once
    the transaction commits (a failure leaves orphans `check_media --fix` finds)."""
    if not may_delete_themselves(user):
        raise PermissionError("Staff cannot delete their own account here.")
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    storage = private_storage()
    with atomic():
        names = list(
            Answer.objects.filter(request__student=user)
            .exclude(file="")
            .values_list("file", flat=True)
        )
        payments = Payment.objects.filter(student=user)
        names += list(payments.exclude(proof="").values_list("proof", flat=True))
        names += list(
            payments.exclude(proof_thumbnail="").values_list(
                "proof_thumbnail", flat=True
            )
        )
        # In-progress requests go too: nobody is left to interview.
        InterviewRequest.objects.filter(student=user).delete()
        # By key, not through a join: MongoDB updates one collection at a time.
        paid = list(payments.values_list("pk", flat=True))
        PaymentEvent.objects.filter(payment__in=paid).update(remarks="")
        # The image's hash stays: it identifies no one, and still flags the
        # same screenshot if it is ever sent again.
        payments.update(
            proof="", proof_thumbnail="", remarks="", updated_at=timezone.now()
        )
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        sessions = _end_all_sessions(user)
        user.make_tombstone()

        def remove_files():
            for name in names:
                try:
                    storage.delete(name)
                except OSError:
                    logger.exception("account deletion: could not remove %s", name)

        on_commit(remove_files)
    logger.info(
        "account %s deleted: %d files, %d sessions", user.pk, len(names), sessions
    )


# ---- the Account page ------------------------------------------------------


@login_required
@require_GET
def account(request):
    return render(
        request,
        "accounts/account.html",
        {
            "form": DeleteAccountForm(request.user),
            "may_delete": may_delete_themselves(request.user),
            "kept_for_accounting": KEPT_FOR_ACCOUNTING,
        },
    )


@login_required
@require_GET
@ratelimit(
    key="user",
    rate="RATELIMIT_DATA_EXPORT",
    name="data-export",
    methods=("GET",),
    message="You have downloaded your data several times in a short while.",
)
def export(request):
    # On disk, not in memory; FileResponse closes (and so removes) it when sent.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    write_export(request.user, out)
    out.seek(0)
    day = timezone.localdate()
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"my-data-{day:%Y-%m-%d}.zip",
        content_type="application/zip",
    )


@login_required
@require_POST
@sensitive_post_parameters("password")
def delete(request):
    user = request.user
    if not may_delete_themselves(user):
        messages.error(
            request,
            "Staff cannot delete their own account: your name is on the decisions "
            "you took. Ask an administrator to remove your role first.",
        )
        return redirect("interviews:account")
    form = DeleteAccountForm(user, request, request.POST)
    if not form.is_valid():
        return render(
            request,
            "accounts/account.html",
            {
                "form": form,
                "may_delete": True,
                "kept_for_accounting": KEPT_FOR_ACCOUNTING,
            },
            status=400,
        )
    delete_account(user)
    logout(request)
    messages.success(
        request,
        "Your account and your data are deleted. We keep only the anonymised "
        "payment records the law requires.",
    )
    return redirect("accounts:login")
