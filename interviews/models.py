import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone

from portal.caching import CommittedCache
from portal.storage import delete_file_on_commit, private_storage

# The active courses with their question counts, shown on every student page,
# kept in the shared cache; saving or deleting a course or a question refreshes
# it when the transaction commits (portal/caching.py).
CATALOGUE_CACHE_SECONDS = 60 * 60

# Sent, inside its transaction, when a transition changes an interview request
# (post_save does not fire for conditional UPDATEs), with request=<the request>.
request_changed = Signal()


class InterviewCourse(models.Model):
    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    fee = models.DecimalField(
        "fee (INR)",
        max_digits=8,
        decimal_places=2,
        default=Decimal("200.00"),
        validators=[MinValueValidator(Decimal("1.00"))],
    )
    duration_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    is_active = models.BooleanField("active", default=True)
    display_order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_order", "title"]
        indexes = [models.Index(fields=["is_active", "display_order", "title"])]
        # The owner's analytics page (interviews/analytics_views.py); not given
        # to the Approvers group.
        permissions = [("view_analytics", "Can view the analytics page")]

    def __str__(self):
        return self.title

    @property
    def duration(self):
        return timedelta(minutes=self.duration_minutes)

    @classmethod
    def catalogue(cls):
        """The active courses in display order, each with its question_count."""
        return catalogue.get()


class InterviewQuestion(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        InterviewCourse, on_delete=models.CASCADE, related_name="questions"
    )
    text = models.TextField()
    order = models.PositiveSmallIntegerField(default=0)
    preparation_seconds = models.PositiveSmallIntegerField(
        default=30, validators=[MaxValueValidator(600)]
    )
    max_answer_seconds = models.PositiveSmallIntegerField(
        default=120, validators=[MinValueValidator(10), MaxValueValidator(1800)]
    )

    class Meta:
        ordering = ["course", "order", "id"]

    def __str__(self):
        return self.text[:60]


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SCHEDULED = "scheduled", "Scheduled"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    MISSED = "missed", "Missed"


OPEN_REQUEST_STATUSES = [RequestStatus.PENDING, RequestStatus.SCHEDULED]
# A request in one of these states uses up its payment.
PAYMENT_USING_STATUSES = [
    RequestStatus.PENDING,
    RequestStatus.SCHEDULED,
    RequestStatus.COMPLETED,
    RequestStatus.MISSED,
]


class ReviewResult(models.TextChoices):
    PASS = "pass", "Pass"
    NEEDS_WORK = "needs_work", "Needs work"


