"""Approvers: staff who verify payments, schedule and review interviews.

Being an approver is one permission, `accounts.approve`, checked with `has_perm`
everywhere (is_approver, approvers). The Approvers group holds it with exactly
what the console needs; a permission granted to a user directly counts the same.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

APPROVERS_GROUP = "Approvers"
APPROVE_PERMISSION = "accounts.approve"

# Exactly what the approval console needs; nothing to edit users or courses.
APPROVER_PERMISSIONS = [
    ("accounts", "approve"),
    ("payments", "view_payment"),
    ("payments", "change_payment"),
    ("payments", "view_paymentevent"),
    ("interviews", "view_interviewcourse"),
    ("interviews", "view_interviewquestion"),
    ("interviews", "view_interviewrequest"),
    ("interviews", "change_interviewrequest"),
    ("interviews", "view_requestevent"),
    ("interviews", "view_answer"),
    ("interviews", "change_answer"),
    ("interviews", "view_interviewtoreview"),
    ("interviews", "change_interviewtoreview"),
    ("interviews", "view_missedinterview"),
    ("interviews", "change_missedinterview"),
]


def ensure_approvers_group():
    group, _ = Group.objects.get_or_create(name=APPROVERS_GROUP)
    wanted = []
    for app_label, codename in APPROVER_PERMISSIONS:
        perm = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if perm is not None:
            wanted.append(perm)
    group.permissions.set(wanted)
    return group


def make_approver(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(ensure_approvers_group())
    return user


def is_approver(user):
    """Active staff holding `accounts.approve` (superusers hold every permission).
    Django caches a user's permissions on the user object."""
    return (
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(APPROVE_PERMISSION)
    )


def approvers():
    """Everyone is_approver() is true for, as a queryset (e.g. to email them).

    Spelled out rather than User.objects.with_perm(), which refuses to run once
    a second authentication backend is configured."""
    app_label, codename = APPROVE_PERMISSION.split(".")
    approve = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=approve)
            | Q(groups__permissions__in=approve)
        )
        .distinct()
    )


class OwnDecisionRefused(Exception):
    """An approver tried to decide on their own payment, request or review.

    Raised by the model transitions themselves, so every path (admin, commands,
    services) refuses it; the admin shows `message` on the page.
    """

    def __init__(self, what="this"):
        self.message = (
            f"You cannot decide on your own {what}: another approver must do it."
        )
        super().__init__(self.message)


def refuse_own_decision(actor, student, what):
    """Raise OwnDecisionRefused when `actor` is the student the decision is about."""
    if actor is not None and student is not None and actor.pk == student.pk:
        raise OwnDecisionRefused(what)
