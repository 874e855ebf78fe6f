"""A UTR is 12 ASCII digits: in the form, in the database, and in the data."""

import importlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from payments.factories import PaymentFactory
from payments.forms import PaymentProofForm, is_placeholder_utr, normalise_utr
from payments.models import Payment
from payments.tests.helpers import upload
from portal.tests.migrations import migrated_back_to

pytestmark = pytest.mark.django_db

UTR = "412345678901"
FULLWIDTH = "４１２３４５６７８９０１"
DEVANAGARI = "४१२३४५६७८९०१"
ARABIC_INDIC = "٤١٢٣٤٥٦٧٨٩٠١"
EXTENDED_ARABIC_INDIC = "۴۱۲۳۴۵۶۷۸۹۰۱"
BENGALI = "৪১২৩৪৫৬৭৮৯০১"


def utr_errors(utr):
    from payments.factories import png_bytes

    form = PaymentProofForm({"utr": utr}, {"screenshot": upload(png_bytes())})
    form.is_valid()
    return form.errors.get("utr"), form


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(DEVANAGARI, id="devanagari"),
        pytest.param(ARABIC_INDIC, id="arabic-indic"),
        pytest.param(EXTENDED_ARABIC_INDIC, id="extended-arabic-indic"),
        pytest.param(BENGALI, id="bengali"),
        pytest.param("4123456७८९०१", id="mixed-ascii-devanagari"),
        pytest.param("٤١٢٣٤٥678901", id="mixed-arabic-ascii"),
    ],
)
def test_digits_of_other_scripts_are_refused_with_a_clear_message(typed):
    errors, form = utr_errors(typed)

    assert errors == [
        "A UTR is exactly 12 digits 0-9, as shown in your UPI app (you typed 12 "
        "characters, with digits from another script: type them as 0-9)."
    ]
    # The image is not even looked at when the UTR is wrong.
    assert "screenshot" not in form.errors


def test_fullwidth_digits_are_read_as_the_same_ascii_digits():
    errors, form = utr_errors(FULLWIDTH)

    assert errors is None
    assert form.cleaned_data["utr"] == UTR


def test_a_fullwidth_copy_of_a_used_utr_is_refused_as_reused():
    PaymentFactory(utr=UTR)

    errors, _ = utr_errors(FULLWIDTH)

    assert errors == [
        "This UTR has already been used for a payment. Check the number in your "
        "UPI app."
    ]


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("4123 4567 8901", id="spaces"),
        pytest.param("4123-4567-8901", id="dashes"),
        pytest.param("\u00a04123\u20034567\u30008901 ", id="unicode-spaces"),
        pytest.param("４１２３　４５６７　８９０１", id="fullwidth-ideographic"),
    ],
)
def test_grouping_spaces_and_dashes_are_dropped(typed):
    assert normalise_utr(typed) == UTR
    errors, form = utr_errors(typed)
    assert errors is None and form.cleaned_data["utr"] == UTR


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("41234567890A", id="letter"),
        pytest.param("4123456789Ⅻ", id="roman-numeral"),
        pytest.param("4123456789٫0", id="arabic-decimal-separator"),
    ],
)
def test_letters_and_digit_like_symbols_are_refused(typed):
    errors, _ = utr_errors(typed)
    assert errors and errors[0].startswith("A UTR is exactly 12 digits 0-9")


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("41234567890¹", id="superscript"),
        pytest.param("4123456789０①", id="circled"),
    ],
)
def test_compatibility_digits_become_the_ascii_utr_so_reuse_is_caught(typed):
    PaymentFactory(utr=UTR)
    errors, _ = utr_errors(typed)
    assert errors and errors[0].startswith("This UTR has already been used")


@pytest.mark.parametrize(
    "utr",
    [
        "000000000000",
        "111111111111",
        "999999999999",
        "123456789012",
        "012345678901",
        "987654321098",
        "210987654321",
    ],
)
def test_placeholder_utrs_are_refused(utr):
    errors, _ = utr_errors(utr)
    assert errors == [
        "This is not a real UTR. Type the 12 digits exactly as shown in your UPI "
        "app for this payment."
    ]


@pytest.mark.parametrize("utr", [UTR, "400000000001", "612345123450", "121212121212"])
def test_ordinary_utrs_are_not_placeholders(utr):
    assert not is_placeholder_utr(utr)


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param(FULLWIDTH, id="fullwidth"),
        pytest.param(DEVANAGARI, id="devanagari"),
        pytest.param("41234567890A", id="letter"),
        pytest.param("41234567890", id="11-digits"),
        pytest.param("4123 4567 89", id="space"),
    ],
)
@pytest.mark.sql_only("a CHECK constraint: MongoDB has none (the form refuses it)")
def test_the_database_refuses_a_utr_that_is_not_12_ascii_digits(stored):
    payment = PaymentFactory.build(utr=stored)
    payment.student.save()
    payment.course.save()
    with pytest.raises(ValidationError, match="A UTR is exactly 12 digits 0-9"):
        payment.validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        payment.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=PaymentFactory(utr=UTR).pk).update(utr=stored)


def test_the_database_accepts_12_ascii_digits():
    payment = PaymentFactory(utr=UTR)
    payment.validate_constraints()
    assert Payment.objects.get().utr == UTR


REPORT = "payments.migrations.0002_report_utrs_not_12_ascii_digits"
BEFORE_CONSTRAINT = [
    ("payments", "0002_report_utrs_not_12_ascii_digits"),
    # The users of that moment too: User.email_key (accounts 0008) is NOT NULL
    # with no database default, so that moment's User could not be inserted.
    ("accounts", "0007_pending_signup"),
]


@pytest.mark.sql_only("replays the SQL migration chain (MongoDB has its own tree)")
@pytest.mark.django_db(transaction=True)
def test_the_migrations_report_bad_utrs_and_stop_clearly_before_the_constraint(
    capsys,
):
    with migrated_back_to(BEFORE_CONSTRAINT) as moment:
        apps = moment.apps
        # Rows made with the models of that moment: today's have later columns.
        historical = apps.get_model("payments", "Payment")
        users = apps.get_model("accounts", "User").objects
        course = apps.get_model("interviews", "InterviewCourse").objects.create(
            title="Old course", slug="old-course"
        )

        def old_payment(reference, utr):
            return historical.objects.create(
                reference=reference,
                student=users.create(username=reference),
                course=course,
                amount="200.00",
                utr=utr,
                proof=f"proofs/{reference}.png",
                proof_sha256=reference,
            )

        used = old_payment("VIUSED0001", UTR)
        copy = old_payment("VICOPY0001", "400000000001")
        historical.objects.filter(pk=copy.pk).update(utr=DEVANAGARI)

        importlib.import_module(REPORT).report_utrs_not_12_ascii_digits(apps, None)

        printed = capsys.readouterr().out
        assert "1 payment(s) have a UTR that is not 12 ASCII digits" in printed
        assert (
            f"payment {copy.reference} (id {copy.pk}, pending_verification): UTR "
            f"'{DEVANAGARI}', in ASCII '{UTR}', ALREADY USED by payment "
            f"{used.reference}"
        ) in printed
        with pytest.raises(RuntimeError, match=f"1 payment.*{copy.reference}"):
            moment.forward()
        assert historical.objects.get(pk=copy.pk).utr == DEVANAGARI  # untouched

        historical.objects.filter(pk=copy.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=used.pk).update(utr=DEVANAGARI)
