import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models
from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.roles import refuse_own_decision
from portal.caching import CommittedCache
from portal.db import atomic
from portal.storage import delete_file_on_commit, private_storage

# The active courses with their question counts, shown on every student page,
# kept in the shared cache; saving or deleting a course or a question refreshes
# it when the transaction commits (portal/caching.py).
CATALOGUE_CACHE_SECONDS = 60 * 60


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
    next_steps = models.TextField(max_length=3000, blank=True)  # issue 16
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
        with atomic():
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
        self.refresh_from_db()
        return bool(won)

    def check_reviewer(self, by):
        """Raise OwnDecisionRefused if `by` would review their own interview."""
        refuse_own_decision(by, self.student, "interview review")

    def room_is_open(self, now=None):
        """The interview room is open from a little before the start until the end
        of the interview's duration plus a grace period."""
        if self.status != RequestStatus.SCHEDULED or self.scheduled_at is None:
            return False
        now = now or timezone.now()
        return self.room_opens_at <= now < self.room_closes_at

    # ---- Scheduling: approvers decide, students cancel (issue 4) ----

    def schedule(self, by, at, message=""):
        """Approve a pending request for the time `at`. Returns whether this
        call made the decision (interviews/services.py then emails the invite)."""
        refuse_own_decision(by, self.student, "interview request")
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
        return won

    def reject(self, by, reason):
        """Turn down a pending request with a reason the student will read. The
        payment then pays for a new request."""
        refuse_own_decision(by, self.student, "interview request")
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
        return won

    # ---- The interview room: completion, missed interviews, reopening ----

    def unanswered_questions(self):
        answered = Answer.objects.filter(SUBMITTED_ANSWER, request=self).values(
            "question_id"
        )
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
        with atomic():
            won = self._transition(
                [RequestStatus.SCHEDULED, RequestStatus.MISSED],
                RequestStatus.COMPLETED,
                note="Every question answered.",
                completed_at=timezone.now(),
            )
            if won:
                self.payment.mark_consumed()
        return won

    def finish(self):
        """The student is done: complete the interview if every answer is
        submitted. Returns whether this call made the change; the caller
        (interviews.uploads.finish_interview) tells the approvers when it won."""
        return self.complete()

    def give_consent(self, now=None):
        """The student accepts the recording terms, inside the window only. Not a
        status change: a timestamp the first accept sets. Returns whether consent
        is now given."""
        now = now or timezone.now()
        if self.consent_given_at is None and self.room_is_open(now):
            InterviewRequest.objects.filter(
                pk=self.pk, consent_given_at__isnull=True
            ).update(consent_given_at=now)
            self.refresh_from_db(fields=["consent_given_at"])
        return self.consent_given_at is not None

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
        """Give a student who missed the interview a new window starting `at`.
        Answers already uploaded are kept."""
        refuse_own_decision(by, self.student, "interview")
        return self._transition(
            [RequestStatus.MISSED],
            RequestStatus.SCHEDULED,
            by=by,
            note=note or "Reopened with a new time.",
            scheduled_at=at,
            reminder_sent_at=None,
        )

    # ---- The published review (issue 16) ----

    @property
    def is_review_published(self):
        return self.reviewed_at is not None

    def save_review_draft(self, by, **fields):
        """Save the reviewer's overall work without showing it to the student.
        Refused (returns False) once the review is published: what the student
        read does not change under them."""
        self.check_reviewer(by)
        allowed = {"overall_rating", "result", "feedback", "next_steps"}
        if not set(fields) <= allowed:
            raise ValueError(f"Not review fields: {set(fields) - allowed}")
        won = InterviewRequest.objects.filter(
            pk=self.pk, status=RequestStatus.COMPLETED, reviewed_at__isnull=True
        ).update(updated_at=timezone.now(), **fields)
        for name, value in fields.items():
            setattr(self, name, value)
        return bool(won)

    def publish_review(self, by):
        """Show the saved review to the student and email them. Once: the first
        of two reviewers publishing at the same time wins, the other gets False.
        Needs the result and the overall rating."""
        self.check_reviewer(by)
        self.refresh_from_db()
        if not self.result or self.overall_rating is None:
            raise ValueError("Choose the result and the overall rating first.")
        now = timezone.now()
        with atomic():
            won = (
                InterviewRequest.objects.filter(
                    pk=self.pk, status=RequestStatus.COMPLETED, reviewed_at__isnull=True
                )
                .exclude(result="")
                .exclude(overall_rating__isnull=True)
                .update(reviewed_at=now, reviewed_by=by, updated_at=now)
            )
            if won:
                RequestEvent.objects.create(
                    request=self,
                    actor=by,
                    from_status=RequestStatus.COMPLETED,
                    to_status=RequestStatus.COMPLETED,
                    note="Review published to the student.",
                )
        self.refresh_from_db()
        if won:
            from interviews import notifications

            notifications.send_feedback_published(self)
        return bool(won)

    def mark_feedback_read(self):
        """The student opened the published report for the first time."""
        won = InterviewRequest.objects.filter(
            pk=self.pk, reviewed_at__isnull=False, feedback_read_at__isnull=True
        ).update(feedback_read_at=timezone.now())
        return bool(won)


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


