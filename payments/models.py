import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Replace
from django.db.models.lookups import Exact
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from accounts.roles import refuse_own_decision
from portal.db import atomic
from portal.storage import delete_file_on_commit, private_storage

# What the status poll needs: every waiting page asks for it every few seconds.
STATUS_FIELDS = ("student_id", "status", "remarks", "reviewed_at")


def _without_ascii_digits(expression):
    for digit in "0123456789":
        expression = Replace(expression, models.Value(digit), models.Value(""))
    return expression


# A stored UTR is 12 ASCII digits: 12 characters, none left once 0-9 are removed.
# Equality and REPLACE, not a regex or a range: SQLite has no REGEXP outside
# Django's connections, and PostgreSQL's collations sort look-alike digits (e.g.
# fullwidth) between "0" and "9".
UTR_IS_12_ASCII_DIGITS = Q(Exact(Length("utr"), 12)) & Q(
    Exact(_without_ascii_digits(models.F("utr")), "")
)


class PaymentStatus(models.TextChoices):
    PENDING_VERIFICATION = "pending_verification", "Pending verification"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"

    @property
    def badge(self):
        """The tone of the status badge, the one mapping for every page and the
        console: "wait", "ok" or "bad" (CSS classes in site.css and admin.css)."""
        return _BADGES[self]

    @property
    def student_label(self):
        """The status in the words of the student's course card, for every page
        and poll a student reads ("Ready to schedule", not the console's
        "Completed", which is the label above)."""
        return _STUDENT_LABELS[self]


class MatchResult(models.TextChoices):
    """What the imported statements say about a payment ("" = nothing yet)."""

    MATCHED = "matched", "Matched by statement"
    AMOUNT_DIFFERS = "amount_differs", "UTR found, amount differs"
    NOT_FOUND = "not_found", "UTR not in the statement"
    CLAIMED_TWICE = "claimed_twice", "Credit claimed by two payments"

    @property
    def is_flag(self):
        return self != MatchResult.MATCHED


_BADGES = {
    PaymentStatus.PENDING_VERIFICATION: "wait",
    PaymentStatus.COMPLETED: "ok",
    PaymentStatus.REJECTED: "bad",
}
_STUDENT_LABELS = {
    PaymentStatus.PENDING_VERIFICATION: "Pending admin approval",
    PaymentStatus.COMPLETED: "Ready to schedule",
    PaymentStatus.REJECTED: "Payment rejected",
}
# A completed payment whose interview is done has paid for it: no tone.
USED_LABEL, USED_BADGE = "Used", ""

# A payment is *live* while it is pending verification, or completed and not yet
# consumed by a finished interview. The one definition of that rule: LIVE_STATE.
# It is stored as Payment.is_live (issue 18: MongoDB refuses `isnull` in a
# partial index), kept in step by save() and the transitions, and on SQL by a
# check constraint; the unique constraint and the queryset filters use
# LIVE_PAYMENT, the stored flag.
LIVE_STATE = Q(status=PaymentStatus.PENDING_VERIFICATION) | Q(
    status=PaymentStatus.COMPLETED, consumed_at__isnull=True
)
LIVE_PAYMENT = Q(is_live=True)


def _matches(q, obj):
    """Evaluate a Q of exact and isnull lookups on an instance, in Python."""
    results = []
    for child in q.children:
        if isinstance(child, Q):
            results.append(_matches(child, obj))
            continue
        lookup, expected = child
        field, _, operator = lookup.partition("__")
        value = getattr(obj, field)
        if operator == "isnull":
            results.append((value is None) == expected)
        elif operator in ("", "exact"):
            results.append(value == expected)
        else:
            raise ValueError(f"Unsupported lookup in a Python-evaluated Q: {lookup}")
    outcome = any(results) if q.connector == Q.OR else all(results)
    return not outcome if q.negated else outcome


