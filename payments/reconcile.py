"""Storing imported statements and matching pending payments against them.

A match is advisory: it marks the payment (Payment.match, statement_line) and
an approver still clicks to approve (approve_matched_payment).
"""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from payments import services
from payments.models import (
    LIVE_PAYMENT,
    MatchResult,
    Payment,
    PaymentStatus,
    Statement,
    StatementLine,
)
from payments.statements import StatementRefused, read_statement
from portal.dates import site_time


@dataclass
class ImportResult:
    statement: Statement
    added: int
    already_known: int
    warnings: list
    matched: list
    flagged: list


def import_statement(by, name, content, mapping=None):
    """Store the new credit lines of a statement and match the pending payments.

    Raises StatementRefused (storing nothing) for a file that cannot be read,
    a file already imported or a UTR already stored with other details.
    """
    parsed = read_statement(name, content, mapping)
    sha256 = hashlib.sha256(content).hexdigest()
    earlier = Statement.objects.filter(sha256=sha256).first()
    if earlier is not None:
        raise StatementRefused(
            f"This file was already imported on {site_time(earlier.created_at)}; "
            "nothing new was stored."
        )
    with transaction.atomic():
        known_hashes = set(
            StatementLine.objects.filter(
                line_hash__in=[c.line_hash for c in parsed.credits]
            ).values_list("line_hash", flat=True)
        )
        fresh = [c for c in parsed.credits if c.line_hash not in known_hashes]
        clashes = StatementLine.objects.filter(
            utr__in=[c.utr for c in fresh if c.utr]
        ).select_related("statement")
        for line in clashes:
            raise StatementRefused(
                f"Nothing was imported. UTR {line.utr} is already recorded from "
                f"{line.statement.file_name} as ₹{line.amount} on "
                f"{line.credited_on:%d %b %Y}, and this file gives other details."
            )
        covers_from, covers_to = parsed.covers
        statement = Statement.objects.create(
            uploaded_by=by,
            file_name=name[:200],
            sha256=sha256,
            format=parsed.format,
            rows=len(parsed.credits),
            lines_added=len(fresh),
            covers_from=covers_from,
            covers_to=covers_to,
        )
        StatementLine.objects.bulk_create(
            StatementLine(
                statement=statement,
                utr=c.utr,
                amount=c.amount,
                credited_on=c.credited_on,
                payer=c.payer,
                line_hash=c.line_hash,
                row_number=c.row,
            )
            for c in fresh
        )
        results = match_pending_payments()
    return ImportResult(
        statement=statement,
        added=len(fresh),
        already_known=len(parsed.credits) - len(fresh),
        warnings=parsed.warnings,
        matched=[p for p in results if p.match == MatchResult.MATCHED],
        flagged=[p for p in results if p.match and p.match != MatchResult.MATCHED],
    )


def _covered(day):
    return Statement.objects.filter(covers_from__lte=day, covers_to__gte=day).exists()


def judge(payment):
    """(MatchResult or "", note, line) for one payment, from the stored lines."""
    line = StatementLine.objects.filter(utr=payment.utr).first()
    if line is None:
        day = timezone.localdate(payment.created_at)
        if _covered(day):
            return (
                MatchResult.NOT_FOUND,
                f"No credit with UTR {payment.utr} in the statements covering "
                f"{day:%d %b %Y}.",
                None,
            )
        return "", "", None
    if line.amount != payment.amount:
        return (
            MatchResult.AMOUNT_DIFFERS,
            f"The credit with UTR {line.utr} is ₹{line.amount}, the fee is "
            f"₹{payment.amount}.",
            line,
        )
    # Another live payment already matched to this credit (by an earlier UTR
    # that was edited, or a relaxed UTR constraint): both are flagged.
    rivals = (
        Payment.objects.filter(LIVE_PAYMENT)
        .filter(Q(statement_line=line) | Q(utr=line.utr))
        .exclude(pk=payment.pk)
    )
    if rivals.exists():
        names = ", ".join(rivals.values_list("reference", flat=True))
        return (
            MatchResult.CLAIMED_TWICE,
            f"The credit with UTR {line.utr} is also claimed by {names}.",
            line,
        )
    return (
        MatchResult.MATCHED,
        f"Credit of ₹{line.amount} on {line.credited_on:%d %b %Y}, UTR {line.utr}.",
        line,
    )


def match_payment(payment):
    result, note, line = judge(payment)
    Payment.objects.filter(pk=payment.pk).update(
        match=result, match_note=note[:300], statement_line=line
    )
    payment.match, payment.match_note, payment.statement_line = result, note, line
    return payment


def match_pending_payments():
    pending = Payment.objects.filter(
        status=PaymentStatus.PENDING_VERIFICATION
    ).order_by("created_at", "pk")
    return [match_payment(payment) for payment in pending]


def approve_matched_payment(payment, by):
    """Approve through the one approve transition, naming the statement line in
    the remarks (the audit entry) and the student's email. False if it lost, or
    if the payment is no longer matched."""
    line = payment.statement_line
    if payment.match != MatchResult.MATCHED or line is None:
        return False
    remarks = (
        f"Verified against the bank statement: credit of ₹{line.amount} on "
        f"{line.credited_on:%d %b %Y}, UTR {line.utr} "
        f"({line.statement.file_name}, row {line.row_number})."
    )
    return services.approve_payment(payment, by, remarks)
