from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from accounts.roles import OwnDecisionRefused, refuse_own_decision
from interviews import notifications, services
from interviews.forms import RejectForm, ScheduleForm
from interviews.models import (
    InterviewCourse,
    InterviewQuestion,
    InterviewRequest,
    RequestEvent,
    RequestStatus,
    RubricCriterion,
    ShareEvent,
    ShareLink,
)
from interviews.scheduling import overlapping_interviews
from portal.admin_emails import sent_emails_table
from portal.admin_filters import ListedLookupsOnlyMixin, StatusQueueFilter
from portal.dates import site_time


class InterviewQuestionInline(admin.TabularInline):
    model = InterviewQuestion
    extra = 1
    fields = ["order", "text", "preparation_seconds", "max_answer_seconds"]


class RubricCriterionInline(admin.StackedInline):  # issue 16
    model = RubricCriterion
    extra = 0
    fields = [
        ("name", "order"),
        "guide_1",
        "guide_2",
        "guide_3",
        "guide_4",
        "guide_5",
    ]
    verbose_name_plural = "rubric: what each answer is scored on, 1 to 5"


@admin.register(InterviewCourse)
class InterviewCourseAdmin(ListedLookupsOnlyMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "fee",
        "duration_minutes",
        "is_active",
        "display_order",
    ]
    list_editable = ["display_order"]
    list_filter = ["is_active"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [InterviewQuestionInline, RubricCriterionInline]


# ---- Interview requests: the scheduling console (issue 4) ----


class RequestStatusFilter(StatusQueueFilter):
    """Status, defaulting to the pending queue; "All" is an explicit choice."""

    status_choices = RequestStatus
    default = RequestStatus.PENDING


class UpcomingDateFilter(admin.DateFieldListFilter):
    """Dates an approver plans around: today, tomorrow, the next 7 days (site
    time zone). Same query parameters as Django's date filter."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
        today = local.replace(hour=0, minute=0, second=0, microsecond=0)

        def days(start, count):
            since = today + timedelta(days=start)
            return {
                self.lookup_kwarg_since: str(since),
                self.lookup_kwarg_until: str(since + timedelta(days=count)),
            }

        self.links = (
            ("Any date", {}),
            ("Today", days(0, 1)),
            ("Tomorrow", days(1, 1)),
            ("Next 7 days", days(0, 7)),
            ("Past", {self.lookup_kwarg_until: str(today)}),
        )


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    fields = ["created_at", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "audit entry"
    verbose_name_plural = "audit trail"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


def already_decided_message(interview):
    if interview.decided_by is not None:
        who = interview.decided_by.display_name
    elif interview.status == RequestStatus.CANCELLED:
        who = "the student"
    else:
        who = "someone else"
    return (
        f"Nothing saved: this request was already "
        f"{interview.get_status_display().lower()} by {who}."
    )


@admin.register(InterviewRequest)
class InterviewRequestAdmin(ListedLookupsOnlyMixin, admin.ModelAdmin):
    show_full_result_count = False  # no COUNT(*) of the whole table per view
    change_form_template = "admin/interviews/interviewrequest/change_form.html"
    list_display = [
        "student_column",
        "course",
        "preferred_time",
        "short_notes",
        "payment_link",
        "status",
        "scheduled_time",
    ]
    list_filter = [
        RequestStatusFilter,
        "course",
        ("preferred_at", UpcomingDateFilter),
        ("scheduled_at", UpcomingDateFilter),
    ]
    search_fields = ["student__username", "student__full_name", "student__email"]
    list_select_related = ["student", "course", "payment"]
    ordering = ["created_at"]
    list_per_page = 50
    actions = ["approve_at_preferred_times"]
    inlines = [RequestEventInline]
    fieldsets = [
        (None, {"fields": ["student_column", "course", "payment_link", "status"]}),
        ("Request", {"fields": ["preferred_time", "notes", "created_at"]}),
        (
            "Decision",
            {
                "fields": [
                    "scheduled_time",
                    "message_to_student",
                    "rejection_reason",
                    "decided_by",
                    "decided_at",
                    "cancelled_at",
                    "reminder_sent_at",
                ]
            },
        ),
        ("Emails", {"fields": ["emails_sent"]}),
    ]
    # Everything on the page is read-only: decisions go through the forms above
    # the fields (change_view), never through editing a field.
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description="Emails sent")
    def emails_sent(self, interview):
        return sent_emails_table(notifications.email_key_prefix(interview))

    def has_add_permission(self, request):
        return False  # students create requests; the console decides them

    def has_delete_permission(self, request, obj=None):
        return False  # the audit trail and payments depend on them

    @admin.display(description="student", ordering="student__username")
    def student_column(self, obj):
        return format_html(
            "{}<br><small>{} · {}</small>",
            obj.student.display_name,
            obj.student.username,
            obj.student.email,
        )

    @admin.display(
        description=f"preferred time ({settings.TIME_ZONE})", ordering="preferred_at"
    )
    def preferred_time(self, obj):
        return site_time(obj.preferred_at)

    @admin.display(
        description=f"scheduled ({settings.TIME_ZONE})", ordering="scheduled_at"
    )
    def scheduled_time(self, obj):
        return site_time(obj.scheduled_at)

    @admin.display(description="notes")
    def short_notes(self, obj):
        return Truncator(obj.notes).chars(60) or "-"

    @admin.display(description="payment")
    def payment_link(self, obj):
        try:
            url = reverse("admin:payments_payment_change", args=[obj.payment_id])
        except NoReverseMatch:
            return obj.payment.reference
        return format_html(
            '<a href="{}">{} ({})</a>',
            url,
            obj.payment.reference,
            obj.payment.get_status_display(),
        )

    @admin.action(description="Approve at the preferred times", permissions=["change"])
    def approve_at_preferred_times(self, request, queryset):
        counts = Counter()
        now = timezone.now()
        for interview in queryset.select_related("course", "student").order_by(
            "preferred_at"
        ):
            if interview.status != RequestStatus.PENDING:
                counts["already decided"] += 1
            elif interview.preferred_at <= now:
                counts["in the past"] += 1
            elif overlapping_interviews(
                interview.preferred_at, interview.course.duration, exclude=interview
            ):
                counts["overlapping another interview"] += 1
            else:
                counts[self._schedule_at_preferred_time(request, interview)] += 1
        approved = counts.pop("approved", 0)
        skipped = ", ".join(f"{n} {why}" for why, n in counts.items())
        message = f"Approved {approved} request{pluralize(approved)}."
        if skipped:
            message += f" Skipped: {skipped} (open each to decide it)."
        self.message_user(
            request, message, messages.SUCCESS if not counts else messages.WARNING
        )

    def _schedule_at_preferred_time(self, request, interview):
        try:
            won = services.schedule_interview(
                interview, request.user, interview.preferred_at
            )
        except OwnDecisionRefused:
            return "of your own (another approver decides those)"
        return "approved" if won else "already decided"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        interview = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        deciding = request.method == "POST" and (
            "_schedule" in request.POST or "_reject" in request.POST
        )
        if (
            interview is not None
            and request.method == "GET"
            and interview.status == RequestStatus.PENDING
        ):
            # Shown before the attempt: no decision forms on one's own request.
            try:
                refuse_own_decision(
                    request.user, interview.student, "interview request"
                )
            except OwnDecisionRefused as refused:
                self.message_user(request, refused.message, messages.WARNING)
                return super().change_view(request, object_id, form_url, extra_context)
        if interview is not None and (
            deciding or interview.status == RequestStatus.PENDING
        ):
            if deciding and not self.has_change_permission(request, interview):
                raise PermissionDenied
            try:
                response, forms = self._decision(request, interview, deciding)
            except OwnDecisionRefused as refused:
                self.message_user(request, refused.message, messages.ERROR)
                return redirect(request.path)
            if response is not None:
                return response
            extra_context.update(forms)
            extra_context["overlaps"] = forms["schedule_form"].overlaps
            # The forms are re-rendered with their errors on the change page; the
            # page itself is read-only, so it must not be "saved".
            request.method = "GET"
        return super().change_view(request, object_id, form_url, extra_context)

    def _decision(self, request, interview, deciding):
        initial = {
            "date": timezone.localtime(
                interview.preferred_at, timezone.get_default_timezone()
            ).date(),
            "time": timezone.localtime(
                interview.preferred_at, timezone.get_default_timezone()
            ).time(),
        }
        data = request.POST if deciding else None
        schedule_form = ScheduleForm(
            data if data and "_schedule" in data else None,
            initial=initial,
            interview=interview,
            prefix="schedule",
        )
        reject_form = RejectForm(
            data if data and "_reject" in data else None, prefix="reject"
        )
        if deciding:
            if interview.status != RequestStatus.PENDING:
                self.message_user(
                    request, already_decided_message(interview), messages.ERROR
                )
                return redirect(request.path), {}
            if "_schedule" in data and schedule_form.is_valid():
                won = services.schedule_interview(
                    interview,
                    request.user,
                    schedule_form.cleaned_data["scheduled_at"],
                    schedule_form.cleaned_data["message"],
                )
                return self._after_decision(request, interview, won, "scheduled"), {}
            if "_reject" in data and reject_form.is_valid():
                won = services.reject_interview(
                    interview, request.user, reject_form.cleaned_data["reason"]
                )
                return self._after_decision(request, interview, won, "rejected"), {}
        return None, {"schedule_form": schedule_form, "reject_form": reject_form}

    def _after_decision(self, request, interview, won, verb):
        if won:
            when = (
                f" for {site_time(interview.scheduled_at)}"
                if interview.scheduled_at
                else ""
            )
            self.message_user(
                request,
                f"{interview.course} for {interview.student.display_name}: "
                f"{verb}{when}. The student has been emailed.",
                messages.SUCCESS,
            )
            return redirect("admin:interviews_interviewrequest_changelist")
        self.message_user(request, already_decided_message(interview), messages.ERROR)
        return redirect(request.path)


# ---- Share links to outside mentors: the log (issue 16) ----


class ShareEventInline(admin.TabularInline):
    model = ShareEvent
    fields = ["created_at", "kind", "actor", "ip", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ShareLink)
class ShareLinkAdmin(ListedLookupsOnlyMixin, admin.ModelAdmin):
    """Who shared which interview, until when, and what happened to each link.
    Read-only: a link is made and revoked by the student on their report."""

    list_display = ["interview", "created_by", "created_at", "expires_at", "revoked_at"]
    list_select_related = ["interview__course", "interview__student", "created_by"]
    search_fields = ["interview__student__username", "interview__student__full_name"]
    fields = ["interview", "created_by", "created_at", "expires_at", "revoked_at"]
    readonly_fields = fields
    inlines = [ShareEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


from interviews import admin_review, admin_transcripts  # noqa: E402,F401
