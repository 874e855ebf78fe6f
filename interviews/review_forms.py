"""The reviewer's workbench forms (issue 16): the overall review, one form per
answer (its rating, note and rubric scores), and a comment pinned to a moment."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.roles import APPROVERS_GROUP
from interviews.models import (
    AnswerComment,
    AnswerScore,
    InterviewRequest,
)
from portal.db import atomic

REVIEW_FORM_ID = "review-form"
RATING_CHOICES = [("", "Not rated")] + [(n, f"{n} / 5") for n in range(1, 6)]


def rating_field(label, **kwargs):
    return forms.TypedChoiceField(
        label=label,
        choices=RATING_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        **kwargs,
    )


class ReviewForm(forms.ModelForm):
    """The overall review. Saving it is a draft; publishing is a separate step."""

    overall_rating = rating_field("Overall rating")

    class Meta:
        model = InterviewRequest
        fields = ["overall_rating", "result", "feedback", "next_steps"]
        labels = {
            "feedback": "Overall feedback",
            "next_steps": "Next steps for the student",
        }
        help_texts = {
            "next_steps": "Two or three concrete things to practise before the "
            "next attempt.",
        }
        widgets = {
            "feedback": forms.Textarea(attrs={"rows": 5}),
            "next_steps": forms.Textarea(attrs={"rows": 4}),
        }

    def save_draft(self, by):
        """Returns False when the review was published meanwhile."""
        return self.instance.save_review_draft(by, **self.cleaned_data)

    def check_publishable(self):
        """Publishing needs more than a draft: the result and the rating."""
        if not self.cleaned_data.get("result"):
            self.add_error("result", "Choose the result before publishing.")
        if self.cleaned_data.get("overall_rating") is None:
            self.add_error(
                "overall_rating", "Give an overall rating before publishing."
            )
        return not self.errors


class AnswerReviewForm(forms.Form):
    """One answer: its rating, a note, and a score per rubric criterion."""

    rating = rating_field("Rating of this answer")
    comment = forms.CharField(
        label="Note on this answer",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, answer, criteria, **kwargs):
        self.answer = answer
        self.criteria = list(criteria)
        scores = {score.criterion_id: score.score for score in answer.scores.all()}
        kwargs.setdefault(
            "initial",
            {
                "rating": answer.rating,
                "comment": answer.comment,
                **{self.score_name(c): scores.get(c.pk) for c in self.criteria},
            },
        )
        kwargs.setdefault("prefix", f"answer-{answer.public_id}")
        super().__init__(*args, **kwargs)
        for criterion in self.criteria:
            self.fields[self.score_name(criterion)] = rating_field(criterion.name)
        # The fields sit beside the answer's player, outside the review <form>.
        for field in self.fields.values():
            field.widget.attrs["form"] = REVIEW_FORM_ID

    @staticmethod
    def score_name(criterion):
        return f"score_{criterion.pk}"

    def score_fields(self):
        """[(criterion, bound field)] in the rubric's order."""
        return [(c, self[self.score_name(c)]) for c in self.criteria]

    def save(self):
        answer = self.answer
        answer.rating = self.cleaned_data["rating"]
        answer.comment = self.cleaned_data["comment"]
        with atomic():
            answer.save(update_fields=["rating", "comment"])
            for criterion in self.criteria:
                score = self.cleaned_data[self.score_name(criterion)]
                if score is None:
                    AnswerScore.objects.filter(
                        answer=answer, criterion=criterion
                    ).delete()
                else:
                    AnswerScore.objects.update_or_create(
                        answer=answer, criterion=criterion, defaults={"score": score}
                    )


class TimedCommentForm(forms.ModelForm):
    """A comment at a moment of the recording. The field shows the time in
    seconds; static/js/workbench.js fills it from the player."""

    class Meta:
        model = AnswerComment
        fields = ["at_seconds", "text"]
        labels = {"at_seconds": "At (seconds)", "text": "Comment"}
        widgets = {
            "at_seconds": forms.NumberInput(attrs={"step": "0.1", "min": "0"}),
            "text": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, answer, **kwargs):
        self.answer = answer
        kwargs.setdefault("prefix", f"comment-{answer.public_id}")
        super().__init__(*args, **kwargs)

    def clean_at_seconds(self):
        at = self.cleaned_data["at_seconds"]
        duration = self.answer.duration_seconds
        if duration is not None and at > duration + 1:
            raise forms.ValidationError(
                f"The recording is only {duration:.0f} seconds long."
            )
        return at

    def save(self, author):
        self.instance.answer = self.answer
        self.instance.author = author
        return super().save()


class AssignForm(forms.Form):
    """A lead gives an interview to a reviewer."""

    reviewer = forms.ModelChoiceField(
        queryset=get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__name=APPROVERS_GROUP))
        .distinct()
        .order_by("full_name", "username"),
        required=False,
        label="Give it to",
    )
