"""Every URL of the site, for every kind of visitor, with GET and POST.

The URL patterns are walked from the URL conf, so a new URL without a row in
EXPECTED fails this test until someone decides who may open it. Each request runs
in a savepoint that is rolled back, so a POST that changes something (a cancel, a
logout) does not change the scene for the next one.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import PendingSignup, SentEmail
from accounts.roles import APPROVERS_GROUP
from accounts.testing import log_in_verified
from interviews.factories import AnswerFactory
from interviews.tests.room_helpers import open_interview
from portal.tests.files import SUITE_ON_S3

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "student", "other", "approver", "superuser"]
LOGIN = "login"  # 302 to the site's login page
ADMIN_LOGIN = "admin-login"  # 302 to the admin's login page


def row(anonymous, student, other, approver, superuser):
    return dict(zip(ROLES, [anonymous, student, other, approver, superuser]))


def same(status):
    return row(*[status] * 5)


def owner_only(owner, outsider=404, anonymous=LOGIN):
    """Only the student it belongs to; everyone else gets a 404 (not a 403, which
    would confirm the object exists)."""
    return row(anonymous, owner, outsider, outsider, outsider)


def logged_in(status, anonymous=LOGIN):
    return row(anonymous, status, status, status, status)


def staff(status, anonymous=ADMIN_LOGIN):
    return row(anonymous, 403, 403, status, status)


def admin(approver, superuser):
    return row(ADMIN_LOGIN, 403, 403, approver, superuser)


def both(get, post=None):
    return {"GET": get, "POST": post if post is not None else get}


def model_admin(model, changelist, change, history, add, delete, object_url):
    """The admin's URLs for one model; each argument is a (GET, POST) pair of rows,
    or one row for both."""
    rows = {
        "changelist": changelist,
        "change": change,
        "history": history,
        "add": add,
        "delete": delete,
    }
    table = {
        f"admin:{model}_{view}": both(*value)
        if isinstance(value, tuple)
        else both(value)
        for view, value in rows.items()
    }
    app, name = model.split("_", 1)
    table[f"admin:<admin/{app}/{name}/<path:object_id>/>"] = both(object_url)
    return table


SUPERUSER_ONLY = admin(403, 200)
NOBODY = admin(403, 403)
BOTH_STAFF = admin(200, 200)
# /admin/<app>/<model>/<id>/ redirects to the change page for staff.
STAFF_REDIRECT = admin(302, 302)

# (url name) -> {"GET": row, "POST": row}. Statuses for the student are for the
# scene built below: a paid course with an open interview room and one answer.
# Statuses are 200, 302, a redirect to a login page (LOGIN, ADMIN_LOGIN), 403,
# 404 (someone else's object: not even its existence is confirmed) or 405.
EXPECTED = {
    # Public and account pages.
    "health": {"GET": same(200), "POST": same(405)},
    "ping": {"GET": same(200), "POST": same(405)},
    "accounts:login": both(row(200, 302, 302, 302, 302)),
    "accounts:signup": both(row(200, 302, 302, 302, 302)),
    # Sign-up without enumeration (issue 12, finding 11): a bad link is a 400.
    "accounts:signup_sent": {"GET": same(200), "POST": same(405)},
    "accounts:signup_confirm": both(same(400)),
    "accounts:logout": {"GET": same(405), "POST": same(LOGIN)},
    "accounts:password_change": both(logged_in(200)),
    "accounts:password_change_done": {
        "GET": logged_in(200),
        "POST": logged_in(405),
    },
    "accounts:password_reset": both(same(200)),  # POST {}: the form's error
    "accounts:password_reset_done": {"GET": same(200), "POST": same(405)},
    "accounts:password_reset_confirm": both(same(200)),  # a bad token: "expired"
    "accounts:password_reset_complete": {"GET": same(200), "POST": same(405)},
    # Email verification (issue 12, item 14): a bad token for a verified user
    # says "already verified".
    "accounts:verify_email": {"GET": logged_in(200), "POST": logged_in(405)},
    "accounts:verify_email_resend": {"GET": logged_in(405), "POST": logged_in(302)},
    "accounts:verify_email_confirm": both(same(200)),
    # Two-factor login (item 15): staff who passed it go on to the console,
    # students back to the dashboard.
    "accounts:2fa_setup": both(logged_in(302)),
    # The Account page (item 16): staff cannot delete themselves (302 back).
    "interviews:account": {"GET": logged_in(200), "POST": logged_in(405)},
    "interviews:account_export": {"GET": logged_in(200), "POST": logged_in(405)},
    "interviews:account_delete": {
        "GET": logged_in(405),
        "POST": row(LOGIN, 400, 400, 302, 302),
    },
    "accounts:2fa_verify": both(logged_in(302)),
    # The student's pages. Read-only pages ignore a POST and render (200).
    "dashboard": both(logged_in(200), logged_in(405)),
    "interviews:course_list": both(logged_in(200), logged_in(405)),
    "interviews:my_interviews": both(logged_in(200), logged_in(405)),
    "interviews:card_states": {"GET": logged_in(200), "POST": logged_in(405)},
    # The course is paid and requested, so everyone is sent to their card.
    "interviews:request": both(logged_in(302)),
    # Anyone logged in may pay; the student already has a live payment (302).
    "payments:pay": {"GET": logged_in(200), "POST": row(LOGIN, 302, 200, 200, 200)},
    "payments:payment": {"GET": owner_only(200), "POST": logged_in(405)},
    "payments:status": {"GET": owner_only(200), "POST": logged_in(405)},
    # Approvers see proofs too; an anonymous visitor gets the same 404 as a
    # stranger (the view has no login redirect).
    "payments:proof": {"GET": row(404, 200, 404, 200, 200), "POST": same(405)},
    "interviews:cancel": {"GET": logged_in(405), "POST": owner_only(302)},
    "interviews:room": both(owner_only(200), owner_only(405, outsider=405)),
    "interviews:consent": {"GET": logged_in(405), "POST": owner_only(302)},
    "interviews:room_state": {"GET": owner_only(200), "POST": logged_in(405)},
    # POST {}: no chunk headers (400) for the owner; 404 for everyone else.
    "interviews:answer_chunk": {"GET": logged_in(405), "POST": owner_only(400)},
    "interviews:finish_answer": {"GET": logged_in(405), "POST": owner_only(400)},
    # The scene's answer has no poster yet: 404 even for its student.
    "interviews:answer_poster": {
        "GET": row(LOGIN, 404, 404, 404, 404),
        "POST": logged_in(405),
    },
    "interviews:answer_video": {
        "GET": row(LOGIN, 200, 404, 200, 200),
        "POST": logged_in(405),
    },
    # ---- The feedback report and live My interviews (issue 16) ----
    "interviews:my_interviews_state": {
        "GET": logged_in(200),
        "POST": logged_in(405),
    },
    # The scene's interview is not completed: no report for anyone yet.
    "interviews:report": {"GET": logged_in(404), "POST": logged_in(405)},
    "interviews:report_read": {"GET": logged_in(405), "POST": logged_in(404)},
    "interviews:create_share": {"GET": logged_in(405), "POST": logged_in(404)},
    "interviews:revoke_share": {"GET": logged_in(405), "POST": logged_in(404)},
    # Share links need no account; the scene's token opens nothing.
    "interviews:shared": both(same(404)),
    "interviews:shared_video": {"GET": same(404), "POST": same(405)},
    "interviews:shared_comment": {"GET": same(405), "POST": same(404)},
    # The review workbench: the scene's interview is not in the review queue.
    "admin:interviews_interviewtoreview_review": both(admin(404, 404)),
    "admin:interviews_interviewtoreview_publish": {
        "GET": admin(405, 405),
        "POST": admin(404, 404),
    },
    "admin:interviews_interviewtoreview_assign": {
        "GET": admin(405, 405),
        "POST": admin(404, 404),
    },
    "admin:interviews_interviewtoreview_comment": {
        "GET": admin(405, 405),
        "POST": admin(404, 404),
    },
    "admin:interviews_interviewtoreview_delete_comment": {
        "GET": admin(405, 405),
        "POST": admin(404, 404),
    },
    # The approval console. Students get 403 everywhere under /admin/.
    "admin:index": both(BOTH_STAFF),
    "admin:login": {
        "GET": row(200, 403, 403, 302, 302),
        "POST": row(200, 403, 403, 200, 200),
    },
    "admin:logout": {
        "GET": row(302, 403, 403, 405, 405),
        "POST": row(302, 403, 403, LOGIN, LOGIN),
    },
    "admin:password_change": both(BOTH_STAFF),
    # The same page, throttled, routed before the admin's own (portal/urls.py).
    "admin_password_change": both(BOTH_STAFF),
    "admin:password_change_done": {"GET": BOTH_STAFF, "POST": admin(405, 405)},
    "admin:app_list": both(BOTH_STAFF),
    "admin:jsi18n": {"GET": BOTH_STAFF, "POST": admin(405, 405)},
    "admin:autocomplete": {"GET": admin(403, 403), "POST": admin(405, 405)},
    "admin:view_on_site": both(admin(404, 404)),  # no model has a public page
    "admin:<admin/(?P<url>.*)>": both(admin(404, 404)),
    "admin:auth_user_password_change": both(SUPERUSER_ONLY),
    **model_admin(
        "accounts_user",
        changelist=SUPERUSER_ONLY,
        change=SUPERUSER_ONLY,
        history=SUPERUSER_ONLY,
        add=SUPERUSER_ONLY,
        delete=SUPERUSER_ONLY,
        object_url=STAFF_REDIRECT,  # then 403 on the change page
    ),
    # The sent-email log (issue 13): superusers only, nothing to add.
    **model_admin(
        "accounts_sentemail",
        changelist=SUPERUSER_ONLY,
        change=(SUPERUSER_ONLY, admin(403, 302)),  # every field is read-only
        history=SUPERUSER_ONLY,
        add=admin(403, 403),
        delete=SUPERUSER_ONLY,
        object_url=STAFF_REDIRECT,
    ),
    # Waiting sign-ups (issue 12, finding 11): superusers only, read-only.
    **model_admin(
        "accounts_pendingsignup",
        changelist=SUPERUSER_ONLY,
        change=(SUPERUSER_ONLY, admin(403, 302)),
        history=SUPERUSER_ONLY,
        add=admin(403, 403),
        delete=SUPERUSER_ONLY,
        object_url=STAFF_REDIRECT,
    ),
    **model_admin(
        "auth_group",
        changelist=SUPERUSER_ONLY,
        change=SUPERUSER_ONLY,
        history=SUPERUSER_ONLY,
        add=SUPERUSER_ONLY,
        delete=SUPERUSER_ONLY,
        object_url=STAFF_REDIRECT,  # then 403 on the change page
    ),
    # Approvers may look at courses, not edit them.
    **model_admin(
        "interviews_interviewcourse",
        changelist=BOTH_STAFF,
        change=(BOTH_STAFF, SUPERUSER_ONLY),
        history=BOTH_STAFF,
        add=SUPERUSER_ONLY,
        delete=SUPERUSER_ONLY,
        object_url=STAFF_REDIRECT,
    ),
    # Requests come from students only and are never deleted (the audit trail).
    **model_admin(
        "interviews_interviewrequest",
        changelist=BOTH_STAFF,
        change=BOTH_STAFF,
        history=BOTH_STAFF,
        add=NOBODY,
        delete=NOBODY,
        object_url=STAFF_REDIRECT,
    ),
    # Review queues: the scene's interview is in neither, so its change page
    # sends staff back with "does not exist" (302); the review queue's change
    # page is the workbench's door, which has no such interview (404).
    **model_admin(
        "interviews_interviewtoreview",
        changelist=BOTH_STAFF,
        change=admin(404, 404),
        history=STAFF_REDIRECT,
        add=NOBODY,
        delete=NOBODY,
        object_url=STAFF_REDIRECT,
    ),
    **model_admin(
        "interviews_missedinterview",
        changelist=BOTH_STAFF,
        change=STAFF_REDIRECT,
        history=STAFF_REDIRECT,
        add=NOBODY,
        delete=NOBODY,
        object_url=STAFF_REDIRECT,
    ),
    # The share-link log: superusers read it; nobody adds or edits a link here.
    # The scene has no link, so object pages send the superuser back (302).
    **model_admin(
        "interviews_sharelink",
        changelist=SUPERUSER_ONLY,
        change=(admin(403, 302), admin(403, 403)),
        history=STAFF_REDIRECT,
        add=NOBODY,
        delete=admin(403, 302),
        object_url=STAFF_REDIRECT,
    ),
    # ---- Transcripts (issue 16) ----
    # The transcripts list: superusers read it (and transcribe again); the
    # engine writes them, nobody adds one. The scene has none: object pages
    # send the superuser back (302).
    **model_admin(
        "interviews_transcript",
        changelist=SUPERUSER_ONLY,
        change=admin(403, 302),
        history=STAFF_REDIRECT,
        add=NOBODY,
        delete=admin(403, 302),
        object_url=STAFF_REDIRECT,
    ),
    # Payments come from students only; only a superuser may delete one.
    **model_admin(
        "payments_payment",
        changelist=BOTH_STAFF,
        change=BOTH_STAFF,
        history=BOTH_STAFF,
        add=NOBODY,
        delete=SUPERUSER_ONLY,
        object_url=STAFF_REDIRECT,
    ),
    # Deciding is POST-only; a reject without remarks shows the form again.
    "admin:payments_payment_approve": {
        "GET": admin(405, 405),
        "POST": admin(302, 302),
    },
    "admin:payments_payment_reject": {
        "GET": admin(405, 405),
        "POST": admin(200, 200),
    },
    # ---- Analytics and metrics (issue 19) ----
    # Only holders of interviews.view_analytics (not the Approvers group).
    "admin_analytics": {
        "GET": row(ADMIN_LOGIN, 403, 403, 403, 200),
        "POST": row(ADMIN_LOGIN, 403, 403, 405, 405),
    },
    # METRICS_TOKEN is unset in the tests: the URL does not exist.
    "metrics": both(same(404)),
    # Statement import (issue 17): a POST without a file shows the form again.
    "admin:payments_payment_import_statement": {
        "GET": admin(200, 200),
        "POST": admin(200, 200),
    },
}


def _walk(resolver, namespace=None, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            joined = (
                f"{namespace}:{inner}" if namespace and inner else inner or namespace
            )
            yield from _walk(pattern, joined, route)
        elif isinstance(pattern, URLPattern):
            # Unnamed patterns (the admin's redirects and catch-all) go by route.
            name = pattern.name or f"<{route}>"
            yield (f"{namespace}:{name}" if namespace else name), (pattern, route)


def all_url_names():
    return sorted({name for name, _ in _walk(get_resolver())})


class Scene:
    """The student's course, payment, interview (room open) and one answer."""

    def __init__(self, student, other_student, approver, superuser):
        self.users = {
            "student": student,
            "other": other_student,
            "approver": approver,
            "superuser": superuser,
        }
        self.interview = open_interview(student, questions=2)
        self.course = self.interview.course
        self.payment = self.interview.payment
        first, self.unanswered = self.course.questions.order_by("order")
        self.answer = AnswerFactory(request=self.interview, question=first)
        self.group = Group.objects.get(name=APPROVERS_GROUP)
        self.student = student
        self.email = SentEmail.objects.create(key="test:1", template="t", to="a@b.c")
        self.signup = PendingSignup.start(
            request_id="matrix",
            lifetime=timedelta(days=1),
            username="waiting",
            full_name="Waiting",
            email="waiting@example.com",
            phone="9876543210",
            password="!",
        )[0]

    def kwargs_for(self, name, pattern, route):
        return {
            key: self._value(name, key, route)
            for key in pattern.pattern.regex.groupindex
        }

    def _value(self, name, key, route):
        if key == "slug":
            return self.course.slug
        if key == "public_id":
            if name.startswith("payments:"):
                return self.payment.public_id
            if name in ("interviews:answer_video", "interviews:answer_poster"):
                return self.answer.public_id
            return self.interview.public_id
        if key == "question_id":
            return self.unanswered.public_id
        if key in {"answer_id", "comment_id", "share_id"}:
            return self.answer.public_id  # no comment has it: 404
        if key == "uidb64":
            return urlsafe_base64_encode(force_bytes(self.student.pk))
        if key == "token":
            return "not-a-valid-token"
        if key == "url":  # the admin's catch-all
            return "no/such/page/"
        if key == "app_label":
            return "payments"
        if key == "content_type_id":
            return ContentType.objects.get_for_model(self.payment).pk
        if key in {"object_id", "id"}:
            model = name.removeprefix("admin:").rsplit("_", 1)[0]
            if not name.split(":")[-1][0].isalpha():  # unnamed: admin/<app>/<model>/
                model = "_".join(route.split("/")[1:3])
            return {
                "auth_group": self.group.pk,
                "auth_user_password": self.student.pk,
                "accounts_user": self.student.pk,
                "accounts_sentemail": self.email.pk,
                "accounts_pendingsignup": self.signup.pk,
                "payments_payment": self.payment.pk,
                "payments_payment_approve": self.payment.pk,
                "payments_payment_reject": self.payment.pk,
                "interviews_interviewcourse": self.course.pk,
                "interviews_interviewrequest": self.interview.pk,
                "interviews_interviewtoreview": self.interview.pk,
                "interviews_missedinterview": self.interview.pk,
            }.get(model, self.payment.pk)
        raise AssertionError(f"No value for <{key}> in {name}: add one to Scene")


