"""Forms of the statement import page (issue 17)."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat


class StatementUploadForm(forms.Form):
    statement = forms.FileField(
        label="Statement file (CSV or XLSX)",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    # The column-mapping step: only when the header is not a known layout.
    utr_column = forms.CharField(label="UTR column", required=False, max_length=80)
    amount_column = forms.CharField(
        label="Amount (credit) column", required=False, max_length=80
    )
    date_column = forms.CharField(label="Date column", required=False, max_length=80)
    narration_column = forms.CharField(
        label="Narration / payer column", required=False, max_length=80
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["statement"].help_text = (
            "A bank statement (SBI / HDFC style) or a PhonePe settlement report, "
            f"at most {filesizeformat(settings.STATEMENT_MAX_BYTES)} and "
            f"{settings.STATEMENT_MAX_ROWS} rows. Only credits are read."
        )

    def clean_statement(self):
        upload = self.cleaned_data["statement"]
        if upload.size > settings.STATEMENT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is "
                f"{filesizeformat(settings.STATEMENT_MAX_BYTES)}."
            )
        return upload

    @property
    def mapping(self):
        return {
            role: self.cleaned_data.get(f"{role}_column", "").strip()
            for role in ("utr", "amount", "date", "narration")
        }
