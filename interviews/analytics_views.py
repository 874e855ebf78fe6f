"""The analytics page of the approval console (/admin/analytics/) and its CSV
exports, for staff holding interviews.view_analytics (the owner; superusers)."""

import csv
from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from interviews import analytics
from interviews.models import InterviewCourse
from portal import charts

PERMISSION = "interviews.view_analytics"
PRESETS = [("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days")]
PRESETS += [("365", "Last 365 days"), ("custom", "From - to (below)")]
DEFAULT_PRESET = "30"
MAX_DAYS = 366
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class AnalyticsFilterForm(forms.Form):
    """Which days and which course. Kept here rather than in interviews/forms.py:
    only this page uses it."""

    period = forms.ChoiceField(choices=PRESETS, initial=DEFAULT_PRESET)
    first = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    course = forms.ChoiceField(required=False)

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.courses = {course.slug: course for course in courses}
        self.fields["course"].choices = [("", "All courses")] + [
            (course.slug, course.title) for course in courses
        ]

    def clean(self):
        cleaned = super().clean()
        period = cleaned.get("period")
        today = timezone.localdate(timezone=timezone.get_default_timezone())
        if period == "custom":
            first, last = cleaned.get("first"), cleaned.get("last")
            if first is None or last is None:
                if not self.has_error("first") and not self.has_error("last"):
                    raise forms.ValidationError(
                        "Give both a From and a To date for a custom period."
                    )
                return cleaned
            if first > last:
                raise forms.ValidationError("The From date must not be after To.")
            if (last - first).days + 1 > MAX_DAYS:
                raise forms.ValidationError(
                    f"Choose at most {MAX_DAYS} days at a time."
                )
        elif period:
            last = today
            first = today - timedelta(days=int(period) - 1)
        else:
            return cleaned
        cleaned["first"], cleaned["last"] = first, last
        return cleaned

    def period_or_none(self):
        if not self.is_valid():
            return None
        course = self.courses.get(self.cleaned_data.get("course") or "")
        data = self.cleaned_data
        return analytics.Period(data["first"], data["last"], course)


def safe_cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(table, period):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"analytics-{table.key}-{period.first}-{period.last}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([safe_cell(column) for column in table.columns])
    for row in table.rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response


def build_report(period, courses):
    """Every table of the page and the charts drawn from the same numbers."""
    shown = [period.course] if period.course else courses
    target = settings.ANALYTICS_TURNAROUND_TARGET_HOURS
    steps = analytics.funnel(period)
    by_day = analytics.revenue_by_day(period)
    by_course = analytics.revenue_by_course(period, shown)
    figures = analytics.course_figures(period, shown)
    turnaround = analytics.turnaround(period, target)
    counts = analytics.attendance(period)
    hours, cells = analytics.heat_map(period)
    daily, per_course = analytics.revenue_tables(by_day, by_course)
    tables = {
        "funnel": analytics.funnel_table(steps),
        "revenue_by_day": daily,
        "revenue_by_course": per_course,
        "courses": analytics.course_table(figures),
        "turnaround": analytics.turnaround_table(turnaround, target),
        "attendance": analytics.attendance_table(counts),
        "heat_map": analytics.heat_map_table(hours, cells),
    }
    short = {"payments": "Payments", "requests": "Requests", "reviews": "Reviews"}
    over = {}
    for f in turnaround:
        if f["is_total"]:
            over[short[f["stage"]]] = f["over"]
    pictures = {
        "funnel": charts.funnel_chart(
            "chart-funnel",
            "Funnel of the cohort",
            [(analytics.FUNNEL_CHART_LABELS[label], n) for label, n in steps],
        ),
        "revenue_by_day": charts.line_chart(
            "chart-revenue-day",
            "Approved amount per day (INR)",
            [(d.strftime("%-d %b"), int(t["approved_amount"] or 0)) for d, t in by_day],
        ),
        "revenue_by_course": charts.bar_chart(
            "chart-revenue-course",
            "Approved amount per course (INR)",
            [(c.title, int(t["approved_amount"] or 0)) for c, t in by_course],
        ),
        "courses": charts.bar_chart(
            "chart-courses",
            "Interview requests per course",
            [(f["course"].title, f["requests"]) for f in figures],
        ),
        "turnaround": charts.bar_chart(
            "chart-turnaround",
            f"Decisions that took longer than {target} h",
            list(over.items()),
        ),
        "heat_map": charts.heat_map(
            "chart-heat-map",
            "Interviews per weekday and hour",
            analytics.WEEKDAYS,
            [f"{hour:02d}" for hour in hours],
            [
                [cells.get((day, hour), 0) for hour in hours]
                for day in range(1, len(analytics.WEEKDAYS) + 1)
            ],
        ),
    }
    return tables, pictures


@require_GET
def analytics_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied("The analytics page needs the view analytics right.")
    courses = list(InterviewCourse.objects.order_by("display_order", "title"))
    data = request.GET.copy()
    data.setdefault("period", DEFAULT_PRESET)
    form = AnalyticsFilterForm(data, courses=courses)
    period = form.period_or_none()
    context = {
        **admin.site.each_context(request),
        "title": "Analytics",
        "form": form,
        "period": period,
    }
    if period is None:
        return TemplateResponse(request, "admin/analytics.html", context, status=400)
    tables, pictures = build_report(period, courses)
    export = request.GET.get("export")
    if export is not None:
        if export not in tables:
            context["export_error"] = f"There is no table called {export!r} to export."
        else:
            return csv_response(tables[export], period)
    query = {
        key: value
        for key, value in form.cleaned_data.items()
        if key in ("period", "course") and value
    }
    if form.cleaned_data["period"] == "custom":
        query |= {"first": period.first, "last": period.last}
    context.update(
        tables=tables,
        pictures=pictures,
        export_query=urlencode(query),
        target_hours=settings.ANALYTICS_TURNAROUND_TARGET_HOURS,
        last_bucket_hours=analytics.bucket_bounds_hours(analytics.LAST_BUCKET)[0],
    )
    status = 400 if "export_error" in context else 200
    return TemplateResponse(request, "admin/analytics.html", context, status=status)
