"""Scale data for the benchmarks: N students with a realistic mix of payments,
interview requests and reviews, added in bulk (a few queries per batch of 500
students, never one per row, so 10,000 students take seconds).

A tool, not part of the site: `make bench`, bench/analytics.py and the query
count tests use it, after `seed_demo` made the demo courses and the approver.

    .venv/bin/python bench/scale.py 10000 [--with-files] [--seed 7]

(DJANGO_SETTINGS_MODULE and DATABASE_URL as for manage.py.) From Python:
`seed_scale(10000)`.
"""

import argparse
import hashlib
import io
import os
import random
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

if __name__ == "__main__":  # a script: Django is set up before the models load
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.utils import timezone

from interviews.demo import DEMO_APPROVER
from interviews.models import (
    Answer,
    InterviewCourse,
    InterviewRequest,
    RequestEvent,
    RequestStatus,
    ReviewResult,
)
from payments.models import Payment, PaymentEvent, PaymentStatus
from portal.db import atomic
from portal.storage import private_storage, unguessable_name

# Every scale student shares this password (hashed once: hashing is the slow part).
SCALE_PASSWORD = "scale123"
SCALE_USERNAME_PREFIX = "scale"
SCALE_BATCH_STUDENTS = 500
BULK_BATCH_SIZE = 1000

# What happens to one (student, course) pair, with its weight in the mix.
SCENARIOS = {
    "payment_pending": 15,
    "payment_rejected": 8,
    "rejected_then_pending": 4,
    "paid_not_requested": 10,
    "request_pending": 18,
    "request_scheduled": 15,
    "request_rejected": 6,
    "interview_reviewed": 18,
    "interview_awaiting_review": 6,
    "interview_missed": 3,
}
PAST_SCENARIOS = ("interview_reviewed", "interview_awaiting_review", "interview_missed")
FIRST_NAMES = [
    "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya",
    "Rahul", "Meera", "Ishaan", "Diya", "Karan", "Nisha", "Aditya", "Pooja",
]  # fmt: skip
LAST_NAMES = [
    "Sharma", "Iyer", "Patel", "Reddy", "Singh", "Nair", "Gupta", "Das",
    "Menon", "Khan", "Joshi", "Rao", "Banerjee", "Verma", "Pillai", "Kulkarni",
]  # fmt: skip
REJECTION_REMARKS = [
    "Amount mismatch.",
    "Wrong payee.",
    "Screenshot unreadable.",
    "UTR not found in the bank statement.",
]
REQUEST_REJECTION_REASONS = [
    "No interviewer is free at that time; please pick another slot.",
    "That day is a holiday; please choose another day.",
]
FEEDBACK = [
    "Clear answers with good examples. Work on a tighter opening.",
    "Good structure. Speak a little slower and look at the camera.",
    "Strong technical depth; practise summarising before details.",
]


# The EBML magic and a WebM header, then filler: enough for the content checks.
SMALL_WEBM = bytes.fromhex(
    "1a45dfa3974286810142f7810142f2810442f381084282847765626d"
) + (b"\0" * 2048)
SMALL_WEBM_BYTES = len(SMALL_WEBM)


