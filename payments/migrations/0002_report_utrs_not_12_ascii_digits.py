"""Report (never change, never fail on) stored UTRs that are not 12 ASCII digits.

Before issue 12 the form accepted any Unicode digits (fullwidth, Devanagari,
Arabic-Indic...), so one real UPI payment could be "reused" in look-alike digits.
The next migration adds a check constraint; it stops, with the same list, while
such rows remain. For each row this prints the ASCII form of its digits and
whether another payment already has that UTR (then it is a reused UTR).
"""

import logging
import re
import unicodedata

from django.db import migrations

logger = logging.getLogger("payments.migrations")
ASCII_UTR = re.compile(r"[0-9]{12}", re.ASCII)


def _ascii_form(utr):
    digits = []
    for char in unicodedata.normalize("NFKC", utr):
        value = unicodedata.digit(char, None)
        if value is not None:
            digits.append(str(value))
    return "".join(digits)


def report_utrs_not_12_ascii_digits(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    rows = Payment.objects.values_list("pk", "reference", "status", "utr")
    bad = [row for row in rows.iterator() if not ASCII_UTR.fullmatch(row[3] or "")]
    if not bad:
        return
    logger.warning("%s payment(s) have a UTR that is not 12 ASCII digits", len(bad))
    print(f"\n  {len(bad)} payment(s) have a UTR that is not 12 ASCII digits:")
    for pk, reference, status, utr in bad:
        ascii_form = _ascii_form(utr)
        reused = Payment.objects.filter(utr=ascii_form).exclude(pk=pk).first()
        line = (
            f"payment {reference} (id {pk}, {status}): UTR {utr!r}, "
            f"in ASCII {ascii_form!r}"
            + (f", ALREADY USED by payment {reused.reference}" if reused else "")
        )
        logger.warning(line)
        print("    " + line)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            report_utrs_not_12_ascii_digits, migrations.RunPython.noop, elidable=True
        ),
    ]
