"""The approvers' review console: watch and rate completed interviews, and give
missed interviews a new window."""

from django import forms
from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from accounts.roles import OwnDecisionRefused
from interviews import services
from interviews.models import (
    Answer,
    InterviewToReview,
    MissedInterview,
    RequestStatus,
    ReviewAssignment,
)
from interviews.workbench import ReviewWorkbenchMixin, review_url
from portal.admin_filters import ListedLookupsOnlyMixin, RefuseOwnDecisionsMixin


class ReviewedFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "reviewed"

    def lookups(self, request, model_admin):
        return [("no", "Not reviewed"), ("yes", "Reviewed")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(reviewed_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(reviewed_at__isnull=False)
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = "reviewer"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("nobody", "Unassigned")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignment__reviewer=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignment__isnull=True)
        return queryset


class InterviewConsoleMixin:
    """Students create interviews and their audit trail must stay: the console
    never adds or deletes one."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Student", ordering="student__full_name")
    def student_name(self, interview):
        return f"{interview.student.display_name} ({interview.student.username})"


@admin.register(InterviewToReview)
class InterviewToReviewAdmin(
    ListedLookupsOnlyMixin,
    ReviewWorkbenchMixin,
    InterviewConsoleMixin,
    admin.ModelAdmin,
):
    """The queue of completed interviews; each opens in the review workbench
    (a custom view: one answer at a time or all, the rubric, draft, publish)."""

    list_display = [
        "student_name",
        "course",
        "completed_at",
        "waiting",
        "answer_count",
        "reviewer",
        "is_reviewed",
        "overall_rating",
        "result",
        "review_link",
    ]
    list_filter = [ReviewedFilter, AssignedFilter, "course", "result"]
    list_select_related = ["student", "course", "assignment__reviewer"]
    actions = ["assign_to_me"]
    search_fields = ["student__username", "student__full_name", "student__email"]
    # No date_hierarchy: a SELECT DISTINCT over every completed interview on each
    # view, per row in Python on SQLite (docs/benchmarks.md).
    show_full_result_count = False
    ordering = ["completed_at", "id"]
    list_per_page = 50

    def get_queryset(self, request):
        answer_counts = (
            Answer.objects.filter(request=OuterRef("pk"))
            .order_by()
            .values("request")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .filter(status=RequestStatus.COMPLETED)
            # A subquery, not GROUP BY: the page and its count stay index scans.
            .annotate(answer_total=Coalesce(Subquery(answer_counts), 0))
        )

    @admin.display(description="Answers", ordering="answer_total")
    def answer_count(self, interview):
        return interview.answer_total

    @admin.display(description="Published", boolean=True, ordering="reviewed_at")
    def is_reviewed(self, interview):
        return interview.reviewed_at is not None

    @admin.display(description="Waiting")
    def waiting(self, interview):
        if interview.reviewed_at is not None or interview.completed_at is None:
            return "—"
        return timesince(interview.completed_at).split(",")[0]

    @admin.display(description="Reviewer", ordering="assignment__reviewer__username")
    def reviewer(self, interview):
        assignment = getattr(interview, "assignment", None)
        return assignment.reviewer.display_name if assignment else "—"

    @admin.action(description="Assign the selected interviews to me")
    def assign_to_me(self, request, queryset):
        claimed = 0
        for interview in queryset.filter(assignment__isnull=True):
            try:
                claimed += ReviewAssignment.claim(interview, request.user)
            except OwnDecisionRefused:
                continue
        self.message_user(
            request,
            f"{claimed} interview{pluralize(claimed)} assigned to you; the others "
            "already had a reviewer (or are your own)."
            if claimed < queryset.count()
            else f"{claimed} interview{pluralize(claimed)} assigned to you.",
        )

    @admin.display(description="Review")
    def review_link(self, interview):
        label = "Open" if interview.reviewed_at else "Review"
        return format_html('<a href="{}">{}</a>', review_url(interview), label)


class ReopenForm(forms.ModelForm):
    new_start = forms.SplitDateTimeField(
        label="New start time",
        widget=admin.widgets.AdminSplitDateTime,
        help_text="In the site's time zone. The student gets an email with the "
        "new time; the answers they already recorded are kept.",
    )
    note = forms.CharField(
        label="Note for the audit trail", required=False, max_length=500
    )

    class Meta:
        model = MissedInterview
        fields = []

    def clean_new_start(self):
        value = self.cleaned_data["new_start"]
        if value <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return value


@admin.register(MissedInterview)
class MissedInterviewAdmin(
    ListedLookupsOnlyMixin,
    RefuseOwnDecisionsMixin,
    InterviewConsoleMixin,
    admin.ModelAdmin,
):
    form = ReopenForm
    list_display = ["student_name", "course", "scheduled_at", "answered"]
    list_filter = ["course"]
    list_select_related = ["student", "course"]
    search_fields = ["student__username", "student__full_name", "student__email"]
    ordering = ["-scheduled_at", "id"]
    readonly_fields = ["student_name", "course", "scheduled_at", "answered"]
    fields = ["student_name", "course", "scheduled_at", "answered", "new_start", "note"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=RequestStatus.MISSED)
            .annotate(
                answer_total=Count("answers", distinct=True),
                question_total=Count("course__questions", distinct=True),
            )
        )

    @admin.display(description="Questions answered")
    def answered(self, interview):
        return f"{interview.answer_total} of {interview.question_total}"

    def render_change_form(self, request, context, *args, **kwargs):
        # Once reopened the interview leaves this list: nothing to continue editing.
        context.update(show_save_and_continue=False, show_save_and_add_another=False)
        return super().render_change_form(request, context, *args, **kwargs)

    def save_model(self, request, obj, form, change):
        won = services.reopen_interview(
            obj, request.user, form.cleaned_data["new_start"], form.cleaned_data["note"]
        )
        if won:
            self.message_user(
                request, f"Reopened: {obj.student} was emailed the new time."
            )
        else:
            self.message_user(
                request, "Someone else already changed this interview.", "warning"
            )
