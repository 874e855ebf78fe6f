"""Which column is which, and reading each credit's UTR, amount, date and payer.

Named layouts, from public descriptions of the exports:
- BANK: Indian bank account statements. SBI's columns are "Txn Date, Value Date,
  Description, Ref No./Cheque No., Debit, Credit, Balance"; HDFC's are "Date,
  Narration, Chq./Ref.No., Value Dt, Withdrawal Amt., Deposit Amt., Closing
  Balance" (convertstatement.online, "Indian bank statement formats"). A UPI
  credit's UTR is in the narration, e.g. "UPI/412345678901/...".
- PHONEPE: the PhonePe merchant settlement report (developer.phonepe.com/docs/
  settlement): PaymentType (PAYMENT or REFUND), PhonePeReferenceId, From,
  Amount, TransactionDate, BankReferenceNo (the UTR), ...
- GENERIC: any header, with the approver naming the columns.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from payments.models import StatementFormat
from payments.statements.reading import StatementRefused

UTR_IN_TEXT = re.compile(r"(?<!\d)(\d{12})(?!\d)")
HEADER_SEARCH_ROWS = 30
MAX_ERRORS_SHOWN = 8


def _key(header):
    return re.sub(r"[^a-z0-9]", "", header.lower())


# layout -> role -> accepted header keys (first found wins)
LAYOUTS = {
    StatementFormat.BANK: {
        "date": ["txndate", "date", "transactiondate", "trandate"],
        "narration": ["description", "narration", "particulars"],
        "ref": ["refnochequeno", "chqrefno", "chequenumber", "chqno", "refno"],
        "credit": ["credit", "depositamt", "cr", "deposit"],
        "debit": ["debit", "withdrawalamt", "dr", "withdrawal"],
    },
    StatementFormat.PHONEPE: {
        "type": ["paymenttype"],
        "utr": ["bankreferenceno", "utr"],
        "amount": ["amount"],
        "date": ["transactiondate", "creationdate"],
        "narration": ["from"],
        "txn": ["phonepereferenceid", "transactionid"],
    },
}
REQUIRED = {
    StatementFormat.BANK: {"date", "narration", "credit"},
    StatementFormat.PHONEPE: {"type", "utr", "amount", "date"},
}

DATE_FORMATS = [
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d/%m/%y",
    "%d-%m-%y",
    "%d-%b-%y",
    "%d %b %y",
    "%d.%m.%Y",
    "%Y-%m-%d",
]


@dataclass(frozen=True)
class Credit:
    row: int
    utr: str
    amount: Decimal
    credited_on: date
    payer: str

    @property
    def line_hash(self):
        payer = " ".join(self.payer.split()).lower()
        text = f"{self.utr}|{self.amount}|{self.credited_on}|{payer}"
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ParsedStatement:
    format: str
    credits: list
    warnings: list = field(default_factory=list)

    @property
    def covers(self):
        days = [c.credited_on for c in self.credits]
        return (min(days), max(days)) if days else (None, None)


def parse_date(text):
    text = text.strip()
    if not text:
        raise ValueError("no date")
    # "15/01/2024 10:31:02", "2024-01-15T10:31:02": the date part only.
    head = re.split(r"[ T](?=\d{1,2}:)", text, maxsplit=1)[0].strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(head, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"the date {text!r} is not in a known format")


def parse_amount(text):
    cleaned = re.sub(r"(?i)(₹|rs\.?|inr|\bcr\b|,|\s)", "", text)
    if not cleaned:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"the amount {text!r} is not a number") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"the amount {text!r} is not a positive number")
    return amount.quantize(Decimal("0.01"))


def find_utr(*texts):
    for text in texts:
        found = UTR_IN_TEXT.search(text or "")
        if found:
            return found.group(1)
    return ""


def _columns(header, roles):
    keys = [_key(h) for h in header]
    found = {}
    for role, accepted in roles.items():
        for wanted in accepted:
            if wanted in keys:
                found[role] = keys.index(wanted)
                break
    return found


def _detect(rows):
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        for layout, roles in LAYOUTS.items():
            columns = _columns(row, roles)
            if REQUIRED[layout] <= columns.keys():
                return layout, number, columns
    return None, None, None


def _first_row(rows):
    return next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), 0)


def _generic_columns(rows, mapping):
    header = rows[_first_row(rows)]
    keys = [_key(h) for h in header]
    columns = {}
    for role in ("utr", "amount", "date", "narration"):
        wanted = _key(mapping.get(role) or "")
        if not wanted:
            continue
        if wanted not in keys:
            raise StatementRefused(
                f"There is no column called {mapping[role]!r}. The columns are: "
                + ", ".join(h for h in header if h)
            )
        columns[role] = keys.index(wanted)
    if not {"amount", "date"} <= columns.keys() or not (
        {"utr", "narration"} & columns.keys()
    ):
        raise StatementRefused(
            "Name the amount and date columns, and the UTR or narration column."
        )
    return columns


def parse_rows(rows, mapping=None):
    if mapping and any(mapping.values()):
        layout, header_at, columns = (
            StatementFormat.GENERIC,
            0,
            _generic_columns(rows, mapping),
        )
    else:
        layout, header_at, columns = _detect(rows)
    if layout is None:
        raise StatementRefused(
            "The columns of this file are not a layout we know. Name the UTR (or "
            "narration), amount and date columns below and upload it again. The "
            "first row's columns are: "
            + ", ".join(c for c in rows[_first_row(rows)] if c)
        )

    def cell(row, role):
        index = columns.get(role)
        return row[index].strip() if index is not None and index < len(row) else ""

    credits, errors, warnings, seen = [], [], [], {}
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in row):
            continue
        try:
            credit = _credit(layout, number, lambda role, r=row: cell(r, role))
        except ValueError as error:
            errors.append(f"Row {number}: {error}.")
            continue
        if credit is None:
            continue
        earlier = seen.get(credit.line_hash)
        if earlier:
            warnings.append(f"Row {number} repeats row {earlier}; it is counted once.")
            continue
        seen[credit.line_hash] = number
        credits.append(credit)
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        raise StatementRefused(
            "Nothing was imported. "
            + " ".join(shown)
            + (f" And {more} more rows like these." if more else "")
        )
    by_utr = {}
    for credit in credits:
        if credit.utr and credit.utr in by_utr:
            raise StatementRefused(
                f"Nothing was imported. Rows {by_utr[credit.utr].row} and "
                f"{credit.row} carry the same UTR {credit.utr} with different details."
            )
        by_utr[credit.utr] = credit
    if not credits:
        raise StatementRefused("The file has no credit lines (debits are ignored).")
    return ParsedStatement(layout, credits, warnings)


def _credit(layout, number, cell):
    """The Credit on one row, None for a row that is not a credit (a debit, a
    footer, a refund); ValueError when a credit cannot be read."""
    if layout == StatementFormat.BANK:
        amount_text = cell("credit")
        if not amount_text or amount_text in ("-", "0", "0.00"):
            return None
        narration = cell("narration")
        utr = find_utr(narration, cell("ref"))
    elif layout == StatementFormat.PHONEPE:
        if cell("type").upper() != "PAYMENT":
            return None
        amount_text = cell("amount")
        narration = cell("narration")
        utr = find_utr(cell("utr"))
    else:
        amount_text = cell("amount")
        if not amount_text:
            return None
        narration = cell("narration")
        utr = find_utr(cell("utr"), narration)
    amount = parse_amount(amount_text)
    if amount is None:
        return None
    return Credit(
        row=number,
        utr=utr,
        amount=amount,
        credited_on=parse_date(cell("date")),
        payer=narration[:300],
    )