@contextmanager
def _explicit_timestamps(*models):
    """Let bulk_create keep the spread-out created/updated times we set: the
    auto_now fields would otherwise stamp every row with the same instant."""
    saved = []
    for model in models:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(
                field, "auto_now_add", False
            ):
                saved.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class ScaleSeeder:
    """Adds scale students in bulk: a few queries per batch of students, never
    one per row, so 10,000 students take seconds."""

    def __init__(self, stdout, rng, with_files=False):
        self.stdout = stdout
        self.rng = rng
        self.with_files = with_files
        self.written = []  # files of the batch in progress
        self.now = timezone.now()
        self.courses = list(InterviewCourse.objects.filter(is_active=True))
        self.questions = {
            course.pk: list(course.questions.order_by("order", "id"))
            for course in self.courses
        }
        self.approver = (
            get_user_model().objects.filter(username=DEMO_APPROVER[0]).first()
        )
        self.password_hash = make_password(SCALE_PASSWORD)
        self.scenarios = list(SCENARIOS)
        self.weights = list(SCENARIOS.values())

    def seed(self, count):
        started = time.monotonic()
        User = get_user_model()
        first = (
            User.objects.filter(username__startswith=SCALE_USERNAME_PREFIX).count() + 1
        )
        totals = {"payments": 0, "requests": 0, "answers": 0}
        for start in range(first, first + count, SCALE_BATCH_STUDENTS):
            stop = min(start + SCALE_BATCH_STUDENTS, first + count)
            self.written = []
            try:
                with atomic():
                    made = self._seed_batch(range(start, stop))
            except BaseException:
                for name in self.written:  # no orphan files for rows not saved
                    private_storage().delete(name)
                raise
            for key in totals:
                totals[key] += made[key]
        self.stdout.write(
            f"scale: {count} students ({SCALE_USERNAME_PREFIX}{first:06d}.."
            f"{SCALE_USERNAME_PREFIX}{first + count - 1:06d}, password "
            f"{SCALE_PASSWORD}), {totals['payments']} payments, "
            f"{totals['requests']} interview requests, {totals['answers']} "
            f"answers in {time.monotonic() - started:.1f}s\n"
        )

    def _ago(self, max_days, min_days=0):
        seconds = self.rng.randint(int(min_days * 86400), int(max_days * 86400))
        return self.now - timedelta(seconds=seconds)

    def _seed_batch(self, numbers):
        User = get_user_model()
        students = [
            User(
                username=f"{SCALE_USERNAME_PREFIX}{number:06d}",
                email=f"{SCALE_USERNAME_PREFIX}{number:06d}@example.com",
                full_name=(
                    f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
                ),
                password=self.password_hash,
                date_joined=self._ago(180, 100),
                email_verified_at=self.now,
            )
            for number in numbers
        ]
        User.objects.bulk_create(students, batch_size=BULK_BATCH_SIZE)
        payments, requests, plans = [], [], []
        for number, student in zip(numbers, students, strict=True):
            picked = self.rng.sample(
                self.courses, self.rng.randint(1, len(self.courses))
            )
            for slot, course in enumerate(picked):
                scenario = self.rng.choices(self.scenarios, self.weights)[0]
                sequence = number * 16 + slot * 2
                plans.append(
                    self._plan(student, course, scenario, sequence, payments, requests)
                )
        stamped = (Payment, InterviewRequest, Answer, PaymentEvent, RequestEvent)
        with _explicit_timestamps(*stamped):
            for payment in payments:
                payment.sync_is_live()  # bulk_create does not call save()
            Payment.objects.bulk_create(payments, batch_size=BULK_BATCH_SIZE)
            for request in requests:
                request.payment_id = request.payment.pk
            InterviewRequest.objects.bulk_create(requests, batch_size=BULK_BATCH_SIZE)
            answers = [
                answer for request in requests for answer in self._answers(request)
            ]
            Answer.objects.bulk_create(answers, batch_size=BULK_BATCH_SIZE)
            PaymentEvent.objects.bulk_create(
                self._payment_events(payments), batch_size=BULK_BATCH_SIZE
            )
            RequestEvent.objects.bulk_create(
                self._request_events(requests), batch_size=BULK_BATCH_SIZE
            )
        return {
            "payments": len(payments),
            "requests": len(requests),
            "answers": len(answers),
        }

    def _write(self, folder, extension, content):
        name = private_storage().save(
            unguessable_name(folder, extension), ContentFile(content)
        )
        self.written.append(name)
        return name

    def _proof(self, sequence):
        """(file name, sha256): a real small PNG with --with-files, else only a
        name (no file) and a unique stand-in hash."""
        if not self.with_files:
            return f"proofs/scale-{sequence:09d}.png", f"{sequence:064x}"
        from PIL import Image

        colour = (sequence % 256, sequence // 256 % 256, sequence // 65536 % 256)
        buffer = io.BytesIO()
        Image.new("RGB", (24, 16), colour).save(buffer, format="PNG")
        content = buffer.getvalue()
        return self._write("proofs", "png", content), hashlib.sha256(
            content
        ).hexdigest()

    def _payment(self, student, course, sequence, status, created_at):
        decided = status != PaymentStatus.PENDING_VERIFICATION
        proof, proof_sha256 = self._proof(sequence)
        reviewed_at = created_at + timedelta(hours=self.rng.randint(1, 30))
        return Payment(
            public_id=uuid.uuid4(),
            reference=f"SCALE{sequence:09d}",
            student=student,
            course=course,
            amount=course.fee,
            utr=f"{700000000000 + sequence:012d}",
            proof=proof,
            proof_sha256=proof_sha256,
            status=status,
            remarks=(
                self.rng.choice(REJECTION_REMARKS)
                if status == PaymentStatus.REJECTED
                else ""
            ),
            reviewed_by=self.approver if decided else None,
            reviewed_at=reviewed_at if decided else None,
            created_at=created_at,
            updated_at=reviewed_at if decided else created_at,
        )

    def _plan(self, student, course, scenario, sequence, payments, requests):
        if scenario in ("payment_rejected", "rejected_then_pending"):
            payments.append(
                self._payment(
                    student, course, sequence, PaymentStatus.REJECTED, self._ago(90, 20)
                )
            )
            if scenario == "payment_rejected":
                return scenario
            sequence += 1
        if scenario in ("payment_pending", "rejected_then_pending"):
            payments.append(
                self._payment(
                    student,
                    course,
                    sequence,
                    PaymentStatus.PENDING_VERIFICATION,
                    self._ago(10),
                )
            )
            return scenario
        # Completed interviews lie in the past; open requests look ahead.
        past = scenario in PAST_SCENARIOS
        paid_at = self._ago(120, 30) if past else self._ago(60, 12)
        payment = self._payment(
            student, course, sequence, PaymentStatus.COMPLETED, paid_at
        )
        payments.append(payment)
        if scenario == "paid_not_requested":
            return scenario
        if past:
            asked_at = payment.reviewed_at + timedelta(hours=self.rng.randint(1, 48))
            preferred = asked_at + timedelta(days=self.rng.randint(1, 20))
        else:
            asked_at = self._ago(5)
            preferred = self.now + timedelta(days=self.rng.randint(1, 30))
        preferred = preferred.replace(
            hour=self.rng.randint(4, 13), minute=0, second=0, microsecond=0
        )
        request = InterviewRequest(
            public_id=uuid.uuid4(),
            student=student,
            course=course,
            payment=payment,
            preferred_at=preferred,
            notes=self.rng.choice(["", "", "Evenings suit me better."]),
            created_at=asked_at,
            updated_at=asked_at,
        )
        requests.append(request)
        decided_at = asked_at + timedelta(hours=self.rng.randint(1, 24))
        if scenario == "request_pending":
            return scenario
        request.decided_by = self.approver
        request.decided_at = decided_at
        request.updated_at = decided_at
        if scenario == "request_rejected":
            request.status = RequestStatus.REJECTED
            request.rejection_reason = self.rng.choice(REQUEST_REJECTION_REASONS)
            return scenario
        if scenario == "request_scheduled":
            request.status = RequestStatus.SCHEDULED
            request.scheduled_at = preferred
            return scenario
        request.scheduled_at = preferred
        if scenario == "interview_missed":  # the payment stays used
            request.status = RequestStatus.MISSED
            request.updated_at = preferred + course.duration
            return scenario
        # A completed interview uses up its payment; most are reviewed already.
        request.status = RequestStatus.COMPLETED
        request.consent_given_at = preferred
        request.completed_at = preferred + course.duration
        request.updated_at = request.completed_at
        payment.consumed_at = request.completed_at
        if scenario == "interview_awaiting_review":
            return scenario
        request.overall_rating = self.rng.randint(2, 5)
        request.result = self.rng.choice(ReviewResult.values)
        request.feedback = self.rng.choice(FEEDBACK)
        request.reviewed_by = self.approver
        request.reviewed_at = request.completed_at + timedelta(days=1)
        request.updated_at = request.reviewed_at
        return scenario

    def _answers(self, request):
        if request.status != RequestStatus.COMPLETED:
            return []
        reviewed = request.reviewed_at is not None
        return [
            Answer(
                public_id=uuid.uuid4(),
                request=request,
                question=question,
                file=self._recording(request, position),
                content_type="video/webm",
                size=SMALL_WEBM_BYTES
                if self.with_files
                else self.rng.randint(2, 30) * 1024 * 1024,
                duration_seconds=float(
                    self.rng.randint(20, question.max_answer_seconds)
                ),
                rating=self.rng.randint(1, 5) if reviewed else None,
                comment=self.rng.choice(["", "Good eye contact.", "Too long."])
                if reviewed
                else "",
                created_at=request.scheduled_at + timedelta(minutes=position * 3),
            )
            for position, question in enumerate(self.questions[request.course_id], 1)
        ]

    def _recording(self, request, position):
        if not self.with_files:
            return f"answers/scale-{request.public_id.hex}-{position}.webm"
        return self._write("answers", "webm", SMALL_WEBM)

    def _payment_events(self, payments):
        return [
            PaymentEvent(
                payment=payment,
                actor=self.approver,
                from_status=PaymentStatus.PENDING_VERIFICATION,
                to_status=payment.status,
                remarks=payment.remarks,
                created_at=payment.reviewed_at,
            )
            for payment in payments
            if payment.status != PaymentStatus.PENDING_VERIFICATION
        ]

    def _request_events(self, requests):
        events = []
        for request in requests:
            if request.status == RequestStatus.PENDING:
                continue
            first = (
                RequestStatus.REJECTED
                if request.status == RequestStatus.REJECTED
                else RequestStatus.SCHEDULED
            )
            events.append(
                RequestEvent(
                    request=request,
                    actor=self.approver,
                    from_status=RequestStatus.PENDING,
                    to_status=first,
                    created_at=request.decided_at,
                )
            )
            if request.status in (RequestStatus.COMPLETED, RequestStatus.MISSED):
                events.append(
                    RequestEvent(
                        request=request,
                        from_status=RequestStatus.SCHEDULED,
                        to_status=request.status,
                        created_at=request.updated_at,
                    )
                )
        return events


def seed_scale(count, seed=7, with_files=False, stdout=None):
    """Add `count` scale students (the demo courses must exist: seed_demo)."""
    if count < 0:
        raise ValueError("The scale must be zero or more.")
    if count:
        ScaleSeeder(stdout or sys.stdout, random.Random(seed), with_files).seed(count)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help=f"students to add ({SCALE_PASSWORD})")
    parser.add_argument(
        "--with-files",
        action="store_true",
        help="also write a small real proof image for every payment and a small "
        "recording for every answer",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the mix")
    options = parser.parse_args(argv)
    seed_scale(options.count, options.seed, options.with_files)


if __name__ == "__main__":
    main()
