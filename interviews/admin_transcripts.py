"""The console's list of transcripts (issue 16, item 9): which engine made
each, which failed and why, and "transcribe again" (after changing engines, or
once a failure's cause is fixed). Read-only: a transcript is the engine's."""

from django.contrib import admin
from django.template.defaultfilters import pluralize
from django.utils.text import Truncator

from interviews.models import Transcript
from portal.admin_filters import ListedLookupsOnlyMixin


@admin.register(Transcript)
class TranscriptAdmin(ListedLookupsOnlyMixin, admin.ModelAdmin):
    list_display = ["answer", "student", "state", "engine", "start", "updated_at"]
    list_filter = ["state", "engine"]
    list_select_related = ["answer__question", "answer__request__student"]
    search_fields = [
        "answer__request__student__username",
        "answer__request__student__full_name",
    ]
    date_hierarchy = "created_at"
    fields = [
        "answer",
        "state",
        "engine",
        "language",
        "error",
        "text",
        "source_name",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    actions = ["transcribe_again"]

    @admin.display(description="student")
    def student(self, transcript):
        return transcript.answer.request.student.display_name

    @admin.display(description="text")
    def start(self, transcript):
        return Truncator(transcript.text or transcript.error).chars(60)

    def has_add_permission(self, request):
        return False

    @admin.action(description="Transcribe again", permissions=["change"])
    def transcribe_again(self, request, queryset):
        from interviews.tasks import transcribe_answer

        answer_ids = list(queryset.values_list("answer_id", flat=True))
        for answer_id in answer_ids:
            transcribe_answer(answer_id)
        count = len(answer_ids)
        self.message_user(
            request, f"{count} answer{pluralize(count)} queued to be transcribed again."
        )
