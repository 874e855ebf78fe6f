import re
import unicodedata

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from payments.images import clean_payment_screenshot
from payments.models import Payment

# ASCII only: `\d` would also match fullwidth, Devanagari and other digits,
# letting one real UTR be "reused" in look-alike digits.
UTR_PATTERN = re.compile(r"[0-9]{12}", re.ASCII)
# Spaces and dashes people type to group the digits (after NFKC, so fullwidth
# and no-break spaces are plain spaces by then).
UTR_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]")
# "Ascending or descending run": each digit one more (or less) than the last,
# wrapping 9 to 0, e.g. 123456789012 or 987654321098.
_ASCENDING = "0123456789" * 3
_DESCENDING = _ASCENDING[::-1]


def normalise_utr(value):
    """NFKC (fullwidth digits become ASCII), then without spaces and dashes."""
    return UTR_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))


def is_placeholder_utr(utr):
    """A 12-digit string no bank issues: one digit repeated, or a straight run."""
    return len(set(utr)) == 1 or utr in _ASCENDING or utr in _DESCENDING


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
        typed = self.cleaned_data["utr"]
        utr = normalise_utr(typed)
        if not UTR_PATTERN.fullmatch(utr):
            other_digits = any(
                unicodedata.category(char) == "Nd" and not char.isascii()
                for char in utr
            )
            raise forms.ValidationError(
                "A UTR is exactly 12 digits 0-9, as shown in your UPI app "
                "(you typed %(count)s characters%(detail)s).",
                code="invalid",
                params={
                    "count": len(utr),
                    "detail": (
                        ", with digits from another script: type them as 0-9"
                        if other_digits
                        else ", not all digits 0-9"
                        if not (utr.isascii() and utr.isdigit())
                        else ""
                    ),
                },
            )
        if is_placeholder_utr(utr):
            raise forms.ValidationError(
                "This is not a real UTR. Type the 12 digits exactly as shown in "
                "your UPI app for this payment.",
                code="placeholder",
            )
        if Payment.objects.filter(utr=utr).exists():
            raise forms.ValidationError(
                "This UTR has already been used for a payment. Check the number "
                "in your UPI app.",
                code="utr_used",
            )
        return utr

    def clean_screenshot(self):
        # Fields are cleaned in order, so the UTR is judged first. Decoding an
        # image is the expensive part: never for a form that is invalid anyway.
        if self.has_error("utr"):
            return None
        return clean_payment_screenshot(self.cleaned_data["screenshot"])
