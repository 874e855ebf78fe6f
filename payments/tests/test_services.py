import pytest

from interviews.factories import InterviewCourseFactory
from payments import services
from payments.factories import PaymentFactory
from payments.images import clean_payment_screenshot
from payments.models import Payment
from payments.tests.helpers import png_bytes, private_proof_files, upload

pytestmark = pytest.mark.django_db


def clean_proof():
    return clean_payment_screenshot(upload(png_bytes()))


@pytest.mark.undone_in_the_test_transaction
def test_a_utr_taken_after_the_form_checked_it_leaves_no_row_and_no_file(student):
    # The form's own check passed, then another request used the UTR first.
    PaymentFactory(utr="777777777777")
    course = InterviewCourseFactory()
    before = set(private_proof_files())

    with pytest.raises(services.PaymentRefused) as refused:
        services.submit_payment(student, course, "777777777777", clean_proof())

    assert refused.value.field == "utr"
    assert not Payment.objects.filter(student=student).exists()
    assert set(private_proof_files()) == before


def test_the_reference_skips_one_already_taken(student):
    course = InterviewCourseFactory()
    PaymentFactory(reference=services.payment_reference(student, course))

    # The derived reference skips one that is already taken.
    payment = services.submit_payment(student, course, "888888888888", clean_proof())

    assert payment.reference.startswith("VI")
    assert Payment.objects.filter(reference=payment.reference).count() == 1


def test_an_inactive_course_is_refused_by_the_service_too(student):
    course = InterviewCourseFactory(is_active=False)
    with pytest.raises(services.PaymentRefused) as refused:
        services.submit_payment(student, course, "999999999990", clean_proof())
    assert refused.value.code == "inactive"


def test_upi_uri_encodes_the_payee(settings):
    settings.UPI_PAYEE_NAME = "Acme & Sons"
    settings.UPI_PAYEE_VPA = "acme.pay@okbank"
    assert services.upi_uri("199.5", "VIABCDEFGH") == (
        "upi://pay?pa=acme.pay%40okbank&pn=Acme%20%26%20Sons&am=199.50&cu=INR"
        "&tn=VIABCDEFGH"
    )


def test_the_qr_code_is_inline_svg_without_styles():
    svg = services.qr_svg("upi://pay?pa=x%40y&am=1.00")
    assert svg.startswith('<svg role="img"')
    assert "<title>UPI payment QR code</title>" in svg
    assert "style" not in svg
