from django.contrib import admin

from interviews.models import InterviewCourse, InterviewQuestion


class InterviewQuestionInline(admin.TabularInline):
    model = InterviewQuestion
    extra = 1
    fields = ["order", "text", "preparation_seconds", "max_answer_seconds"]


@admin.register(InterviewCourse)
class InterviewCourseAdmin(admin.ModelAdmin):
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
    inlines = [InterviewQuestionInline]
from interviews import admin_review  # noqa: E402,F401