class Payment(models.Model):
    """A student's UPI payment of a course fee, with its proof, awaiting an approver.

    A payment is *live* while it is pending verification, or completed and not yet
    consumed by a finished interview; a student has at most one live payment per
    course (a database constraint). "Not paid" is the absence of a live payment.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=16, unique=True, editable=False)
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payments"
    )
    course = models.ForeignKey(
        "interviews.InterviewCourse", on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField("amount (INR)", max_digits=8, decimal_places=2)
    utr = models.CharField("UTR", max_length=12, unique=True)
    proof = models.FileField(storage=private_storage, max_length=200)
    proof_sha256 = models.CharField(max_length=64, db_index=True)
    # A small WebP of the proof, made once at submit (payments/images.py) for the
    # approver's queue; "" until made (`make_proof_thumbnails` fills old ones).
    proof_thumbnail = models.FileField(
        storage=private_storage, max_length=200, blank=True
    )
    status = models.CharField(
        max_length=24,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING_VERIFICATION,
    )
    remarks = models.TextField(max_length=1000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Set when the interview this payment paid for is completed.
    consumed_at = models.DateTimeField(null=True, blank=True)
    # LIVE_STATE, stored (see LIVE_PAYMENT).
    is_live = models.BooleanField(default=True, editable=False)
    # Reconciliation and fraud signals (issue 17): advisory, set by
    # payments/reconcile.py and payments/fraud.py, never a decision.
    match = models.CharField(
        "statement", max_length=16, choices=MatchResult.choices, blank=True
    )
    match_note = models.CharField(max_length=300, blank=True)
    statement_line = models.ForeignKey(
        "payments.StatementLine",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
    )
    proof_phash = models.CharField(max_length=16, blank=True, db_index=True)
    # Earlier payments whose proof looked the same (perceptual hash), at submit.
    similar_proofs = models.JSONField(default=list, blank=True)
    ocr_text = models.TextField(blank=True)
    # {"utrs": [...], "amounts": [...], "vpas": [...], "flags": [why, ...]}
    ocr_findings = models.JSONField(default=dict, blank=True)
    ocr_done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField("submitted", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course"],
                condition=LIVE_PAYMENT,
                name="one_live_payment_per_student_course",
                violation_error_message=(
                    "You already have a payment for this course that is pending "
                    "verification or completed."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(is_live=True) & LIVE_STATE)
                | (Q(is_live=False) & ~LIVE_STATE),
                name="is_live_follows_status",
            ),
            models.CheckConstraint(
                condition=UTR_IS_12_ASCII_DIGITS,
                name="utr_is_12_ascii_digits",
                violation_error_message="A UTR is exactly 12 digits 0-9.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["student", "course", "created_at"]),
            # Decisions in a period (the analytics page's revenue and turnaround),
            # covering: those queries read the index alone, never the rows.
            models.Index(
                fields=[
                    "reviewed_at",
                    "status",
                    "course",
                    "amount",
                    "created_at",
                    "reviewed_by",
                ],
                name="payment_decisions_idx",
            ),
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        self.sync_is_live()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"status", "consumed_at"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "is_live"}
        super().save(*args, **kwargs)

    def sync_is_live(self):
        """is_live from LIVE_STATE; save() calls it, bulk_create callers must."""
        self.is_live = _matches(LIVE_STATE, self)

    @classmethod
    def status_snapshot(cls, public_id):
        """The STATUS_FIELDS of one payment as a dict (None if there is none):
        one indexed query (a cache entry saved no more: docs/benchmarks.md)."""
        return cls.objects.filter(public_id=public_id).values(*STATUS_FIELDS).first()

    @property
    def badge(self):
        """The badge's tone on the student's pages: the status's, none once used."""
        if self.consumed_at is not None:
            return USED_BADGE
        return PaymentStatus(self.status).badge

    @property
    def student_label(self):
        """What the student reads for this payment, on every page."""
        if self.consumed_at is not None:
            return USED_LABEL
        return PaymentStatus(self.status).student_label

    def approve(self, by, remarks=""):
        """Mark a pending payment completed. Returns False if it was already decided."""
        return self._decide(PaymentStatus.COMPLETED, by, remarks)

    def reject(self, by, remarks):
        """Mark a pending payment rejected. Returns False if it was already decided."""
        if not remarks.strip():
            raise ValueError("Rejecting a payment requires remarks.")
        return self._decide(PaymentStatus.REJECTED, by, remarks)

    def _decide(self, to_status, by, remarks):
        refuse_own_decision(by, self.student, "payment")
        now = timezone.now()
        with atomic():
            won = Payment.objects.filter(
                pk=self.pk, status=PaymentStatus.PENDING_VERIFICATION
            ).update(
                status=to_status,
                # Pending (live) to completed and unconsumed (live) or rejected.
                is_live=to_status == PaymentStatus.COMPLETED,
                remarks=remarks.strip(),
                reviewed_by=by,
                reviewed_at=now,
                updated_at=now,
            )
            if won:
                PaymentEvent.objects.create(
                    payment=self,
                    actor=by,
                    from_status=PaymentStatus.PENDING_VERIFICATION,
                    to_status=to_status,
                    remarks=remarks.strip(),
                )
        self.refresh_from_db()
        return bool(won)

    def mark_consumed(self):
        """The interview this payment paid for is done; the student may pay again."""
        now = timezone.now()
        consumed = Payment.objects.filter(
            LIVE_PAYMENT, pk=self.pk, status=PaymentStatus.COMPLETED
        ).update(consumed_at=now, is_live=False, updated_at=now)
        return bool(consumed)


class PaymentEvent(models.Model):
    """The audit trail of a payment: who decided what, when, and with which remarks."""

    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(max_length=24, choices=PaymentStatus.choices)
    to_status = models.CharField(max_length=24, choices=PaymentStatus.choices)
    remarks = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


@receiver(post_delete, sender=Payment)
def _delete_proof_file(sender, instance, **kwargs):
    delete_file_on_commit(instance.proof)
    delete_file_on_commit(instance.proof_thumbnail)


class StatementFormat(models.TextChoices):
    BANK = "bank", "Bank account statement (SBI / HDFC style)"
    PHONEPE = "phonepe", "PhonePe settlement report"
    GENERIC = "generic", "Other layout (columns chosen by the approver)"


class Statement(models.Model):
    """One imported bank statement or UPI settlement report."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    format = models.CharField(max_length=16, choices=StatementFormat.choices)
    rows = models.PositiveIntegerField("credit rows read", default=0)
    lines_added = models.PositiveIntegerField(default=0)
    covers_from = models.DateField(null=True, blank=True)
    covers_to = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField("imported", auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.covers_from} to {self.covers_to})"


class StatementLine(models.Model):
    """A credit in a statement, stored once however often it is imported."""

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="lines"
    )
    utr = models.CharField("UTR", max_length=12, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    credited_on = models.DateField()
    payer = models.CharField("narration / payer", max_length=300, blank=True)
    line_hash = models.CharField(max_length=64, unique=True)
    row_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["credited_on", "id"]
        constraints = [
            models.UniqueConstraint(
                # utr > "" rather than ~Q(utr=""): MongoDB refuses a negation
                # in a partial index (issue 18). The same rows on SQL.
                fields=["utr"],
                condition=Q(utr__gt=""),
                name="one_statement_line_per_utr",
            )
        ]

    def __str__(self):
        return f"₹{self.amount} on {self.credited_on} (UTR {self.utr or 'none'})"
