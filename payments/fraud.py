"""Fraud signals on a payment's proof, advisory only: a perceptual hash that
survives re-saving, cropping and resizing, and what OCR reads in the screenshot.
No signal decides a payment; each says why it fired."""

import io
import re
from decimal import Decimal, InvalidOperation

import imagehash
from django.conf import settings
from PIL import Image

from payments.statements.layouts import UTR_IN_TEXT

AMOUNT_IN_TEXT = re.compile(
    r"(?:₹|\bRs\.?|\bINR)\s*([0-9][0-9,]*(?:\.[0-9]{1,2})?)", re.IGNORECASE
)
VPA_IN_TEXT = re.compile(r"\b([a-z0-9._-]{2,64}@[a-z][a-z0-9]{1,30})\b", re.IGNORECASE)


def proof_phash(content):
    """The 64-bit perceptual hash (pHash) of an image, as 16 hex digits."""
    with Image.open(io.BytesIO(content)) as image:
        return str(imagehash.phash(image.convert("L")))


def phash_distance(first, second):
    return imagehash.hex_to_hash(first) - imagehash.hex_to_hash(second)


def similar_earlier_payments(phash, exclude_pk=None):
    """Primary keys of payments whose proof is within the distance threshold."""
    from payments.models import Payment

    if not phash:
        return []
    limit = settings.PROOF_PHASH_MAX_DISTANCE
    others = Payment.objects.exclude(proof_phash="").exclude(pk=exclude_pk)
    return [
        # Stored in a JSONField: an ObjectId (MongoDB, issue 18) as its string.
        pk if isinstance(pk, int) else str(pk)
        for pk, other in others.values_list("pk", "proof_phash")
        if phash_distance(phash, other) <= limit
    ]


def findings_from_text(text):
    amounts = []
    for raw in AMOUNT_IN_TEXT.findall(text):
        try:
            amounts.append(f"{Decimal(raw.replace(',', '')):.2f}")
        except InvalidOperation:
            continue
    return {
        "utrs": sorted(set(UTR_IN_TEXT.findall(text))),
        "amounts": sorted(set(amounts)),
        "vpas": sorted({v.lower() for v in VPA_IN_TEXT.findall(text)}),
    }


def ocr_flags(payment, findings):
    """Why the screenshot's text disagrees with what the student typed."""
    flags = []
    if findings["utrs"] and payment.utr not in findings["utrs"]:
        flags.append(
            f"The screenshot shows UTR {', '.join(findings['utrs'])}, "
            f"the student typed {payment.utr}."
        )
    if not findings["utrs"]:
        flags.append("No 12-digit UTR could be read in the screenshot.")
    fee = f"{payment.amount:.2f}"
    if findings["amounts"] and fee not in findings["amounts"]:
        flags.append(
            f"The screenshot shows ₹{', ₹'.join(findings['amounts'])}, "
            f"the fee is ₹{fee}."
        )
    payee = settings.UPI_PAYEE_VPA.lower()
    if findings["vpas"] and payee not in findings["vpas"]:
        flags.append(
            f"The screenshot shows payee {', '.join(findings['vpas'])}, "
            f"ours is {payee}."
        )
    return flags


def read_screenshot(content):
    """The text tesseract reads in an image (slow: run it in the worker)."""
    import pytesseract

    with Image.open(io.BytesIO(content)) as image:
        gray = image.convert("L")
        if gray.width < 1000:  # tesseract reads small UI text better enlarged
            factor = 1000 / gray.width
            gray = gray.resize((1000, int(gray.height * factor)))
        return pytesseract.image_to_string(gray, timeout=60)