def _client(scene, role):
    client = Client()
    if role != "anonymous":
        log_in_verified(client, scene.users[role])
    return client


def _outcome(response):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/accounts/login/"):
            return LOGIN
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
        if location.startswith(("http://", "https://")) and SUITE_ON_S3:
            return 200  # a file, served by the bucket (issue 15)
    return response.status_code


def _request(scene, role, method, path):
    client = _client(scene, role)
    with transaction.atomic():
        response = client.get(path) if method == "GET" else client.post(path, {})
        transaction.set_rollback(True)
    return response


def _patterns():
    return dict(_walk(get_resolver()))


def _path(scene, name, pattern, route):
    kwargs = scene.kwargs_for(name, pattern, route)
    if pattern.name:
        return reverse(name, kwargs=kwargs)
    # An unnamed pattern cannot be reversed: fill its route by hand.
    for key, value in kwargs.items():
        route = re.sub(rf"<(?:\w+:)?{key}>|\(\?P<{key}>[^)]*\)", str(value), route)
    return "/" + route


def _observe(student, other_student, approver, superuser):
    scene = Scene(student, other_student, approver, superuser)
    table = {}
    for name, (pattern, route) in sorted(_patterns().items()):
        path = _path(scene, name, pattern, route)
        for method in ("GET", "POST"):
            table[(name, method)] = [
                _outcome(_request(scene, role, method, path)) for role in ROLES
            ]
    return table


