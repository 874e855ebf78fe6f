"""Sharing a feedback report with an outside mentor (issue 16): the student (or
an approver) makes a link with an expiry and an access code; someone without an
account opens it with the code, watches the recordings and leaves comments."""

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from interviews.models import Answer, AnswerComment, ShareEvent, ShareLink
from interviews.review_views import _get_report_for_user
from portal.clientip import client_ip
from portal.dates import site_time
from portal.http import private_file_response
from portal.ratelimit import ratelimit

logger = logging.getLogger(__name__)
SESSION_KEY = "share_links"


class ShareForm(forms.Form):
    days = forms.TypedChoiceField(
        label="The link works for",
        choices=[(1, "1 day"), (7, "7 days"), (30, "30 days")],
        coerce=int,
        initial=7,
    )


class CodeForm(forms.Form):
    code = forms.CharField(label="Access code", max_length=20)


class MentorCommentForm(forms.ModelForm):
    class Meta:
        model = AnswerComment
        fields = ["mentor_name", "at_seconds", "text"]
        labels = {
            "mentor_name": "Your name",
            "at_seconds": "At (seconds)",
            "text": "Comment",
        }
        widgets = {
            "at_seconds": forms.NumberInput(attrs={"step": "0.1", "min": "0"}),
            "text": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, answer, **kwargs):
        self.answer = answer
        kwargs.setdefault("prefix", f"comment-{answer.public_id}")
        super().__init__(*args, **kwargs)
        self.fields["mentor_name"].required = True


# ---- The student's side: make and revoke links ----


@login_required
@require_POST
def create_share(request, public_id):
    interview = _get_report_for_user(request, public_id)
    form = ShareForm(request.POST)
    if interview.reviewed_at is None:
        messages.error(request, "Only a published review can be shared.")
    elif form.is_valid():
        link, token, code = ShareLink.create_for(
            interview, request.user, form.cleaned_data["days"]
        )
        url = request.build_absolute_uri(reverse("interviews:shared", args=[token]))
        # Shown once: only hashes are stored.
        messages.success(
            request,
            f"Share this link: {url} with the access code {code}. It works until "
            f"{site_time(link.expires_at)} unless you revoke it. "
            "Copy both now: they are not shown again.",
        )
        logger.info("share link %s created for %s", link.public_id, interview.pk)
    return redirect(reverse("interviews:report", args=[public_id]) + "#share")


@login_required
@require_POST
def revoke_share(request, public_id, share_id):
    interview = _get_report_for_user(request, public_id)
    link = get_object_or_404(ShareLink, public_id=share_id, interview=interview)
    if link.revoke(request.user):
        messages.success(request, "The link is revoked: it no longer opens.")
    return redirect(reverse("interviews:report", args=[public_id]) + "#share")


# ---- The mentor's side: no account, the link and its code ----


def _get_live_share(token):
    link = (
        ShareLink.live()
        .select_related("interview__course", "interview__student")
        .filter(token_hash=ShareLink.hash_token(token))
        .first()
    )
    if link is None:
        raise Http404("This link does not exist, has expired or was revoked.")
    return link


def _granted(request, link):
    return str(link.public_id) in request.session.get(SESSION_KEY, [])


def _private(response):
    # The token is in the URL: never indexed, cached or sent to another site as
    # a referrer ("no-referrer" would also blank the Origin of its own forms).
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def _share_key(request):
    return "share:" + ShareLink.hash_token(request.resolver_match.kwargs["token"])


@ratelimit(key="ip", rate="10/15m", name="share-code")
@ratelimit(key=_share_key, rate="30/h", name="share-code-link")
def shared(request, token):
    link = _get_live_share(token)
    if not _granted(request, link):
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if link.check_code(form.cleaned_data["code"]):
                request.session[SESSION_KEY] = [
                    *request.session.get(SESSION_KEY, []),
                    str(link.public_id),
                ]
                link.log(ShareEvent.Kind.OPENED, ip=client_ip(request))
                return _private(redirect(request.path))
            link.log(ShareEvent.Kind.WRONG_CODE, ip=client_ip(request))
            form.add_error("code", "That code does not open this link.")
        return _private(
            render(request, "interviews/shared_code.html", {"form": form, "link": link})
        )
    answers = (
        link.interview.answers.select_related("question", "transcript")
        .prefetch_related("timed_comments__author")
        .order_by("question__order", "question__id")
    )
    items = [
        {"answer": answer, "form": MentorCommentForm(answer=answer)}
        for answer in answers
    ]
    return _private(
        render(
            request,
            "interviews/shared.html",
            {"link": link, "interview": link.interview, "items": items, "token": token},
        )
    )


def _get_shared_answer(request, token, answer_id):
    link = _get_live_share(token)
    if not _granted(request, link):
        raise Http404("Open the link with its code first.")
    answer = get_object_or_404(Answer, public_id=answer_id, request=link.interview)
    return link, answer


@require_GET
def shared_video(request, token, answer_id):
    _link, answer = _get_shared_answer(request, token, answer_id)
    return _private(
        private_file_response(
            request,
            answer.file.storage,
            answer.file.name,
            answer.content_type,
            playback=True,
        )
    )


@require_POST
@ratelimit(key="ip", rate="30/h", name="share-comment")
def shared_comment(request, token, answer_id):
    link, answer = _get_shared_answer(request, token, answer_id)
    form = MentorCommentForm(request.POST, answer=answer)
    if form.is_valid():
        comment = form.save(commit=False)
        comment.answer, comment.share = answer, link
        comment.save()
        link.log(
            ShareEvent.Kind.COMMENTED,
            ip=client_ip(request),
            note=comment.mentor_name[:200],
        )
        messages.success(request, f"Your comment at {comment.at_label} is saved.")
    else:
        errors = "; ".join(e for field in form.errors.values() for e in field)
        messages.error(request, f"Comment not saved: {errors}")
    return _private(
        redirect(
            reverse("interviews:shared", args=[token]) + f"#answer-{answer.public_id}"
        )
    )
