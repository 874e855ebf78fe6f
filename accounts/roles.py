"""The Approvers group: staff who verify payments, schedule and review interviews."""

from django.contrib.auth.models import Group, Permission

APPROVERS_GROUP = "Approvers"

# Exactly what the approval console needs; nothing to edit users or courses.
APPROVER_PERMISSIONS = [
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
    """Staff in the Approvers group, or a superuser. Cached on the user object."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.is_staff:
        return False
    cached = getattr(user, "_is_approver", None)
    if cached is None:
        cached = user.groups.filter(name=APPROVERS_GROUP).exists()
        user._is_approver = cached
    return cached


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
