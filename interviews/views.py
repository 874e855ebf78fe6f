from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render

from interviews.models import InterviewCourse


def _active_courses():
    # Meta.ordering is ignored by aggregate queries, so order explicitly.
    return (
        InterviewCourse.objects.filter(is_active=True)
        .annotate(question_count=Count("questions"))
        .order_by("display_order", "title")
    )


@login_required
def dashboard(request):
    return render(request, "interviews/dashboard.html", {"courses": _active_courses()})


@login_required
def course_list(request):
    return render(
        request, "interviews/course_list.html", {"courses": _active_courses()}
    )
