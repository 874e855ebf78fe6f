import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from interviews.factories import InterviewCourseFactory
from payments.factories import CompletedPaymentFactory, PaymentFactory
from payments.models import Payment, PaymentStatus
from payments.services import payment_reference, upi_uri
from payments.tests.helpers import (
    HTML_TAIL,
    SVG,
    jpeg_with_exif,
    png_bytes,
    png_claiming_size,
    private_proof_files,
    upload,
)

pytestmark = pytest.mark.django_db

UTR = "412345678901"


@pytest.fixture
def course():
    return InterviewCourseFactory(slug="python-basics", title="Python basics")


def pay_url(course):
    return reverse("payments:pay", args=[course.slug])


def post_proof(client, course, utr=UTR, proof=None, **extra):
    proof = proof if proof is not None else upload(png_bytes())
    return client.post(pay_url(course), {"utr": utr, "screenshot": proof}, **extra)


def test_it_shows_the_qr_code_amount_payee_and_reference(
    student_client, student, course, settings
):
    response = student_client.get(pay_url(course))

    assert response.status_code == 200
    html = response.content.decode()
    reference = payment_reference(student, course)
    assert re.fullmatch(r"VI[A-Z2-7]{8}", reference)
    assert reference in html
    assert "₹200.00" in html
    assert settings.UPI_PAYEE_VPA in html
    assert "<svg" in html and "Open UPI app" in html
    uri = upi_uri(course.fee, reference)
    assert uri == (
        "upi://pay?pa=interviewportal%40upi&pn=Video%20Interview%20Portal"
        f"&am=200.00&cu=INR&tn={reference}"
    )
    assert f'href="{uri.replace("&", "&amp;")}"' in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "style=" not in svg  # CSP: style-src 'self'


def test_the_reference_is_the_same_across_reloads(student_client, course):
    first = student_client.get(pay_url(course)).context["reference"]
    second = student_client.get(pay_url(course)).context["reference"]
    assert first == second


def test_the_reference_differs_per_student_and_per_attempt(
    student, other_student, course
):
    mine = payment_reference(student, course)
    assert mine != payment_reference(other_student, course)
    PaymentFactory(student=student, course=course, status=PaymentStatus.REJECTED)
    assert payment_reference(student, course) != mine


def test_it_saves_a_pending_payment_with_a_private_reencoded_proof(
    student_client, student, course
):
    before = set(private_proof_files())
    reference = payment_reference(student, course)
    original = jpeg_with_exif()

    response = post_proof(
        student_client, course, utr="4123 4567 8901", proof=upload(original, "a.jpg")
    )

    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("payments:payment", args=[payment.public_id])
    assert payment.status == PaymentStatus.PENDING_VERIFICATION
    assert payment.student == student
    assert payment.utr == UTR
    assert payment.reference == reference
    assert payment.amount == course.fee
    assert re.fullmatch(r"proofs/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", payment.proof.name)
    new_files = set(private_proof_files()) - before
    [stored] = [path for path in new_files if str(path).endswith(".jpg")]
    [thumbnail] = [path for path in new_files if str(path).endswith(".thumb.webp")]
    assert payment.proof_thumbnail.name.endswith(str(thumbnail).rsplit("/", 1)[-1])
    with payment.proof.storage.open(str(stored)) as handle:
        content = handle.read()
    assert b"SecretPhone" not in content
    assert content != original
    assert Image.open(io.BytesIO(content)).format == "JPEG"

    page = student_client.get(response.url).content.decode()
    assert f"Your payment {payment.reference} is pending verification" in page
    assert "Pending admin approval" in page
    # Nothing under MEDIA_ROOT has a public URL.
    media_url = "/media/private/" + payment.proof.name
    assert student_client.get(media_url).status_code == 404


def test_a_png_with_html_appended_is_stored_without_the_html(student_client, course):
    post_proof(student_client, course, proof=upload(png_bytes() + HTML_TAIL))

    payment = Payment.objects.get()
    with payment.proof.open("rb") as stored:
        assert b"<html" not in stored.read()


def assert_refused(response, field, message, before_files):
    assert response.status_code == 200
    assert message in response.content.decode()
    errors = response.context["form"].errors
    assert field in errors, errors
    assert not Payment.objects.exists()
    assert set(private_proof_files()) == before_files


@pytest.mark.parametrize(
    "utr",
    [
        pytest.param("41234567890A", id="letters"),
        pytest.param("41234567890", id="11-digits"),
        pytest.param("4123456789012", id="13-digits"),
        pytest.param("", id="empty"),
    ],
)
def test_a_bad_utr_is_refused_next_to_the_field_and_kept(student_client, course, utr):
    before = set(private_proof_files())
    response = post_proof(student_client, course, utr=utr)

    message = "This field is required." if not utr else "A UTR is exactly 12 digits"
    assert_refused(response, "utr", message, before)
    html = response.content.decode()
    assert f'value="{utr}"' in html or not utr
    assert 'id="id_utr_error"' in html
    assert 'aria-invalid="true"' in html


def test_an_invalid_utr_is_refused_without_looking_at_the_image(student_client, course):
    # Not an image at all: had the image been checked, it would be refused too.
    before = set(private_proof_files())
    response = post_proof(
        student_client, course, utr="41234567890A", proof=upload(SVG, "proof.svg")
    )

    assert_refused(response, "utr", "A UTR is exactly 12 digits", before)
    assert list(response.context["form"].errors) == ["utr"]


