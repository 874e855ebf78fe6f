"""The console's statement import page, the "matched by statement" and signal
columns, approving matched payments and the CSV export (issue 17). Mixed into
PaymentAdmin (payments/admin.py) as its methods."""

import csv

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.roles import OwnDecisionRefused
from payments import reconcile
from payments.models import MatchResult, Payment, PaymentStatus
from payments.statement_forms import StatementUploadForm
from payments.statements import StatementRefused
from portal.dates import site_date, site_time

MATCHED_FIRST = Case(
    When(match=MatchResult.MATCHED, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)


# Columns and fields ------------------------------------------------------


@admin.display(description="statement", ordering="match")
def match_display(self, obj):
    if not obj.match:
        return "-"
    css = "signal-match" if obj.match == MatchResult.MATCHED else "signal-flag"
    return format_html(
        '<span class="{}" title="{}: {}">{}</span>',
        css,
        obj.get_match_display(),
        obj.match_note,
        SHORT_LABELS[obj.match],
    )


# The queue is wide: short words in the column, the whole story in the title.
SHORT_LABELS = {
    MatchResult.MATCHED: "Matched",
    MatchResult.AMOUNT_DIFFERS: "Amount differs",
    MatchResult.NOT_FOUND: "Not in statement",
    MatchResult.CLAIMED_TWICE: "Claimed twice",
}


@admin.display(description="similar?")
def similar_flag(self, obj):
    if not obj.similar_proofs:
        return "-"
    count = len(obj.similar_proofs)
    return format_html(
        '<span class="signal-flag" title="The perceptual hash of the screenshot is '
        'close to {} earlier payment(s)">Image like {}</span>',
        count,
        count,
    )


@admin.display(description="OCR")
def ocr_flag(self, obj):
    flags = (obj.ocr_findings or {}).get("flags", [])
    if flags:
        return format_html(
            '<span class="signal-flag" title="{}">OCR differs</span>', " ".join(flags)
        )
    return "OCR agrees" if obj.ocr_done_at else "-"


@admin.display(description="signals")
def signals_display(self, obj):
    """The same-file, similar-image and OCR signals in one narrow column (the
    queue must fit at 1280 px)."""
    checks = (self.duplicate_flag(obj), similar_flag(self, obj), ocr_flag(self, obj))
    parts = [part for part in checks if part != "-"]
    if not parts:
        return "-"
    return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts))


# The payment's page has room for the full label.
@admin.display(description="statement")
def match_full_display(self, obj):
    if not obj.match:
        return "Not in any imported statement yet."
    css = "signal-match" if obj.match == MatchResult.MATCHED else "signal-flag"
    return format_html('<span class="{}">{}</span>', css, obj.get_match_display())


@admin.display(description="statement line")
def statement_line_display(self, obj):
    line = obj.statement_line
    if line is None:
        return obj.match_note or "No statement line for this UTR yet."
    rows = [
        ("UTR", obj.utr, line.utr),
        ("Amount", f"₹{obj.amount}", f"₹{line.amount}"),
        ("Date", site_date(obj.created_at), site_date(line.credited_on)),
        ("Payer", obj.student.display_name, line.payer),
    ]
    return format_html(
        '<p>{}</p><div class="table-scroll"><table class="side-by-side">'
        "<tr><th></th><th>Payment</th>"
        "<th>Statement ({}, row {})</th></tr>{}</table></div>",
        obj.match_note,
        line.statement.file_name,
        line.row_number,
        format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", rows),
    )


@admin.display(description="earlier payments with a similar image")
def similar_payments(self, obj):
    others = Payment.objects.filter(pk__in=obj.similar_proofs or []).select_related(
        "student"
    )
    if not others:
        return "None"
    return format_html(
        '<span class="signal-flag">Similar screenshot (perceptual hash):</span>'
        "<ul>{}</ul>",
        format_html_join(
            "",
            '<li><a href="{}">{}</a>: {}, UTR {}, {}</li>',
            (
                (
                    reverse("admin:payments_payment_change", args=[other.pk]),
                    other.reference,
                    other.student.display_name,
                    other.utr,
                    other.get_status_display(),
                )
                for other in others
            ),
        ),
    )


