"""The approvers' review console: watch and rate completed interviews, and give
missed interviews a new window."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from accounts.roles import OwnDecisionRefused
from interviews.models import (
    Answer,
    AnswerComment,
    InterviewToReview,
    MissedInterview,
    RequestStatus,
    ReviewAssignment,
)
from interviews.review_forms import (
    AnswerReviewForm,
    AssignForm,
    ReviewForm,
    TimedCommentForm,
)


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
class InterviewToReviewAdmin(InterviewConsoleMixin, admin.ModelAdmin):
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

    # ---- The review workbench (issue 16) ----

    def get_urls(self):
        view = self.admin_site.admin_view
        name = "interviews_interviewtoreview"
        return [
            path(
                "<path:object_id>/review/",
                view(self.review_view),
                name=f"{name}_review",
            ),
            path(
                "<path:object_id>/review/publish/",
                view(require_POST(self.publish_view)),
                name=f"{name}_publish",
            ),
            path(
                "<path:object_id>/review/assign/",
                view(require_POST(self.assign_view)),
                name=f"{name}_assign",
            ),
            path(
                "<path:object_id>/review/answers/<uuid:answer_id>/comments/",
                view(require_POST(self.comment_view)),
                name=f"{name}_comment",
            ),
            path(
                "<path:object_id>/review/comments/<uuid:comment_id>/delete/",
                view(require_POST(self.delete_comment_view)),
                name=f"{name}_delete_comment",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The workbench replaces the change page: one place to review.
        interview = self._get_reviewable(request, object_id)
        return redirect(review_url(interview))

    def _get_reviewable(self, request, object_id):
        if not request.user.has_perm("interviews.change_interviewtoreview"):
            raise PermissionDenied
        interview = self.get_object(request, object_id)
        if interview is None:
            raise Http404("No completed interview with this id.")
        return interview

    def _answers(self, interview):
        return list(
            interview.answers.select_related("question")
            .prefetch_related(
                "scores",
                Prefetch(
                    "timed_comments",
                    queryset=AnswerComment.objects.select_related("author"),
                ),
            )
            .order_by("question__order", "question__id")
        )

    def _forms(self, interview, answers, data=None):
        criteria = list(interview.course.rubric.all())
        review_form = ReviewForm(data, instance=interview)
        answer_forms = [
            AnswerReviewForm(data, answer=answer, criteria=criteria)
            for answer in answers
        ]
        if interview.reviewed_at is not None:  # published: shown, not edited
            for form in [review_form, *answer_forms]:
                for field in form.fields.values():
                    field.disabled = True
        return review_form, answer_forms

    def _shown_answers(self, request, answers):
        """All the answers, or only the n-th with ?answer=n (1-based)."""
        try:
            number = int(request.GET.get("answer", ""))
        except ValueError:
            return answers, None
        if not 1 <= number <= len(answers):
            return answers, None
        return [answers[number - 1]], number

    def review_view(self, request, object_id):
        interview = self._get_reviewable(request, object_id)
        answers, number = self._shown_answers(request, self._answers(interview))
        data = request.POST if request.method == "POST" else None
        review_form, answer_forms = self._forms(interview, answers, data)
        saved = data is not None and self._save_draft(
            request, interview, review_form, answer_forms
        )
        if saved:
            self.message_user(request, "Draft saved. The student sees nothing yet.")
            return redirect(request.get_full_path())
        return self._render_workbench(
            request, interview, review_form, answer_forms, number
        )

    def _save_draft(self, request, interview, review_form, answer_forms):
        """Save everything, or nothing when a form is invalid or the review was
        published meanwhile. Returns whether it saved."""
        if not all(form.is_valid() for form in [review_form, *answer_forms]):
            return False
        try:
            with transaction.atomic():
                if not review_form.save_draft(request.user):
                    self.message_user(
                        request,
                        "This review is already published; nothing was changed.",
                        messages.WARNING,
                    )
                    return False
                for form in answer_forms:
                    form.save()
        except OwnDecisionRefused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return False
        return True

    def publish_view(self, request, object_id):
        interview = self._get_reviewable(request, object_id)
        answers, number = self._shown_answers(request, self._answers(interview))
        review_form, answer_forms = self._forms(interview, answers, request.POST)
        forms_valid = all(form.is_valid() for form in [review_form, *answer_forms])
        if not (forms_valid and review_form.check_publishable()):
            return self._render_workbench(
                request, interview, review_form, answer_forms, number
            )
        if self._save_draft(request, interview, review_form, answer_forms):
            self._publish(request, interview)
        return redirect(review_url(interview))

    def _publish(self, request, interview):
        try:
            won = interview.publish_review(request.user)
        except OwnDecisionRefused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return
        if won:
            self.message_user(
                request,
                f"Published: {interview.student.display_name} was emailed "
                "a link to the feedback report.",
            )
        else:
            self.message_user(
                request, "Someone else already published this review.", messages.WARNING
            )

    def assign_view(self, request, object_id):
        """ "Assign to me" for an unassigned interview; a lead (who may change
        assignments) gives it to any reviewer."""
        interview = self._get_reviewable(request, object_id)
        is_lead = request.user.has_perm("interviews.change_reviewassignment")
        form = AssignForm(request.POST) if is_lead else None
        try:
            if form is not None and form.is_valid() and form.cleaned_data["reviewer"]:
                reviewer = form.cleaned_data["reviewer"]
                ReviewAssignment.assign(interview, reviewer, by=request.user)
                self.message_user(request, f"Assigned to {reviewer.display_name}.")
            elif ReviewAssignment.claim(interview, request.user):
                self.message_user(request, "Assigned to you.")
            else:
                self.message_user(
                    request, "Someone else already has this one.", messages.WARNING
                )
        except OwnDecisionRefused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
        return redirect(review_url(interview))

    def comment_view(self, request, object_id, answer_id):
        interview = self._get_reviewable(request, object_id)
        answer = interview.answers.filter(public_id=answer_id).first()
        if answer is None:
            raise Http404("No such answer in this interview.")
        form = TimedCommentForm(request.POST, answer=answer)
        if interview.reviewed_at is not None:
            self.message_user(
                request,
                "This review is already published; the comment was not added.",
                messages.WARNING,
            )
        elif form.is_valid():
            comment = form.save(author=request.user)
            self.message_user(request, f"Comment pinned at {comment.at_label}.")
        else:
            errors = "; ".join(e for field in form.errors.values() for e in field)
            self.message_user(request, f"Comment not added: {errors}", messages.ERROR)
        back = request.POST.get("next") or review_url(interview)
        if not back.startswith(review_url(interview)):
            back = review_url(interview)
        return redirect(f"{back}#answer-{answer.public_id}")

    def delete_comment_view(self, request, object_id, comment_id):
        interview = self._get_reviewable(request, object_id)
        comment = AnswerComment.objects.filter(
            public_id=comment_id, answer__request=interview
        ).first()
        if comment is None:
            raise Http404("No such comment in this interview.")
        if interview.reviewed_at is None:
            comment.delete()
            self.message_user(request, "Comment removed.")
        else:
            self.message_user(
                request,
                "This review is already published; the comment stays.",
                messages.WARNING,
            )
        return redirect(f"{review_url(interview)}#answer-{comment.answer.public_id}")

    def _render_workbench(self, request, interview, review_form, answer_forms, number):
        total = interview.answers.count() if number else len(answer_forms)
        items = [
            {
                "answer": form.answer,
                "form": form,
                "comment_form": TimedCommentForm(answer=form.answer),
                "number": number or index,
            }
            for index, form in enumerate(answer_forms, start=1)
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review: {interview.course} for {interview.student.display_name}",
            "subtitle": None,
            "interview": interview,
            "review_form": review_form,
            "items": items,
            "criteria": list(interview.course.rubric.all()),
            "number": number,
            "total": total,
            "published": interview.reviewed_at is not None,
            "assignment": ReviewAssignment.objects.filter(interview=interview)
            .select_related("reviewer")
            .first(),
            "assign_form": AssignForm()
            if request.user.has_perm("interviews.change_reviewassignment")
            else None,
            "review_url": review_url(interview),
            "report_url": reverse("interviews:report", args=[interview.public_id]),
        }
        return TemplateResponse(
            request, "admin/interviews/interviewtoreview/review.html", context
        )


def review_url(interview):
    return reverse("admin:interviews_interviewtoreview_review", args=[interview.pk])


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
class MissedInterviewAdmin(InterviewConsoleMixin, admin.ModelAdmin):
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
        won = obj.reopen(
            request.user, form.cleaned_data["new_start"], form.cleaned_data["note"]
        )
        if won:
            self.message_user(
                request, f"Reopened: {obj.student} was emailed the new time."
            )
        else:
            self.message_user(
                request, "Someone else already changed this interview.", "warning"
            )
