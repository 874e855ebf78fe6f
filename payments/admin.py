"""The payments approval console: a pending queue, approve / reject (bulk and per
payment), proof thumbnails, a possible-duplicate flag and the audit trail."""

import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from accounts.roles import OwnDecisionRefused, refuse_own_decision
from payments import notifications, reconcile_admin, services
from payments.models import Payment, PaymentEvent, PaymentStatus
from portal.admin_emails import sent_emails_table
from portal.admin_filters import ListedLookupsOnlyMixin, StatusQueueFilter
from portal.dates import site_time


class RejectionReason(forms.Form):
    """Remarks for a rejection: a canned reason, free text, or both."""

    CANNED_REASONS = [
        ("", "(choose a reason or write your own below)"),
        (
            "Amount mismatch: the amount paid is not the course fee.",
            "Amount mismatch",
        ),
        (
            "Wrong payee: the payment did not go to our UPI ID.",
            "Wrong payee",
        ),
        (
            "Unreadable screenshot: we could not read the payment details.",
            "Unreadable screenshot",
        ),
        (
            "UTR not found: we could not find this transaction in our account.",
            "UTR not found",
        ),
    ]

    # The admin allows inline styles; these keep the form inside a phone screen.
    reason = forms.ChoiceField(
        choices=CANNED_REASONS,
        required=False,
        widget=forms.Select(attrs={"style": "max-width: 100%"}),
    )
    remarks = forms.CharField(
        label="Remarks to the student",
        required=False,
        max_length=800,
        widget=forms.Textarea(
            attrs={"rows": 3, "cols": 60, "style": "max-width: 100%"}
        ),
    )

    def clean(self):
        cleaned = super().clean()
        parts = [cleaned.get("reason", ""), cleaned.get("remarks", "").strip()]
        text = " ".join(part for part in parts if part)
        if not text:
            raise forms.ValidationError(
                "Say why the payment is rejected: choose a reason or write remarks."
            )
        cleaned["text"] = text
        return cleaned


def _proof_image(payment, css_class):
    """The proof's thumbnail (made once at submit) through the permission-checked
    view, opening the full image on click; the full image only for a proof
    that has no thumbnail yet (`make_proof_thumbnails` makes them)."""
    if not payment.proof:
        return "Deleted with the student's account"
    url = reverse("payments:proof", args=[payment.public_id])
    src = f"{url}?thumb=1" if payment.proof_thumbnail else url
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">'
        '<img src="{}" alt="Proof of {}" loading="lazy" class="{}"></a>',
        url,
        src,
        payment.reference,
        css_class,
    )


