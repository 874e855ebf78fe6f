"""The approvers' review console: watch and rate completed interviews, and give
missed interviews a new window."""

from django import forms
from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from interviews import notifications, services
from interviews.models import (
    Answer,
    AnswerState,
    InterviewToReview,
    MissedInterview,
    RequestStatus,
)
from portal.admin_filters import ListedLookupsOnlyMixin, RefuseOwnDecisionsMixin

RATING_CHOICES = [("", "Not rated")] + [(n, f"{n} / 5") for n in range(1, 6)]


def _rating_field(label):
    return forms.TypedChoiceField(
        label=label,
        choices=RATING_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
    )


class AnswerReviewForm(forms.ModelForm):
    rating = _rating_field("Rating")

    class Meta:
        model = Answer
        fields = ["rating", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3})}


class AnswerReviewInline(admin.StackedInline):
    model = Answer
    form = AnswerReviewForm
    fields = [
        "question_text",
        "recording",
        "duration",
        "file_size",
        "rating",
        "comment",
    ]
    readonly_fields = ["question_text", "recording", "duration", "file_size"]
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = "answer"
    verbose_name_plural = "answers: watch and rate each one"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("question")
            .order_by("question__order", "question__id")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Question")
    def question_text(self, answer):
        return answer.question.text

    @admin.display(description="Recording")
    def recording(self, answer):
        url = reverse("interviews:answer_video", args=[answer.public_id])
        poster = (
            reverse("interviews:answer_poster", args=[answer.public_id])
            if answer.poster
            else ""
        )
        return format_html(
            '<video controls preload="metadata" class="review-video" src="{}" '
            'poster="{}" width="480" height="360" style="max-width:100%;'
            'height:auto;background:#111">Your browser cannot play this '
            'recording. <a href="{}">Download it</a>.</video>',
            url,
            poster,
            url,
        )

    @admin.display(description="Duration")
    def duration(self, answer):
        if answer.state == AnswerState.FAILED:
            return f"unreadable recording ({answer.processing_error}): download it"
        if answer.duration_seconds is None:
            return "unknown"
        minutes, seconds = divmod(round(answer.duration_seconds), 60)
        return f"{minutes}:{seconds:02d}"

    @admin.display(description="Size")
    def file_size(self, answer):
        return filesizeformat(answer.size)


class ReviewForm(forms.ModelForm):
    overall_rating = _rating_field("Overall rating")
    email_feedback = forms.BooleanField(
        label="Email the feedback to the student",
        required=False,
        help_text="Sends the result and the feedback when you save.",
    )

    class Meta:
        model = InterviewToReview
        fields = ["overall_rating", "result", "feedback"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("email_feedback") and not (
            cleaned.get("result") and (cleaned.get("feedback") or "").strip()
        ):
            raise forms.ValidationError(
                "Choose a result and write the feedback before emailing it."
            )
        return cleaned


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
    RefuseOwnDecisionsMixin,
    InterviewConsoleMixin,
    admin.ModelAdmin,
):
    form = ReviewForm
    inlines = [AnswerReviewInline]
    list_display = [
        "student_name",
        "course",
        "completed_at",
        "answer_count",
        "is_reviewed",
        "overall_rating",
        "result",
    ]
    list_filter = [ReviewedFilter, "course", "result"]
    list_select_related = ["student", "course"]
    search_fields = ["student__username", "student__full_name", "student__email"]
    # No date_hierarchy: a SELECT DISTINCT over every completed interview on each
    # view, per row in Python on SQLite (docs/benchmarks.md).
    show_full_result_count = False
    ordering = ["completed_at", "id"]
    list_per_page = 50
    readonly_fields = [
        "student_name",
        "course",
        "scheduled_at",
        "completed_at",
        "reviewed_by",
        "reviewed_at",
    ]
    fieldsets = [
        (
            "Interview",
            {"fields": ["student_name", "course", "scheduled_at", "completed_at"]},
        ),
        (
            "Review",
            {
                "fields": [
                    "overall_rating",
                    "result",
                    "feedback",
                    "email_feedback",
                    "reviewed_by",
                    "reviewed_at",
                ]
            },
        ),
    ]

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

    @admin.display(description="Reviewed", boolean=True, ordering="reviewed_at")
    def is_reviewed(self, interview):
        return interview.reviewed_at is not None

    def save_model(self, request, obj, form, change):
        # Only the review fields: the status belongs to the transition methods.
        obj.check_reviewer(request.user)
        obj.reviewed_by = request.user
        obj.reviewed_at = timezone.now()
        obj.save(
            update_fields=[
                "overall_rating",
                "result",
                "feedback",
                "reviewed_by",
                "reviewed_at",
                "updated_at",
            ]
        )
        if form.cleaned_data.get("email_feedback"):
            notifications.send_feedback(obj)
            self.message_user(request, f"The feedback was emailed to {obj.student}.")


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
