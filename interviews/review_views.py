"""The student's feedback report (issue 16): what the reviewer published."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_approver
from interviews.models import AnswerScore, InterviewRequest, RequestStatus
from interviews.progress import CHART_HEIGHT, CHART_WIDTH, progress_for


def _get_report_for_user(request, public_id):
    """The student's own published report; approvers may also open it before
    publishing, as a preview. 404 for anyone else."""
    interview = get_object_or_404(
        InterviewRequest.objects.select_related("course", "student", "reviewed_by"),
        public_id=public_id,
        status=RequestStatus.COMPLETED,
    )
    if is_approver(request.user):
        return interview
    if interview.student_id == request.user.pk and interview.reviewed_at is not None:
        return interview
    raise Http404("No such feedback report.")


@login_required
@require_GET
def report(request, public_id):
    interview = _get_report_for_user(request, public_id)
    answers = (
        interview.answers.select_related("question", "transcript")
        .prefetch_related(
            Prefetch(
                "scores", queryset=AnswerScore.objects.select_related("criterion")
            ),
            "timed_comments",
        )
        .order_by("question__order", "question__id")
    )
    attempts, series = progress_for(interview.student, interview.course)
    return render(
        request,
        "interviews/report.html",
        {
            "interview": interview,
            "answers": answers,
            "attempts": attempts,
            "series": series,
            "chart_width": CHART_WIDTH,
            "chart_height": CHART_HEIGHT,
            "is_student": interview.student_id == request.user.pk,
            "share_links": list(interview.share_links.all()[:10]),
        },
    )


@login_required
@require_POST
def report_read(request, public_id):
    """static/js/report.js tells us the student opened the report (a POST: a
    GET never changes anything, even a "read" mark)."""
    interview = _get_report_for_user(request, public_id)
    if interview.student_id == request.user.pk:
        interview.mark_feedback_read()
    return HttpResponse(status=204)
