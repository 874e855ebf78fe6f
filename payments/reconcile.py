"""Storing imported statements and matching pending payments against them.

A match is advisory: it marks the payment (Payment.match, statement_line) and
an approver still clicks to approve (approve_matched_payment).
"""

import hashlib
from dataclasses import dataclass

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
from portal.dates import site_date, site_time
from portal.db import atomic


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
    with atomic():
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
                f"{site_date(line.credited_on)}, and this file gives other details."
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


class _Lines:
    """The stored credits and statement periods a round of matching needs, read
    in a few queries however many payments are judged."""

    def __init__(self, payments):
        utrs = {p.utr for p in payments}
        self.by_utr = {
            line.utr: line for line in StatementLine.objects.filter(utr__in=utrs)
        }
        self.periods = list(
            Statement.objects.exclude(covers_from=None).values_list(
                "covers_from", "covers_to"
            )
        )
        lines = list(self.by_utr.values())
        self.claims = {}
        for pk, utr, line_id in (
            Payment.objects.filter(LIVE_PAYMENT)
            .filter(
                Q(statement_line__in=lines) | Q(utr__in=[line.utr for line in lines])
            )
            .values_list("pk", "utr", "statement_line_id")
        ):
            for line in lines:
                if line.pk == line_id or line.utr == utr:
                    self.claims.setdefault(line.pk, set()).add(pk)
        self.references = (
            dict(
                Payment.objects.filter(
                    pk__in=set().union(*self.claims.values())
                ).values_list("pk", "reference")
            )
            if self.claims
            else {}
        )

    def covered(self, day):
        return any(start <= day <= end for start, end in self.periods)


def judge(payment, lines=None):
    """(MatchResult or "", note, line) for one payment, from the stored lines."""
    lines = lines or _Lines([payment])
    line = lines.by_utr.get(payment.utr)
    if line is None:
        day = timezone.localdate(payment.created_at)
        if lines.covered(day):
            return (
                MatchResult.NOT_FOUND,
                f"No credit with UTR {payment.utr} in the statements covering "
                f"{site_date(day)}.",
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
    # Another live payment pointing at this credit (two payments with one UTR
    # once the UTR may be reused, or a line matched before): both are flagged.
    rivals = lines.claims.get(line.pk, set()) - {payment.pk}
    if rivals:
        names = ", ".join(sorted(lines.references[pk] for pk in rivals))
        return (
            MatchResult.CLAIMED_TWICE,
            f"The credit with UTR {line.utr} is also claimed by {names}.",
            line,
        )
    return (
        MatchResult.MATCHED,
        f"Credit of ₹{line.amount} on {site_date(line.credited_on)}, UTR {line.utr}.",
        line,
    )


def _apply(payment, verdict):
    result, note, line = verdict
    changed = (payment.match, payment.match_note, payment.statement_line_id) != (
        result,
        note[:300],
        line.pk if line else None,
    )
    payment.match, payment.match_note, payment.statement_line = result, note[:300], line
    return changed


def match_payment(payment):
    _apply(payment, judge(payment))
    Payment.objects.filter(pk=payment.pk).update(
        match=payment.match,
        match_note=payment.match_note,
        statement_line=payment.statement_line,
    )
    return payment


def match_pending_payments():
    """Judge every pending payment; write only the verdicts that changed."""
    pending = list(
        Payment.objects.filter(status=PaymentStatus.PENDING_VERIFICATION)
        .select_related("student")
        .order_by("created_at", "pk")
    )
    lines = _Lines(pending)
    changed = [p for p in pending if _apply(p, judge(p, lines))]
    Payment.objects.bulk_update(
        changed, ["match", "match_note", "statement_line"], batch_size=500
    )
    return pending


def approve_matched_payment(payment, by):
    """Approve through the one approve transition, naming the statement line in
    the remarks (the audit entry) and the student's email. False if it lost, or
    if the payment is no longer matched."""
    line = payment.statement_line
    if payment.match != MatchResult.MATCHED or line is None:
        return False
    remarks = (
        f"Verified against the bank statement: credit of ₹{line.amount} on "
        f"{site_date(line.credited_on)}, UTR {line.utr} "
        f"({line.statement.file_name}, row {line.row_number})."
    )
    return services.approve_payment(payment, by, remarks)
