"""Data for the load and fault tests, built and checked *inside* the site under
test (run through `manage.py shell -c`), so they use the site's own database."""

import json
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone


def session_for(user):
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if user.is_staff or user.is_superuser:  # staff pass a second factor first
        from django_otp import DEVICE_ID_SESSION_KEY

        from accounts.testing import give_authenticator

        session[DEVICE_ID_SESSION_KEY] = give_authenticator(user).persistent_id
    session.create()
    return session.session_key


def build():
    from accounts.factories import UserFactory
    from accounts.roles import make_approver
    from interviews.factories import (
        InterviewCourseFactory,
        InterviewQuestionFactory,
        InterviewRequestFactory,
        ScheduledRequestFactory,
    )
    from payments.factories import CompletedPaymentFactory, PaymentFactory

    approver = make_approver(UserFactory(username="race-approver"))
    out = {"approver": session_for(approver)}

    # Approvers race to approve one payment.
    pending = PaymentFactory(course=InterviewCourseFactory(title="Approve race"))
    out["pending_payment"] = pending.pk

    # A student double-submits the payment form.
    payer = UserFactory(username="race-payer")
    out["payer"] = session_for(payer)
    out["pay_course"] = InterviewCourseFactory(title="Pay race").slug

    # A student double-submits the request form for one slot.
    requester = UserFactory(username="race-requester")
    paid = CompletedPaymentFactory(
        student=requester, course=InterviewCourseFactory(title="Request race")
    )
    local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    slot = (local + timedelta(days=2)).replace(hour=10, minute=0)
    out["requester"] = session_for(requester)
    out["request_course"] = paid.course.slug
    out["slot"] = {"date": slot.strftime("%Y-%m-%d"), "time": "10:00"}

    # Approvers race to schedule one request.
    to_schedule = InterviewRequestFactory(
        course=InterviewCourseFactory(title="Schedule race")
    )
    out["pending_request"] = to_schedule.pk

    # A student's answer arrives twice at once (the last question: it completes).
    recorder = UserFactory(username="race-recorder")
    interview = ScheduledRequestFactory(
        student=recorder,
        course=InterviewCourseFactory(title="Upload race"),
        consent_given_at=timezone.now(),
    )
    question = InterviewQuestionFactory(course=interview.course, order=1)
    out["recorder"] = session_for(recorder)
    out["interview"] = str(interview.public_id)
    out["question"] = str(question.public_id)
    print("RESULT " + json.dumps(out))


def counts():
    from accounts.models import User
    from interviews.models import Answer, InterviewRequest, RequestEvent
    from payments.models import Payment, PaymentEvent

    out = {
        "payments": Payment.objects.count(),
        "payment_events": PaymentEvent.objects.count(),
        "requests": InterviewRequest.objects.count(),
        "request_events": RequestEvent.objects.count(),
        "answers": Answer.objects.count(),
        "usernames": sorted(User.objects.values_list("username", flat=True)),
        "by_course": {
            title: {
                "payments": Payment.objects.filter(course__title=title).count(),
                "completed": Payment.objects.filter(
                    course__title=title, status="completed"
                ).count(),
                "approvals": PaymentEvent.objects.filter(
                    payment__course__title=title, to_status="completed"
                ).count(),
                "requests": InterviewRequest.objects.filter(
                    course__title=title
                ).count(),
                "scheduled": RequestEvent.objects.filter(
                    request__course__title=title, to_status="scheduled"
                ).count(),
                "answers": Answer.objects.filter(request__course__title=title).count(),
            }
            for title in [
                "Approve race",
                "Pay race",
                "Request race",
                "Schedule race",
                "Upload race",
            ]
        },
    }
    print("RESULT " + json.dumps(out))


def build_faults():
    from accounts.factories import UserFactory
    from accounts.roles import make_approver
    from interviews.factories import InterviewQuestionFactory, ScheduledRequestFactory

    make_approver(UserFactory(username="fault-approver"))
    recorder = UserFactory(username="fault-recorder")
    interview = ScheduledRequestFactory(
        student=recorder, consent_given_at=timezone.now()
    )
    questions = [
        InterviewQuestionFactory(course=interview.course, order=n) for n in (1, 2, 3)
    ]
    print(
        "RESULT "
        + json.dumps(
            {
                "recorder": session_for(recorder),
                "interview": str(interview.public_id),
                "questions": [str(q.public_id) for q in questions],
            }
        )
    )


def fault_counts():
    """What the site holds. A sign-up is acknowledged once its task is queued
    (issue 12, finding 11), so the queue is drained first, as a worker would."""
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    from accounts.models import PendingSignup, User
    from interviews.models import Answer

    autodiscover_modules("tasks")  # as run_huey does, so each task is known
    while (task := HUEY.dequeue()) is not None:
        HUEY.execute(task)
    signed_up = {*User.objects.values_list("username", flat=True)}
    signed_up |= {*PendingSignup.objects.values_list("username", flat=True)}
    print(
        "RESULT "
        + json.dumps(
            {
                "answers": Answer.objects.count(),
                "usernames": sorted(signed_up),
            }
        )
    )
