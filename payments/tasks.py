"""Background work on payments: reading the proof screenshot (OCR)."""

from django.utils import timezone
from huey.contrib.djhuey import db_task

from payments import fraud
from payments.models import Payment


@db_task()
def read_proof_text(payment_pk):
    """OCR the proof and store the text, what it says and where it disagrees."""
    payment = Payment.objects.filter(pk=payment_pk).first()
    if payment is None:
        return None
    with payment.proof.open("rb") as handle:
        content = handle.read()
    text = fraud.read_screenshot(content)
    findings = fraud.findings_from_text(text)
    findings["flags"] = fraud.ocr_flags(payment, findings)
    Payment.objects.filter(pk=payment_pk).update(
        ocr_text=text[:5000], ocr_findings=findings, ocr_done_at=timezone.now()
    )
    return findings
