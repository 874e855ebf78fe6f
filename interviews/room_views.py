"""The interview room: the student records one answer per question, in order."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_approver
from interviews.models import (
    Answer,
    InterviewQuestion,
    InterviewRequest,
    RequestStatus,
)
from interviews.uploads import (
    UploadRefused,
    check_can_answer,
    finish_interview,
    parse_duration,
    receive_recording,
    store_answer,
)
from portal.http import body_limit, ranged_file_response
from portal.ratelimit import ratelimit


def _get_interview_for_user(request, public_id):
    """The student's own interview; 404 for anyone else's."""
    return get_object_or_404(
        InterviewRequest.objects.select_related("course", "payment"),
        public_id=public_id,
        student=request.user,
    )


def _get_answer_for_user(request, public_id):
    """An answer its student or an approver may watch; 404 for anyone else."""
    answer = get_object_or_404(
        Answer.objects.select_related("request"), public_id=public_id
    )
    if answer.request.student_id != request.user.pk and not is_approver(request.user):
        raise Http404("No such recording.")
    return answer


def _room_phase(interview, now):
    if interview.status == RequestStatus.SCHEDULED:
        if now < interview.room_opens_at:
            return "not_yet"
        if interview.room_is_open(now):
            return "open"
        return "closed"
    return interview.status  # completed, missed, pending, cancelled, rejected


@never_cache
@login_required
@require_GET
def room(request, public_id):
    interview = _get_interview_for_user(request, public_id)
    now = timezone.now()
    # Catch up lazily: cron runs close_missed_interviews, but this page must not
    # wait for it.
    finishable = (RequestStatus.SCHEDULED, RequestStatus.MISSED)
    if interview.status in finishable and not finish_interview(interview):
        interview.mark_missed(now)
    return render(
        request,
        "interviews/room.html",
        {
            "interview": interview,
            "phase": _room_phase(interview, now),
            "retention_days": settings.RECORDING_RETENTION_DAYS,
            "retakes": settings.INTERVIEW_RETAKES,
        },
    )


@login_required
@require_POST
def consent(request, public_id):
    interview = _get_interview_for_user(request, public_id)
    if interview.consent_given_at is None and interview.room_is_open():
        # Not a status change: a timestamp the first accept sets.
        InterviewRequest.objects.filter(
            pk=interview.pk, consent_given_at__isnull=True
        ).update(consent_given_at=timezone.now())
    if request.accepts("application/json") and not request.accepts("text/html"):
        interview.refresh_from_db(fields=["consent_given_at"])
        return JsonResponse({"consent_given": interview.consent_given_at is not None})
    return redirect("interviews:room", public_id=interview.public_id)


@never_cache
@login_required
@require_GET
def room_state(request, public_id):
    interview = _get_interview_for_user(request, public_id)
    answered = set(
        Answer.objects.filter(request=interview)
        .order_by()
        .values_list("question_id", flat=True)
    )
    questions = [
        {
            "public_id": str(question.public_id),
            "text": question.text,
            "preparation_seconds": question.preparation_seconds,
            "max_answer_seconds": question.max_answer_seconds,
            "answered": question.pk in answered,
        }
        for question in interview.course.questions.order_by("order", "id")
    ]
    return JsonResponse(
        {
            "status": interview.status,
            "room_open": interview.room_is_open(),
            "closes_at": interview.room_closes_at.isoformat()
            if interview.room_closes_at
            else None,
            "consent_given": interview.consent_given_at is not None,
            "retakes": settings.INTERVIEW_RETAKES,
            "max_bytes": settings.ANSWER_MAX_BYTES,
            "questions": questions,
        }
    )


@body_limit("ANSWER_MAX_BYTES")  # the only large bodies (issue 12, finding 3)
@login_required
@require_POST
@ratelimit(
    key="user",
    rate="RATELIMIT_UPLOAD",
    name="answer-upload",
    message="You have uploaded answers too many times in a short while.",
)
def upload_answer(request, public_id, question_id):
    """The recorded Blob arrives as the raw request body (see static/js/room.js)."""
    interview = _get_interview_for_user(request, public_id)
    try:
        question = InterviewQuestion.objects.filter(public_id=question_id).first()
        if question is None:
            raise UploadRefused("This question is not part of your interview.", 404)
        check_can_answer(interview, question)
        upload = receive_recording(request)
        duration = parse_duration(request.headers.get("X-Duration"), question)
        answer = store_answer(interview, question, upload, duration)
    except UploadRefused as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    completed = finish_interview(interview)
    return JsonResponse(
        {"answer": str(answer.public_id), "completed": completed}, status=201
    )


@login_required
@require_GET
def answer_video(request, public_id):
    answer = _get_answer_for_user(request, public_id)
    return ranged_file_response(
        request, answer.file.storage, answer.file.name, answer.content_type
    )
