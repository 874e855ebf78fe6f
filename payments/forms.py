import re

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from payments.images import clean_payment_screenshot
from payments.models import Payment

UTR_PATTERN = re.compile(r"^\d{12}$")


class PaymentProofForm(forms.Form):
    utr = forms.CharField(
        label="UTR (UPI transaction reference)",
        max_length=40,
        help_text="The 12-digit number your UPI app shows after the payment.",
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "pattern": r"[0-9 ]{12,15}",
                "placeholder": "e.g. 412345678901",
            }
        ),
    )
    screenshot = forms.FileField(
        label="Screenshot of the successful payment",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["screenshot"].help_text = (
            f"JPEG, PNG or WebP, at most "
            f"{filesizeformat(settings.PAYMENT_PROOF_MAX_BYTES)}."
        )
        for name, field in self.fields.items():
            describedby = [f"id_{name}_helptext"]
            if self.is_bound and name in self.errors:
                describedby.append(f"id_{name}_error")
                field.widget.attrs["aria-invalid"] = "true"
            field.widget.attrs["aria-describedby"] = " ".join(describedby)

    def clean_utr(self):
        utr = re.sub(r"[\s-]", "", self.cleaned_data["utr"])
        if not UTR_PATTERN.match(utr):
            raise forms.ValidationError(
                "A UTR is exactly 12 digits (you typed %(count)s characters"
                "%(letters)s).",
                code="invalid",
                params={
                    "count": len(utr),
                    "letters": ", not all digits" if not utr.isdigit() else "",
                },
            )
        if Payment.objects.filter(utr=utr).exists():
            raise forms.ValidationError(
                "This UTR has already been used for a payment. Check the number "
                "in your UPI app.",
                code="utr_used",
            )
        return utr

    def clean_screenshot(self):
        return clean_payment_screenshot(self.cleaned_data["screenshot"])
