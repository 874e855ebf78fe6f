"""The interview room: the student records one answer per question, in order."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_approver
from interviews import chunks, resumable
from interviews.cards import interview_words
from interviews.models import (
    Answer,
    InterviewQuestion,
    InterviewRequest,
    RequestStatus,
)
from interviews.uploads import UploadRefused, finish_interview, parse_duration
from portal.http import body_limit, private_file_response
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


def _get_question(interview, question_id):
    question = InterviewQuestion.objects.filter(
        public_id=question_id, course_id=interview.course_id
    ).first()
    if question is None:
        raise UploadRefused(
            "This question is not part of your interview.", 404, code="not_found"
        )
    return question


def _refused(refused):
    return JsonResponse(refused.as_json(), status=refused.status)


def _wants_json(request):
    return request.accepts("application/json") and not request.accepts("text/html")


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
    """A pure read: completing or marking an interview missed happens in the
    POSTs that submit answers and in close_missed_interviews."""
    interview = _get_interview_for_user(request, public_id)
    now = timezone.now()
    return render(
        request,
        "interviews/room.html",
        {
            "interview": interview,
            "phase": _room_phase(interview, now),
            "status_label": interview_words(interview)[0],
            "retention_days": settings.RECORDING_RETENTION_DAYS,
            "retakes": settings.INTERVIEW_RETAKES,
        },
    )


@login_required
@require_POST
def consent(request, public_id):
    interview = _get_interview_for_user(request, public_id)
    given = interview.give_consent()
    if _wants_json(request):
        return JsonResponse({"consent_given": given})
    return redirect("interviews:room", public_id=interview.public_id)


@never_cache
@login_required
@require_GET
def room_state(request, public_id):
    interview = _get_interview_for_user(request, public_id)
    answers = resumable.question_states(interview)
    questions = [
        {
            "public_id": str(question.public_id),
            "text": question.text,
            "preparation_seconds": question.preparation_seconds,
            "max_answer_seconds": question.max_answer_seconds,
            **answers.get(question.pk, resumable.no_answer_state()),
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
            "chunk_max_bytes": settings.ANSWER_CHUNK_MAX_BYTES,
            "questions": questions,
        }
    )


@body_limit("ANSWER_CHUNK_MAX_BYTES")  # refused from Content-Length, unread
@login_required
@require_POST
@ratelimit(
    key="user",
    rate="RATELIMIT_ANSWER_CHUNK",
    name="answer-chunk",
    message="You have sent answer chunks too many times in a short while.",
)
def answer_chunk(request, public_id, question_id):
    """One slice of the answer being recorded (interviews/resumable.py): the
    only way an answer arrives. Body limit: ANSWER_CHUNK_MAX_BYTES."""
    interview = _get_interview_for_user(request, public_id)
    try:
        question = _get_question(interview, question_id)
        attempt, offset, checksum = resumable.parse_chunk_headers(request.headers)
        data = resumable.read_chunk(request)
        answer, duplicate = resumable.receive_chunk(
            interview, question, attempt, offset, checksum, data
        )
    except UploadRefused as refused:
        return _refused(refused)
    return JsonResponse(
        {
            "answer": str(answer.public_id),
            "attempt": answer.attempt,
            "offset": answer.bytes_received,
            "duplicate": duplicate,
        },
        status=200 if duplicate else 201,
    )


@login_required
@require_POST
def finish_answer(request, public_id, question_id):
    """The student submits the take whose chunks all arrived; the last answer
    completes the interview. Body limit: small (no body)."""
    interview = _get_interview_for_user(request, public_id)
    try:
        question = _get_question(interview, question_id)
        try:
            attempt = int(request.headers.get("X-Attempt", ""))
            total = int(request.headers.get("X-Total-Bytes", ""))
        except ValueError:
            raise UploadRefused(
                "Submitting needs the X-Attempt and X-Total-Bytes headers.",
                code="bad_request",
            ) from None
        duration = parse_duration(request.headers.get("X-Duration"), question)
        answer = resumable.finish_take(interview, question, attempt, total, duration)
    except UploadRefused as refused:
        return _refused(refused)
    completed = finish_interview(interview)
    return JsonResponse(
        {"answer": str(answer.public_id), "state": answer.state, "completed": completed}
    )


@login_required
@require_GET
def answer_video(request, public_id):
    answer = _get_answer_for_user(request, public_id)
    if not answer.is_sealed and chunks.has_parts(answer.file.name):
        # On S3 a take is its parts until the worker puts them together: there
        # is no object to sign a URL for yet (the workbench says "processing").
        raise Http404("This recording is still being processed.")
    return private_file_response(
        request,
        answer.file.storage,
        answer.file.name,
        answer.content_type,
        playback=True,
    )


@login_required
@require_GET
def answer_poster(request, public_id):
    answer = _get_answer_for_user(request, public_id)
    if not answer.poster:
        raise Http404("No poster for this recording.")
    return private_file_response(
        request, answer.poster.storage, answer.poster.name, "image/jpeg"
    )