class AnswerState(models.TextChoices):
    # Chunks are arriving; the student has not submitted this take yet.
    RECORDING = "recording", "Recording"
    # Submitted whole; not yet remuxed (interviews/tasks.py).
    UPLOADED = "uploaded", "Uploaded"
    PROCESSED = "processed", "Processed"
    # Submitted, but ffprobe cannot read it: flagged for the approver.
    FAILED = "failed", "Failed"


# An answer the student has submitted: it counts towards completing the interview.
SUBMITTED_ANSWER = Q(
    state__in=[AnswerState.UPLOADED, AnswerState.PROCESSED, AnswerState.FAILED]
)


class Answer(models.Model):
    """One recorded answer to one question of an interview.

    The row exists from the first chunk of the first take (interviews/uploads.py);
    a retake reuses it with the next `attempt` number and a new file.
    """

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
    # Rows made whole in one go (the single-request upload, fixtures, the demo)
    # are uploaded; the chunked upload starts its rows as RECORDING.
    state = models.CharField(
        max_length=16, choices=AnswerState.choices, default=AnswerState.UPLOADED
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    bytes_received = models.PositiveBigIntegerField(default=0)
    poster = models.FileField(storage=private_storage, max_length=200, blank=True)
    processing_error = models.CharField(max_length=300, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The last chunk or state change: stale unfinished uploads are swept by it.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["question__order", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "question"], name="one_answer_per_question"
            )
        ]

    def __str__(self):
        return f"Answer to {self.question}"

    @property
    def is_sealed(self):
        """True once the worker has made the take one stored file: processed (a
        new file) or failed (what arrived, sealed). Before that, on S3, the take
        may still be its parts (interviews/chunks.py), which only a listing tells."""
        return self.state in (AnswerState.PROCESSED, AnswerState.FAILED)


@receiver(post_delete, sender=Answer)
def _delete_answer_file(sender, instance, **kwargs):
    delete_file_on_commit(instance.file)
    delete_file_on_commit(instance.poster)


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


# ---- Feedback: rubrics, scores and timestamped comments (issue 16) ----

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class RubricCriterion(models.Model):
    """One thing a course's answers are scored on (1-5), with what each score
    means, so that two reviewers give the same score for the same answer."""

    course = models.ForeignKey(
        InterviewCourse, on_delete=models.CASCADE, related_name="rubric"
    )
    name = models.CharField(max_length=80)
    order = models.PositiveSmallIntegerField(default=0)
    guide_1 = models.CharField("1 means", max_length=300, blank=True)
    guide_2 = models.CharField("2 means", max_length=300, blank=True)
    guide_3 = models.CharField("3 means", max_length=300, blank=True)
    guide_4 = models.CharField("4 means", max_length=300, blank=True)
    guide_5 = models.CharField("5 means", max_length=300, blank=True)

    class Meta:
        ordering = ["course", "order", "id"]
        verbose_name = "rubric criterion"
        verbose_name_plural = "rubric criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["course", "name"], name="one_criterion_name_per_course"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def guide(self):
        """[(score, what it means)] for the scores that have a guide."""
        return [
            (score, getattr(self, f"guide_{score}"))
            for score in range(1, 6)
            if getattr(self, f"guide_{score}")
        ]


class AnswerScore(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(
        RubricCriterion, on_delete=models.CASCADE, related_name="scores"
    )
    score = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)

    class Meta:
        ordering = ["criterion__order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "criterion"], name="one_score_per_answer_criterion"
            )
        ]

    def __str__(self):
        return f"{self.criterion}: {self.score}"