@admin.display(description="text read from the screenshot")
def ocr_display(self, obj):
    if not obj.ocr_done_at:
        return "Not read yet (the worker reads it after the payment is submitted)."
    findings = obj.ocr_findings or {}
    flags = findings.get("flags", [])
    return format_html(
        "{}<p>UTRs: {}; amounts: {}; payees: {}</p><pre class='ocr-text'>{}</pre>",
        format_html_join("", '<p class="signal-flag">{}</p>', ((f,) for f in flags)),
        ", ".join(findings.get("utrs", [])) or "none",
        ", ".join(findings.get("amounts", [])) or "none",
        ", ".join(findings.get("vpas", [])) or "none",
        obj.ocr_text,
    )


# Approving matched payments ---------------------------------------------


@admin.action(description="Approve matched payments…", permissions=["change"])
def approve_matched(self, request, queryset):
    payments = list(
        queryset.filter(
            status=PaymentStatus.PENDING_VERIFICATION, match=MatchResult.MATCHED
        ).select_related("student", "course", "statement_line__statement")
    )
    skipped = queryset.count() - len(payments)
    if "apply" in request.POST:
        approved = []
        for payment in payments:
            try:
                if reconcile.approve_matched_payment(payment, request.user):
                    approved.append(payment)
            except OwnDecisionRefused as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
                payments = [p for p in payments if p is not payment]
        if approved:
            self.message_user(
                request,
                f"Approved {len(approved)} matched payment"
                f"{'s' if len(approved) != 1 else ''}.",
                messages.SUCCESS,
            )
        if len(approved) < len(payments):
            self.message_user(
                request,
                f"{len(payments) - len(approved)} were already decided; nothing "
                "was changed for them.",
                messages.WARNING,
            )
        return None
    if not payments:
        self.message_user(
            request,
            "None of the selected payments is matched by a statement.",
            messages.WARNING,
        )
        return None
    context = {
        **self.admin_site.each_context(request),
        "title": "Approve matched payments",
        "opts": self.model._meta,
        "payments": payments,
        "skipped": skipped,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(
        request, "admin/payments/payment/approve_matched.html", context
    )


# CSV export ---------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


EXPORT_COLUMNS = [
    ("Reference", lambda p: p.reference),
    ("Submitted", lambda p: site_time(p.created_at, "Y-m-d H:i")),
    ("Student", lambda p: p.student.display_name),
    ("Email", lambda p: p.student.email),
    ("Course", lambda p: p.course.title),
    ("Amount (INR)", lambda p: p.amount),
    ("UTR", lambda p: p.utr),
    ("Status", lambda p: p.get_status_display()),
    ("Statement", lambda p: p.get_match_display() if p.match else ""),
    ("Remarks", lambda p: p.remarks),
    ("Reviewed by", lambda p: p.reviewed_by.display_name if p.reviewed_by else ""),
    (
        "Reviewed at",
        lambda p: site_time(p.reviewed_at, "Y-m-d H:i") if p.reviewed_at else "",
    ),
]


@admin.action(description="Export selected payments as CSV", permissions=["view"])
def export_csv(self, request, queryset):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="payments.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 with a BOM
    writer = csv.writer(response)
    writer.writerow([name for name, _ in EXPORT_COLUMNS])
    for payment in queryset.select_related("student", "course", "reviewed_by"):
        writer.writerow([spreadsheet_safe(get(payment)) for _, get in EXPORT_COLUMNS])
    return response


# The import page ----------------------------------------------------------


def import_statement_view(self, request):
    if not self.has_change_permission(request):
        raise PermissionDenied
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["statement"]
        try:
            result = reconcile.import_statement(
                request.user, upload.name, upload.read(), form.mapping
            )
        except StatementRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            self.message_user(
                request,
                f"Imported {result.added} new credit line"
                f"{'s' if result.added != 1 else ''} ({result.already_known} already "
                f"known): {len(result.matched)} payments matched, "
                f"{len(result.flagged)} flagged.",
                messages.SUCCESS,
            )
    context = {
        **self.admin_site.each_context(request),
        "title": "Import a bank statement",
        "opts": self.model._meta,
        "form": form,
        "result": result,
        "changelist_url": reverse("admin:payments_payment_changelist"),
    }
    return TemplateResponse(
        request, "admin/payments/payment/import_statement.html", context
    )