class PaymentStatusFilter(StatusQueueFilter):
    """Status, defaulting to the pending queue; "All" must be chosen explicitly."""

    status_choices = PaymentStatus
    default = PaymentStatus.PENDING_VERIFICATION


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    verbose_name = "decision"
    verbose_name_plural = "audit trail"
    fields = ["created_at", "actor", "from_status", "to_status", "remarks"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ListedLookupsOnlyMixin, admin.ModelAdmin):
    # The proof and the duplicate flag first: they decide most cases.
    list_display = [
        "reference",
        "proof_image",
        # The same-image flag is one of the signals (issue 17).
        "match_display",
        "signals_display",
        "student_display",
        "utr",
        "amount",
        "course",
        "submitted",
        "status_display",
    ]
    list_display_links = ["reference"]
    list_filter = [PaymentStatusFilter, "course", "created_at"]
    list_select_related = ["student", "course"]
    list_per_page = 50
    # The "Same proof image" link of duplicate_flag.
    extra_lookups = ["proof_sha256"]
    # No date_hierarchy: it runs SELECT DISTINCT over every filtered row on each
    # view, which SQLite evaluates in Python per row (65 ms a page at 5,600
    # pending; docs/benchmarks.md). The created_at list filter narrows by date.
    search_fields = [
        "student__username",
        "student__full_name",
        "student__email",
        "utr",
        "reference",
    ]
    show_full_result_count = False
    actions = [
        "approve_selected",
        "approve_matched",
        "reject_selected",
        "export_csv",
    ]
    inlines = [PaymentEventInline]
    fieldsets = [
        (
            "Payment",
            {
                "fields": [
                    "reference",
                    "student_display",
                    "course",
                    "amount",
                    "utr",
                    "created_at",
                ]
            },
        ),
        ("Proof", {"fields": ["proof_preview", "duplicate_payments"]}),
        (
            "Statement and signals",
            {
                "fields": [
                    "match_full_display",
                    "statement_line_display",
                    "similar_payments",
                    "ocr_display",
                ]
            },
        ),
        (
            "Decision",
            {
                "fields": [
                    "status_display",
                    "remarks",
                    "reviewed_by",
                    "reviewed_at",
                    "consumed_at",
                ]
            },
        ),
        ("Emails", {"fields": ["emails_sent"]}),
    ]
    # Everything on the page is read-only: decisions go through the Approve and
    # Reject buttons (approve_view, reject_view), never through editing a field.
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description="Emails sent")
    def emails_sent(self, payment):
        return sent_emails_table(notifications.email_key_prefix(payment))

    # Queue ---------------------------------------------------------------

    def get_queryset(self, request):
        same_proof = Payment.objects.filter(
            proof_sha256=OuterRef("proof_sha256")
        ).exclude(pk=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                has_duplicate_proof=Exists(same_proof),
            )
        )

    def get_ordering(self, request):
        # The queue is worked oldest first; decided payments read newest first.
        status = request.GET.get(PaymentStatusFilter.parameter_name)
        if status in (None, "", PaymentStatus.PENDING_VERIFICATION):
            # Matched by statement first: those are quick to approve.
            return [reconcile_admin.MATCHED_FIRST.desc(), "created_at", "pk"]
        return ["-created_at", "-pk"]

    def has_add_permission(self, request):
        return False  # students create payments; the console only decides them

    # Columns -------------------------------------------------------------

    @admin.display(description="student", ordering="student__full_name")
    def student_display(self, obj):
        student = obj.student
        return format_html(
            '{}<br><small title="{}">{}</small>',
            student.display_name,
            student.email or "no email",
            student.username,
        )

    @admin.display(description="submitted", ordering="created_at")
    def submitted(self, obj):
        return site_time(obj.created_at)

    @admin.display(description="status", ordering="status")
    def status_display(self, obj):
        # Colours from the one status -> badge mapping (css/admin.css).
        return format_html(
            '<strong class="status-badge {}">{}</strong>',
            PaymentStatus(obj.status).badge,
            obj.get_status_display(),
        )

    @admin.display(description="proof")
    def proof_image(self, obj):
        return _proof_image(obj, "proof-thumb")

    @admin.display(description="duplicate?")
    def duplicate_flag(self, obj):
        if not getattr(obj, "has_duplicate_proof", False):
            return "-"
        url = reverse("admin:payments_payment_changelist")
        return format_html(
            '<a href="{}?status=all&amp;proof_sha256={}" '
            'style="color: #a4161a; font-weight: bold" '
            'title="Another payment has the same screenshot">Same proof image</a>',
            url,
            obj.proof_sha256,
        )

    @admin.display(description="screenshot")
    def proof_preview(self, obj):
        return _proof_image(obj, "proof-preview")

    @admin.display(description="payments with the same screenshot")
    def duplicate_payments(self, obj):
        others = services.duplicate_proofs(obj)
        if not others:
            return "None"
        return format_html(
            '<strong style="color: #a4161a">Possible duplicate:</strong><ul>{}</ul>',
            format_html_join(
                "",
                '<li><a href="{}">{}</a>: {}, {}, {}</li>',
                (
                    (
                        reverse("admin:payments_payment_change", args=[other.pk]),
                        other.reference,
                        other.student.display_name,
                        other.course.title,
                        other.get_status_display(),
                    )
                    for other in others
                ),
            ),
        )

    # Statement, signals and export (issue 17): payments/reconcile_admin.py

    match_display = reconcile_admin.match_display
    match_full_display = reconcile_admin.match_full_display
    signals_display = reconcile_admin.signals_display
    ocr_flag = reconcile_admin.ocr_flag
    statement_line_display = reconcile_admin.statement_line_display
    similar_payments = reconcile_admin.similar_payments
    ocr_display = reconcile_admin.ocr_display
    approve_matched = reconcile_admin.approve_matched
    export_csv = reconcile_admin.export_csv

    # Bulk actions --------------------------------------------------------

    @admin.action(description="Approve selected payments", permissions=["change"])
    def approve_selected(self, request, queryset):
        approved, already, own = 0, [], []
        for payment in queryset.select_related("student", "course"):
            try:
                won = services.approve_payment(payment, request.user)
            except OwnDecisionRefused as refused:
                own.append((payment, refused))
                continue
            if won:
                approved += 1
            else:
                already.append(payment)
        self._report(request, "Approved", approved, already, own)

    @admin.action(description="Reject selected payments…", permissions=["change"])
    def reject_selected(self, request, queryset):
        form = RejectionReason(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            rejected, already, own = 0, [], []
            for payment in queryset.select_related("student", "course"):
                try:
                    won = services.reject_payment(
                        payment, request.user, form.cleaned_data["text"]
                    )
                except OwnDecisionRefused as refused:
                    own.append((payment, refused))
                    continue
                if won:
                    rejected += 1
                else:
                    already.append(payment)
            self._report(request, "Rejected", rejected, already, own)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject payments",
            "opts": self.model._meta,
            "payments": queryset.select_related("student", "course"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/payments/payment/reject_selected.html", context
        )

    def _report(self, request, verb, count, already, own=()):
        if count:
            noun = "payment" if count == 1 else "payments"
            self.message_user(request, f"{verb} {count} {noun}.", messages.SUCCESS)
        for payment in already:
            self.message_user(
                request, already_decided_message(payment), messages.WARNING
            )
        for payment, refused in own:
            self.message_user(
                request,
                f"Payment {payment.reference} was not changed. {refused.message}",
                messages.ERROR,
            )

    # Buttons on the payment's page ---------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="payments_payment_approve",
            ),
            path(
                "<path:object_id>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="payments_payment_reject",
            ),
            path(
                "import-statement/",
                self.admin_site.admin_view(self.import_statement_view),
                name="payments_payment_import_statement",
            ),
            *super().get_urls(),
        ]

    def import_statement_view(self, request):
        return reconcile_admin.import_statement_view(self, request)

    def _get_payment_to_decide(self, request, object_id):
        payment = self.get_object(request, object_id)
        if payment is None:
            raise Http404("No such payment.")
        if not self.has_change_permission(request, payment):
            raise PermissionDenied
        return payment

    def _back_to(self, payment):
        return redirect("admin:payments_payment_change", payment.pk)

    def approve_view(self, request, object_id):
        return require_POST(self._approve)(request, object_id)

    def _approve(self, request, object_id):
        payment = self._get_payment_to_decide(request, object_id)
        remarks = request.POST.get("remarks", "").strip()[:800]
        try:
            won = services.approve_payment(payment, request.user, remarks)
        except OwnDecisionRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return self._back_to(payment)
        if won:
            self.message_user(
                request, f"Approved payment {payment.reference}.", messages.SUCCESS
            )
        else:
            self.message_user(
                request, already_decided_message(payment), messages.WARNING
            )
        return self._back_to(payment)

    def reject_view(self, request, object_id):
        return require_POST(self._reject)(request, object_id)

    def _reject(self, request, object_id):
        payment = self._get_payment_to_decide(request, object_id)
        form = RejectionReason(request.POST, prefix="reject")
        if not form.is_valid():
            # Show the change page again with the errors and what was typed.
            as_get = copy.copy(request)
            as_get.method = "GET"
            return self.change_view(
                as_get, object_id, extra_context={"reject_form": form}
            )
        try:
            won = services.reject_payment(
                payment, request.user, form.cleaned_data["text"]
            )
        except OwnDecisionRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return self._back_to(payment)
        if won:
            self.message_user(
                request, f"Rejected payment {payment.reference}.", messages.SUCCESS
            )
        else:
            self.message_user(
                request, already_decided_message(payment), messages.WARNING
            )
        return self._back_to(payment)

    def changelist_view(self, request, extra_context=None):
        status = request.GET.get(PaymentStatusFilter.parameter_name)
        title = (
            "Payments waiting for verification (oldest first)"
            if status in (None, "", PaymentStatus.PENDING_VERIFICATION)
            else "Payments"
        )
        return super().changelist_view(
            request, {"title": title, **(extra_context or {})}
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payment = self.get_object(request, object_id)
        can_decide = (
            payment is not None
            and payment.status == PaymentStatus.PENDING_VERIFICATION
            and self.has_change_permission(request, payment)
        )
        own_decision_refused = None
        if can_decide:
            try:
                refuse_own_decision(request.user, payment.student, "payment")
            except OwnDecisionRefused as refused:
                can_decide = False
                own_decision_refused = refused.message
        extra_context = {
            "title": "Verify payment" if can_decide else "Payment",
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "can_decide": can_decide,
            "own_decision_refused": own_decision_refused,
            "reject_form": RejectionReason(prefix="reject"),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)


def already_decided_message(payment):
    who = payment.reviewed_by.display_name if payment.reviewed_by else "someone"
    return (
        f"Payment {payment.reference} was already decided by {who} "
        f"({payment.get_status_display().lower()}); nothing was changed."
    )
