from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A student, an approver (staff in the Approvers group) or a superuser."""

    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    # Set when the student follows the link in the verification email.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    REQUIRED_FIELDS = ["email"]

    def __str__(self):
        return self.username

    def get_full_name(self):
        return self.full_name or super().get_full_name() or self.username

    @property
    def display_name(self):
        return self.get_full_name()


# ---- Sent emails (issue 13) ----


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Given up"


class SentEmail(models.Model):
    """One email the site decided to send, and what became of it.

    Created in the transaction that decided it (so a committed decision always
    has its email) and delivered by a task (portal/emails.py). The unique `key`
    makes delivery idempotent: a task claims the row with a conditional update
    before it sends. The rendered message is kept only until it is sent.
    Keys start with what the email is about, e.g. "payment:<public_id>:", so a
    payment's or an interview's emails are found by prefix.
    """

    key = models.CharField(max_length=200, unique=True)
    template = models.CharField(max_length=100)
    to = models.TextField(help_text="Comma-separated recipients.")
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the next try is due (pending), or when this try began (sending).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    message = models.JSONField(
        null=True, blank=True, help_text="The rendered email, until it is sent."
    )

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return self.key
