import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from interviews import services
from interviews.cards import card_states_for, interview_words
from interviews.forms import InterviewRequestForm
from interviews.models import (
    OPEN_REQUEST_STATUSES,
    InterviewCourse,
    InterviewRequest,
    RequestStatus,
)
from interviews.scheduling import RequestRefused, create_request, usable_payment_for
from payments.models import Payment, PaymentStatus


def _courses_with_cards(user):
    courses = InterviewCourse.catalogue()
    states = card_states_for(user, courses)
    for course in courses:
        course.card = states[course.pk]
    return courses


@login_required
@require_GET
def dashboard(request):
    courses = _courses_with_cards(request.user)
    return render(request, "interviews/dashboard.html", {"courses": courses})


@login_required
@require_GET
def course_list(request):
    courses = _courses_with_cards(request.user)
    return render(request, "interviews/course_list.html", {"courses": courses})


@login_required
@require_GET
def card_states(request):
    """The card states of the active courses, for static/js/cards.js."""
    cards = {}
    for course in _courses_with_cards(request.user):
        cards[course.slug] = {
            "key": course.card.key,
            "badge": course.card.badge,
            "waiting": course.card.should_poll,
            # The partial needs only its state: no request, so no context
            # processors run for each card.
            "html": render_to_string(
                "interviews/_card_state.html", {"state": course.card}
            ),
        }
    response = JsonResponse(
        {
            "cards": cards,
            "waiting": any(card["waiting"] for card in cards.values()),
            "poll_seconds": settings.STATUS_POLL_SECONDS,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def _get_course_for_request(slug):
    return get_object_or_404(InterviewCourse, slug=slug, is_active=True)


@login_required
def request_interview(request, slug):
    course = _get_course_for_request(slug)
    if usable_payment_for(request.user, course) is None:
        open_request = InterviewRequest.objects.filter(
            student=request.user, course=course, status__in=OPEN_REQUEST_STATUSES
        ).exists()
        messages.error(
            request,
            "You already have an open interview request for this course."
            if open_request
            else "You need a verified payment for this course before requesting "
            "an interview.",
        )
        return redirect("interviews:my_interviews")
    form = InterviewRequestForm(request.POST or None, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            create_request(
                request.user,
                course,
                form.cleaned_data["preferred_at"],
                form.cleaned_data["notes"],
            )
        except RequestRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                f"Your request for {course.title} is sent. An approver will "
                "confirm the time; this page and the dashboard update by themselves.",
            )
            return redirect("dashboard")
    return render(
        request, "interviews/request_form.html", {"course": course, "form": form}
    )


def _my_interviews_page(request):
    """The page of the student's payments with their requests, and whether
    anything on it waits on an approver (then the page polls)."""
    requests = InterviewRequest.objects.select_related("course").order_by("-created_at")
    payments = (
        Payment.objects.filter(student=request.user)
        .select_related("course")
        .prefetch_related(Prefetch("interview_requests", queryset=requests))
        .order_by("-created_at")
    )
    page = Paginator(payments, 10).get_page(request.GET.get("page"))
    now = timezone.now()
    waiting = False
    # Changes whenever anything the student sees changes (the HTML itself
    # differs on every render: the CSRF token is masked afresh).
    key = []
    for payment in page:
        waiting = waiting or payment.status == PaymentStatus.PENDING_VERIFICATION
        key.append(f"{payment.public_id}:{payment.status}:{payment.consumed_at}")
        for interview in payment.interview_requests.all():
            interview.cancellable = interview.can_cancel(now)
            interview.label, interview.tone = interview_words(interview)
            waiting = waiting or _waits_on_approver(interview)
            key.append(
                f"{interview.public_id}:{interview.status}:{interview.cancellable}:"
                f"{interview.reviewed_at}:{interview.feedback_read_at}"
            )
    state_key = hashlib.sha256("|".join(key).encode()).hexdigest()[:16]
    return {"page": page, "waiting": waiting, "state_key": state_key}


def _waits_on_approver(interview):
    return interview.status == RequestStatus.PENDING or (
        interview.status == RequestStatus.COMPLETED and interview.reviewed_at is None
    )


@login_required
@require_GET
def my_interviews(request):
    return render(
        request, "interviews/my_interviews.html", _my_interviews_page(request)
    )


@login_required
@require_GET
def my_interviews_state(request):
    """The list of My interviews, for static/js/my_interviews.js to swap in."""
    context = _my_interviews_page(request)
    html = render_to_string(
        "interviews/_my_interviews_list.html", context, request=request
    )
    response = JsonResponse(
        {
            "html": html,
            "key": context["state_key"],
            "waiting": context["waiting"],
            "poll_seconds": settings.STATUS_POLL_SECONDS,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def _get_request_for_user(request, public_id):
    """The user's own interview request, or 404 (never someone else's)."""
    try:
        return InterviewRequest.objects.select_related("course", "student").get(
            public_id=public_id, student=request.user
        )
    except InterviewRequest.DoesNotExist as exc:
        raise Http404("No such interview request.") from exc


@login_required
@require_POST
def cancel(request, public_id):
    interview = _get_request_for_user(request, public_id)
    if services.cancel_interview(interview, by=request.user):
        messages.success(
            request,
            f"Your {interview.course.title} interview is cancelled. Your payment "
            "still counts: request a new time whenever you are ready.",
        )
    elif interview.status == RequestStatus.SCHEDULED:
        messages.error(
            request,
            "It is too late to cancel: interviews can be cancelled until "
            f"{settings.INTERVIEW_CANCEL_CUTOFF_HOURS} hours before they start.",
        )
    else:
        # In the card's words, as everywhere the student reads a state.
        label, _tone = interview_words(interview)
        messages.error(request, f"Nothing was cancelled: this request is “{label}”.")
    return redirect("interviews:my_interviews")