def test_a_busy_server_asks_to_try_again_and_saves_nothing(
    student_client, course, settings
):
    from payments.images import decode_slots

    settings.PAYMENT_PROOF_DECODE_CONCURRENCY = 1
    settings.PAYMENT_PROOF_DECODE_WAIT_SECONDS = 0.05
    before = set(private_proof_files())
    slots = decode_slots()
    assert slots.acquire(timeout=1)  # another request is decoding
    try:
        response = post_proof(student_client, course)
    finally:
        slots.release()

    assert_refused(response, "screenshot", "We are busy checking other", before)
    assert post_proof(student_client, course).status_code == 302


def test_a_reused_utr_is_refused(student_client, course):
    PaymentFactory(utr=UTR)
    before = set(private_proof_files())
    count = Payment.objects.count()

    response = post_proof(student_client, course)

    assert "This UTR has already been used" in response.content.decode()
    assert Payment.objects.count() == count
    assert set(private_proof_files()) == before


@pytest.mark.parametrize(
    ("content", "name"),
    [
        pytest.param(b"hello, I am text\n" * 20, "proof.png", id="text-named-png"),
        pytest.param(SVG, "proof.svg", id="svg"),
        pytest.param(png_claiming_size(100_000, 100_000), "bomb.png", id="bomb"),
    ],
)
def test_a_file_that_is_not_an_acceptable_image_is_refused(
    student_client, course, content, name
):
    before = set(private_proof_files())
    response = post_proof(student_client, course, proof=upload(content, name))

    assert_refused(response, "screenshot", "", before)
    assert f'value="{UTR}"' in response.content.decode()  # the UTR is kept


def test_an_oversized_screenshot_is_refused(student_client, course, settings):
    settings.PAYMENT_PROOF_MAX_BYTES = 1024
    before = set(private_proof_files())
    big = png_bytes(size=(300, 300)) + b"\0" * 2048

    response = post_proof(student_client, course, proof=upload(big))

    assert_refused(response, "screenshot", "the limit is 1.0\xa0KB", before)


def test_a_screenshot_over_the_pixel_limit_is_refused(student_client, course, settings):
    settings.PAYMENT_PROOF_MAX_PIXELS = 10_000
    before = set(private_proof_files())

    response = post_proof(student_client, course, proof=upload(png_bytes((200, 100))))

    assert_refused(response, "screenshot", "too large in pixels", before)


def test_the_same_image_twice_is_accepted_and_shares_a_hash(
    client, student, other_student
):
    course = InterviewCourseFactory()
    image = png_bytes(color=(9, 9, 9))
    for user, utr in [(student, "412345678911"), (other_student, "412345678922")]:
        client.force_login(user)
        assert (
            post_proof(client, course, utr=utr, proof=upload(image)).status_code == 302
        )

    first, second = Payment.objects.order_by("created_at")
    assert first.proof_sha256 == second.proof_sha256


def test_a_second_submission_creates_nothing_and_says_why(student_client, course):
    post_proof(student_client, course)
    before = set(private_proof_files())

    response = post_proof(student_client, course, utr="999999999999", follow=True)

    assert Payment.objects.count() == 1
    assert set(private_proof_files()) == before
    html = response.content.decode()
    assert "this second submission was not saved" in html
    # The card's words, not the console's "Pending verification" (issue 16).
    assert "Pending admin approval" in html
    assert "Pending verification" not in html
    assert 'name="screenshot"' not in html


def test_the_page_shows_the_live_payment_instead_of_the_form(
    student_client, student, course
):
    payment = CompletedPaymentFactory(student=student, course=course)

    response = student_client.get(pay_url(course))

    html = response.content.decode()
    assert payment.reference in html
    # The card's words, not the console's "Completed" (issue 16).
    assert "Ready to schedule" in html
    assert "Completed" not in html
    assert 'name="utr"' not in html
    assert (
        'data-status-url="{}"'.format(
            reverse("payments:status", args=[payment.public_id])
        )
        in html
    )


def test_after_a_rejection_the_student_may_pay_again(student_client, student, course):
    rejected = PaymentFactory(
        student=student,
        course=course,
        status=PaymentStatus.REJECTED,
        remarks="Amount <b>mismatch</b>",
    )
    page = student_client.get(pay_url(course)).content.decode()
    assert 'name="utr"' in page
    assert "Amount &lt;b&gt;mismatch&lt;/b&gt;" in page

    response = post_proof(student_client, course)

    assert response.status_code == 302
    new = Payment.objects.exclude(pk=rejected.pk).get()
    assert new.reference != rejected.reference


def test_an_inactive_course_is_refused(student_client, student):
    course = InterviewCourseFactory(is_active=False)
    before = set(private_proof_files())

    page = student_client.get(pay_url(course))
    response = post_proof(student_client, course)

    assert "not taking payments" in page.content.decode()
    assert 'name="utr"' not in page.content.decode()
    assert "not taking payments at the moment; nothing was saved" in (
        response.content.decode()
    )
    assert not Payment.objects.exists()
    assert set(private_proof_files()) == before


def test_an_unknown_course_is_404(student_client):
    assert student_client.get("/courses/no-such-course/pay/").status_code == 404


def test_a_post_without_the_csrf_token_is_refused(student, course):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)

    response = post_proof(client, course)

    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_anonymous_is_sent_to_log_in(client, course):
    response = client.get(pay_url(course))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