class InterviewRequest(models.Model):
    """A student's request for an interview slot, and then the interview itself."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="interview_requests",
    )
    course = models.ForeignKey(
        InterviewCourse, on_delete=models.PROTECT, related_name="interview_requests"
    )
    payment = models.ForeignKey(
        # RESTRICT, not PROTECT: a payment in use cannot be deleted on its own, but
        # deleting the student deletes their payments and interviews together.
        "payments.Payment",
        on_delete=models.RESTRICT,
        related_name="interview_requests",
    )
    preferred_at = models.DateTimeField("preferred time")
    notes = models.TextField(max_length=1000, blank=True)
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    message_to_student = models.TextField(max_length=1000, blank=True)
    rejection_reason = models.TextField(max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    consent_given_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The review of a completed interview.
    overall_rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    result = models.CharField(max_length=16, choices=ReviewResult.choices, blank=True)
    feedback = models.TextField(max_length=5000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the review was published to the student (they see nothing before).
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # When the student first opened the published feedback report.
    feedback_read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course"],
                condition=Q(status__in=OPEN_REQUEST_STATUSES),
                name="one_open_request_per_student_course",
                violation_error_message=(
                    "You already have an open interview request for this course."
                ),
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status__in=PAYMENT_USING_STATUSES),
                name="one_interview_per_payment",
                violation_error_message="This payment has already been used.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "scheduled_at"]),
            models.Index(fields=["student", "course", "created_at"]),
            # The review queue (not yet reviewed, oldest first) and its count.
            models.Index(fields=["status", "reviewed_at", "completed_at"]),
            # Decisions and published reviews in a period (the analytics page's
            # turnaround), covering: those queries read the index alone.
            models.Index(
                fields=["decided_at", "created_at", "decided_by", "course"],
                name="request_decisions_idx",
            ),
            models.Index(
                fields=["reviewed_at", "completed_at", "reviewed_by", "course"],
                name="request_reviews_idx",
            ),
        ]

    def __str__(self):
        return f"{self.course} for {self.student}"

    @property
    def ends_at(self):
        if self.scheduled_at is None:
            return None
        return self.scheduled_at + self.course.duration

    @property
    def room_opens_at(self):
        if self.scheduled_at is None:
            return None
        early = timedelta(minutes=settings.INTERVIEW_EARLY_ENTRY_MINUTES)
        return self.scheduled_at - early

    @property
    def room_closes_at(self):
        if self.scheduled_at is None:
            return None
        grace = timedelta(minutes=settings.INTERVIEW_GRACE_MINUTES)
        return self.ends_at + grace

    def _transition(self, from_statuses, to_status, by=None, note="", **fields):
        """Move to `to_status` if the row is still in one of `from_statuses`.

        One conditional UPDATE inside a transaction, plus an audit entry when it
        wins. Returns whether this call made the change; concurrent callers lose.
        Every status change of a request goes through here.
        """
        previous = self.status if self.status in from_statuses else from_statuses[0]
        now = timezone.now()
        with transaction.atomic():
            won = InterviewRequest.objects.filter(
                pk=self.pk, status__in=from_statuses
            ).update(status=to_status, updated_at=now, **fields)
            if won:
                RequestEvent.objects.create(
                    request=self,
                    actor=by,
                    from_status=previous,
                    to_status=to_status,
                    note=note,
                )
                request_changed.send(sender=InterviewRequest, request=self)
        self.refresh_from_db()
        return bool(won)

    def room_is_open(self, now=None):
        """The interview room is open from a little before the start until the end
        of the interview's duration plus a grace period."""
        if self.status != RequestStatus.SCHEDULED or self.scheduled_at is None:
            return False
        now = now or timezone.now()
        return self.room_opens_at <= now < self.room_closes_at

    # ---- Scheduling: approvers decide, students cancel (issue 4) ----

    def schedule(self, by, at, message=""):
        """Approve a pending request for the time `at` and email the student an
        invite. Returns whether this call made the decision."""
        won = self._transition(
            [RequestStatus.PENDING],
            RequestStatus.SCHEDULED,
            by=by,
            note=message.strip() or "Scheduled.",
            scheduled_at=at,
            decided_by=by,
            decided_at=timezone.now(),
            message_to_student=message.strip(),
        )
        if won:
            from interviews import notifications

            notifications.send_scheduled(self)
        return won

    def reject(self, by, reason):
        """Turn down a pending request with a reason the student will read. The
        payment then pays for a new request."""
        if not reason.strip():
            raise ValueError("Rejecting a request requires a reason.")
        won = self._transition(
            [RequestStatus.PENDING],
            RequestStatus.REJECTED,
            by=by,
            note=reason.strip(),
            rejection_reason=reason.strip(),
            decided_by=by,
            decided_at=timezone.now(),
        )
        if won:
            from interviews import notifications

            notifications.send_rejected(self)
        return won

    @property
    def cancel_deadline(self):
        """A scheduled interview can be cancelled until this moment."""
        if self.scheduled_at is None:
            return None
        cutoff = timedelta(hours=settings.INTERVIEW_CANCEL_CUTOFF_HOURS)
        return self.scheduled_at - cutoff

    def can_cancel(self, now=None):
        now = now or timezone.now()
        if self.status == RequestStatus.PENDING:
            return True
        if self.status == RequestStatus.SCHEDULED:
            return now <= self.cancel_deadline
        return False

    def cancel(self, by, now=None):
        """The student withdraws a pending request, or a scheduled interview up to
        the cut-off. The payment then pays for a new request."""
        self.refresh_from_db()
        if not self.can_cancel(now):
            return False
        # A scheduled time never changes while the status stays SCHEDULED, so
        # conditioning the update on the status alone keeps the cut-off exact.
        won = self._transition(
            [self.status],
            RequestStatus.CANCELLED,
            by=by,
            note="Cancelled by the student.",
            cancelled_at=timezone.now(),
        )
        if won:
            from interviews import notifications

            notifications.send_cancelled(self)
        return won

    # ---- The interview room: completion, missed interviews, reopening ----

    def unanswered_questions(self):
        answered = Answer.objects.filter(request=self).values("question_id")
        return self.course.questions.exclude(pk__in=answered)

    def all_questions_answered(self):
        return not self.unanswered_questions().exists()

    def complete(self):
        """Every question has an answer: the interview is completed and its payment
        used up. Returns whether this call made the change.

        Also from MISSED: an answer accepted inside the window may finish uploading
        after the missed-interview command ran; a fully answered interview is done.
        """
        if not self.all_questions_answered():
            return False
        # One transaction: a completed interview always has a consumed payment.
        with transaction.atomic():
            won = self._transition(
                [RequestStatus.SCHEDULED, RequestStatus.MISSED],
                RequestStatus.COMPLETED,
                note="Every question answered.",
                completed_at=timezone.now(),
            )
            if won:
                self.payment.mark_consumed()
        return won

    def mark_missed(self, now=None):
        """The room has closed with questions unanswered: a no-show."""
        now = now or timezone.now()
        self.refresh_from_db()  # a reopen may have moved the window since loading
        if self.status != RequestStatus.SCHEDULED or self.room_closes_at is None:
            return False
        if now < self.room_closes_at or self.all_questions_answered():
            return False
        return self._transition(
            [RequestStatus.SCHEDULED],
            RequestStatus.MISSED,
            note="The room closed with questions unanswered.",
        )

    def reopen(self, by, at, note=""):
        """Give a student who missed the interview a new window starting `at`,
        and email them. Answers already uploaded are kept."""
        from portal.emails import send_on_commit

        with transaction.atomic():
            won = self._transition(
                [RequestStatus.MISSED],
                RequestStatus.SCHEDULED,
                by=by,
                note=note or "Reopened with a new time.",
                scheduled_at=at,
                reminder_sent_at=None,
            )
            if won:
                send_on_commit(
                    "interview_reopened",
                    {"interview": self, "student": self.student},
                    [self.student.email],
                )
        return won


