"""The review workbench (issue 16): a custom admin view of one completed
interview, mixed into the review queue's ModelAdmin. One answer at a time or
all; the rubric; comments pinned to moments; draft, publish, assign."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.roles import OwnDecisionRefused
from interviews.models import AnswerComment, ReviewAssignment
from interviews.review_forms import (
    AnswerReviewForm,
    AssignForm,
    ReviewForm,
    TimedCommentForm,
)
from portal.db import atomic


class ReviewWorkbenchMixin:
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
            interview.answers.select_related("question", "transcript")
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
            with atomic():
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
