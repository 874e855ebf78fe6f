import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as AuthUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.db import atomic

# ---- One live account per email address (issue 12) ----
# A stored key, not a constraint on Lower("email"): MongoDB has no expression
# indexes, nor negations in partial indexes, hence `> ""` for "not a tombstone"
# (a deleted account's email is ""). User.save() keeps the key in step, and so
# does UserQuerySet for the writes that skip save().
LIVE_EMAIL = Q(email_key__gt="")


def email_key_for(email):
    """What two addresses must not share: Student@Example.com is
    student@example.com."""
    return (email or "").strip().lower()


class UserQuerySet(models.QuerySet):
    """bulk_create, bulk_update and update() do not call save(): they set
    email_key here, so no write path can store an email without its key."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for user in objs:
            user.email_key = email_key_for(user.email)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        if "email" in fields:
            objs = list(objs)
            for user in objs:
                user.email_key = email_key_for(user.email)
            fields = {*fields, "email_key"}
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        # bulk_update arrives here with both, as expressions.
        if "email" in kwargs and "email_key" not in kwargs:
            if not isinstance(kwargs["email"], str):
                raise TypeError(
                    "update(email=<expression>) needs email_key=<its key> too"
                )
            kwargs["email_key"] = email_key_for(kwargs["email"])
        return super().update(**kwargs)

    update.alters_data = True


class UserManager(AuthUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A student, an approver (staff holding `accounts.approve`, usually through
    the Approvers group) or a superuser."""

    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    # Set when the student follows the link in the verification email.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Set when the student deleted their account: the row stays as a tombstone
    # so the payments the law makes us keep still point somewhere.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # email_key_for(email), "" for no address (a tombstone): unique among the rest.
    email_key = models.CharField(max_length=254, blank=True, editable=False)

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta(AbstractUser.Meta):
        # The one meaning of "approver" (accounts/roles.py).
        permissions = [("approve", "Can act as an approver")]
        constraints = [
            models.UniqueConstraint(
                fields=["email_key"],
                condition=LIVE_EMAIL,
                name="one_account_per_email",
                violation_error_message=(
                    "An account with this email address exists already."
                ),
            )
        ]

    def __str__(self):
        return self.username

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._stored_email = user.__dict__.get("email")
        return user

    def save(self, *args, **kwargs):
        self.email_key = email_key_for(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = update_fields = {*update_fields, "email_key"}
        # A new address is not verified, whoever changed it (the admin, today).
        stored = getattr(self, "_stored_email", None)
        if stored is not None and self.email.lower() != stored.lower():
            self.email_verified_at = None
            if update_fields is not None and "email" in update_fields:
                kwargs["update_fields"] = {*update_fields, "email_verified_at"}
        super().save(*args, **kwargs)
        self._stored_email = self.email

    def get_full_name(self):
        if self.deleted_at is not None:
            return "deleted student"
        return self.full_name or super().get_full_name() or self.username

    @classmethod
    def email_in_use(cls, email, exclude=None):
        """Whether a live account other than `exclude` has this address."""
        key = email_key_for(email)
        if not key:
            return False
        others = cls.objects.filter(email_key=key)
        if exclude is not None and exclude.pk is not None:
            others = others.exclude(pk=exclude.pk)
        return others.exists()

    @property
    def display_name(self):
        return self.get_full_name()

    @property
    def is_email_verified(self):
        return self.email_verified_at is not None

    def mark_email_verified(self, email):
        """Verify `email` if it is still this user's unverified address.

        Returns whether this call verified it (False if already verified, or if
        the address changed since the link was sent)."""
        from accounts.backends import users

        now = timezone.now()
        won = User.objects.filter(
            pk=self.pk, email=email, email_verified_at__isnull=True
        ).update(email_verified_at=now)
        if won:
            self.email_verified_at = now
            users.refresh(self.pk)
        return bool(won)

    def make_tombstone(self):
        """Erase the personal data and make the account unusable for good.

        The row stays (payments keep their foreign key); the username becomes
        `deleted-<random>` so the old one can be taken again.
        """
        self.username = f"deleted-{secrets.token_hex(8)}"
        self.email = ""
        self.full_name = self.first_name = self.last_name = self.phone = ""
        self.email_verified_at = None
        self.set_unusable_password()
        self.is_active = self.is_staff = self.is_superuser = False
        self.deleted_at = timezone.now()
        self.save()
        self.groups.clear()
        self.user_permissions.clear()


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


# ---- Pending sign-ups (issue 12, finding 11) ----


class PendingSignup(models.Model):
    """A sign-up waiting for its emailed link to be followed.

    The account is created only then (`create_account`), so the sign-up page
    answers the same for a new and a registered address: it never says which.
    The link carries a random token; only its SHA-256 is stored. A used row is
    kept until it expires, so a second click is told the account exists rather
    than that the link is unknown; `purge_expired` (a periodic task) deletes it.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    # One per sign-up request, so a task run twice makes one row.
    request_id = models.CharField(max_length=32, unique=True)
    email = models.EmailField(max_length=254)
    username = models.CharField(max_length=150)
    full_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=20)
    password = models.CharField(max_length=128)  # a hash, as on User
    next_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"{self.username} <{self.email}>"

    @staticmethod
    def hash_token(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def start(cls, *, request_id, lifetime, **fields):
        """Record a sign-up; returns (pending, token), or (None, None) when this
        request already made one (the token is not stored, only its hash)."""
        token = secrets.token_urlsafe(32)
        pending, created = cls.objects.get_or_create(
            request_id=request_id,
            defaults={
                **fields,
                "token_hash": cls.hash_token(token),
                "expires_at": timezone.now() + lifetime,
            },
        )
        return (pending, token) if created else (None, None)

    @classmethod
    def for_token(cls, token):
        return cls.objects.filter(token_hash=cls.hash_token(token)).first()

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()

    def username_taken(self, username=None):
        return User.objects.filter(username__iexact=username or self.username).exists()

    def email_taken(self):
        return User.email_in_use(self.email)

    def create_account(self, username=None):
        """Use the link: mark it used (a conditional update, so two clicks at
        once make one account) and create the verified account in the same
        transaction. Returns the new User, or None when the link was used or
        expired meanwhile. Raises IntegrityError when the username, or the
        address (another link for it followed at the same time), was taken
        between the check and the insert (nothing is then marked used)."""
        now = timezone.now()
        with atomic():
            # The used row keeps no password hash, phone or name: the account does.
            won = PendingSignup.objects.filter(
                pk=self.pk, used_at__isnull=True, expires_at__gt=now
            ).update(used_at=now, password="", phone="", full_name="")
            if not won:
                return None
            user = User(
                username=username or self.username,
                email=self.email,
                full_name=self.full_name,
                phone=self.phone,
                password=self.password,
                email_verified_at=now,
            )
            user.save()
        self.used_at = now
        return user

    @classmethod
    def purge_expired(cls):
        """Delete expired sign-ups, used or not. Returns how many."""
        deleted, _ = cls.objects.filter(expires_at__lte=timezone.now()).delete()
        return deleted