class InterviewToReview(InterviewRequest):
    """The approvers' queue of completed interviews (a proxy: same table)."""

    class Meta:
        proxy = True
        verbose_name = "interview to review"
        verbose_name_plural = "interviews to review"


class MissedInterview(InterviewRequest):
    """Approvers' list of no-shows, where a new window can be opened (a proxy)."""

    class Meta:
        proxy = True
        verbose_name = "missed interview"
        verbose_name_plural = "missed interviews"


class RequestEvent(models.Model):
    """The audit trail of an interview request: who changed what, when and why."""

    request = models.ForeignKey(
        InterviewRequest, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(max_length=16, choices=RequestStatus.choices)
    to_status = models.CharField(max_length=16, choices=RequestStatus.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.from_status} -> {self.to_status}"


class Answer(models.Model):
    """One recorded answer to one question of an interview."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(
        InterviewRequest, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        InterviewQuestion, on_delete=models.PROTECT, related_name="answers"
    )
    file = models.FileField(storage=private_storage, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question__order", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "question"], name="one_answer_per_question"
            )
        ]

    def __str__(self):
        return f"Answer to {self.question}"


@receiver(post_delete, sender=Answer)
def _delete_answer_file(sender, instance, **kwargs):
    delete_file_on_commit(instance.file)


def _load_catalogue(_ident):  # one catalogue: no identifier
    # Meta.ordering is ignored by aggregate queries, so order explicitly.
    return list(
        InterviewCourse.objects.filter(is_active=True)
        .annotate(question_count=Count("questions"))
        .order_by("display_order", "title")
    )


catalogue = CommittedCache(
    "interviews:catalogue", _load_catalogue, CATALOGUE_CACHE_SECONDS
)


@receiver(post_save, sender=InterviewCourse)
@receiver(post_delete, sender=InterviewCourse)
@receiver(post_save, sender=InterviewQuestion)
@receiver(post_delete, sender=InterviewQuestion)
def _refresh_catalogue(sender, **kwargs):
    catalogue.refresh()