def test_every_url_has_a_row_in_the_matrix():
    names = set(_patterns())
    missing = sorted(names - set(EXPECTED))
    assert not missing, (
        f"New URLs with no row in EXPECTED (decide who may open them): {missing}"
    )
    stale = sorted(set(EXPECTED) - names)
    assert not stale, f"Rows for URLs that no longer exist: {stale}"


def test_every_url_answers_every_visitor_as_the_matrix_says(
    student, other_student, approver, superuser
):
    observed = _observe(student, other_student, approver, superuser)
    wrong = []
    for (name, method), statuses in sorted(observed.items()):
        expected = EXPECTED.get(name, {}).get(method)
        if expected is None:
            continue  # reported by the test above
        for role, status in zip(ROLES, statuses, strict=True):
            if status != expected[role]:
                wrong.append(
                    f"{method} {name} as {role}: {status}, expected {expected[role]}"
                )
    assert len(observed) >= 2 * 60
    assert not wrong, "\n".join(wrong)


def test_state_changes_are_post_only(student, other_student, approver, superuser):
    # Every view that changes something refuses GET.
    writes = [
        "accounts:logout",
        "interviews:cancel",
        "interviews:consent",
        "interviews:answer_chunk",
        "interviews:finish_answer",
        "admin:payments_payment_approve",
        "admin:payments_payment_reject",
    ]
    for name in writes:
        get = EXPECTED[name]["GET"]
        assert all(status in {405, LOGIN, ADMIN_LOGIN, 403} for status in get.values())
