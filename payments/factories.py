import hashlib
import io
import secrets
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from PIL import Image

from accounts.factories import UserFactory
from interviews.factories import InterviewCourseFactory
from payments.models import Payment, PaymentStatus
from portal.storage import unguessable_name


def png_bytes(size=(40, 30), color=(30, 120, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def _random_png():
    return png_bytes(color=tuple(secrets.randbelow(256) for _ in range(3)))


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    class Params:
        proof_bytes = factory.LazyFunction(_random_png)

    student = factory.SubFactory(UserFactory)
    course = factory.SubFactory(InterviewCourseFactory)
    amount = factory.LazyAttribute(lambda p: p.course.fee or Decimal("200.00"))
    reference = factory.Sequence(lambda n: f"VIT{n:07d}")
    utr = factory.Sequence(lambda n: f"{400000000000 + n:012d}")
    proof = factory.LazyAttribute(
        lambda p: ContentFile(p.proof_bytes, name=unguessable_name("proofs", "png"))
    )
    proof_sha256 = factory.LazyAttribute(
        lambda p: hashlib.sha256(p.proof_bytes).hexdigest()
    )
    status = PaymentStatus.PENDING_VERIFICATION


class CompletedPaymentFactory(PaymentFactory):
    status = PaymentStatus.COMPLETED
