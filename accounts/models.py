from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A student, an approver (staff holding `accounts.approve`, usually through
    the Approvers group) or a superuser."""

    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    # Set when the student follows the link in the verification email.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    REQUIRED_FIELDS = ["email"]

    class Meta(AbstractUser.Meta):
        # The one meaning of "approver" (accounts/roles.py).
        permissions = [("approve", "Can act as an approver")]

    def __str__(self):
        return self.username

    def get_full_name(self):
        return self.full_name or super().get_full_name() or self.username

    @property
    def display_name(self):
        return self.get_full_name()