class AnswerComment(models.Model):
    """A reviewer's comment pinned to a moment of a recording."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="timed_comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at_seconds = models.FloatField(validators=[MinValueValidator(0)])
    text = models.TextField(max_length=2000)
    # Left by an outside mentor through a share link (no account): their name.
    share = models.ForeignKey(
        "ShareLink",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    mentor_name = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at_seconds", "created_at"]

    def __str__(self):
        return f"{self.at_label}: {self.text[:40]}"

    @property
    def by_mentor(self):
        return bool(self.mentor_name)

    @property
    def at_label(self):
        return seconds_label(self.at_seconds)


def seconds_label(seconds):
    """75.4 -> "1:15"."""
    if seconds is None:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


class ReviewAssignment(models.Model):
    """Who reviews a completed interview: claimed from the queue by a reviewer,
    or given to one by a lead. One per interview."""

    interview = models.OneToOneField(
        InterviewRequest, on_delete=models.CASCADE, related_name="assignment"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.interview} -> {self.reviewer}"

    @classmethod
    def claim(cls, interview, reviewer):
        """`reviewer` takes an unassigned interview. Returns whether they got it
        (False when someone else holds it, or claimed it at the same moment)."""
        from accounts.roles import refuse_own_decision

        refuse_own_decision(reviewer, interview.student, "interview")
        try:
            with atomic():
                cls.objects.create(
                    interview=interview, reviewer=reviewer, assigned_by=reviewer
                )
                _audit_assignment(interview, reviewer, reviewer)
        except IntegrityError:
            return cls.objects.filter(interview=interview, reviewer=reviewer).exists()
        return True

    @classmethod
    def assign(cls, interview, reviewer, by):
        """A lead gives the interview to `reviewer`, whoever held it."""
        from accounts.roles import refuse_own_decision

        refuse_own_decision(reviewer, interview.student, "interview")
        with atomic():
            cls.objects.update_or_create(
                interview=interview,
                defaults={"reviewer": reviewer, "assigned_by": by},
            )
            _audit_assignment(interview, reviewer, by)
        return True


def _audit_assignment(interview, reviewer, by):
    RequestEvent.objects.create(
        request=interview,
        actor=by,
        from_status=interview.status,
        to_status=interview.status,
        note=f"Review assigned to {reviewer.get_username()}.",
    )


# ---- Sharing a report with an outside mentor (issue 16) ----

SHARE_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class ShareLink(models.Model):
    """A link to one interview's recordings for someone without an account: it
    needs an access code too, expires, and can be revoked. The token and the
    code are stored hashed: a database leak opens no link."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    interview = models.ForeignKey(
        InterviewRequest, on_delete=models.CASCADE, related_name="share_links"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    code_hash = models.CharField(max_length=128, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Share of {self.interview}"

    @staticmethod
    def hash_token(token):
        import hashlib

        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def create_for(cls, interview, by, days):
        """A new link; returns (link, token, code). The token and the code are
        shown once, to the person who made it."""
        import secrets

        from django.contrib.auth.hashers import make_password

        token = secrets.token_urlsafe(24)
        code = "".join(secrets.choice(SHARE_CODE_ALPHABET) for _ in range(8))
        link = cls.objects.create(
            interview=interview,
            token_hash=cls.hash_token(token),
            code_hash=make_password(code),
            created_by=by,
            expires_at=timezone.now() + timedelta(days=days),
        )
        link.log(ShareEvent.Kind.CREATED, by=by)
        return link, token, code

    @classmethod
    def live(cls):
        return cls.objects.filter(
            revoked_at__isnull=True, expires_at__gt=timezone.now()
        )

    def check_code(self, code):
        from django.contrib.auth.hashers import check_password

        cleaned = "".join((code or "").split()).upper()
        return check_password(cleaned, self.code_hash)

    @property
    def is_live(self):
        return self.revoked_at is None and self.expires_at > timezone.now()

    def revoke(self, by):
        """Returns whether this call revoked it."""
        won = ShareLink.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if won:
            self.refresh_from_db()
            self.log(ShareEvent.Kind.REVOKED, by=by)
        return bool(won)

    def log(self, kind, by=None, ip="", note=""):
        return ShareEvent.objects.create(
            share=self, kind=kind, actor=by, ip=ip or None, note=note
        )


class ShareEvent(models.Model):
    """Who made, opened, used or revoked a share link, and wrong codes tried."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        OPENED = "opened", "Opened with the code"
        WRONG_CODE = "wrong_code", "Wrong code"
        COMMENTED = "commented", "Comment left"
        REVOKED = "revoked", "Revoked"

    share = models.ForeignKey(
        ShareLink, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"


# ---- Transcripts of recorded answers (issue 16, item 9) ----


class TranscriptState(models.TextChoices):
    DONE = "done", "Done"
    # The engine or ffmpeg failed: recorded for the approver, never retried.
    FAILED = "failed", "Failed"


class Transcript(models.Model):
    """What the student said in one answer, with the time of each word
    (interviews/transcripts.py makes it after the recording is processed)."""

    answer = models.OneToOneField(
        Answer, on_delete=models.CASCADE, related_name="transcript"
    )
    # The recording transcribed: a retake replaces the file, and its transcript.
    source_name = models.CharField(max_length=200)
    state = models.CharField(max_length=16, choices=TranscriptState.choices)
    engine = models.CharField(max_length=40)
    language = models.CharField(max_length=16, blank=True)
    text = models.TextField(blank=True)
    # [[word, start_seconds, end_seconds], ...] in the order spoken.
    words = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Transcript of {self.answer}"

    @property
    def is_current(self):
        """Made from the answer's present recording (not an earlier take)."""
        return self.source_name == self.answer.file.name

    @property
    def timed_words(self):
        """[{"word", "start", "end"}] for the template: each word seeks."""
        return [
            {"word": word, "start": start, "end": end}
            for word, start, end in self.words
        ]
