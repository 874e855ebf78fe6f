"""Statement files made in the tests: SBI / HDFC-style bank exports, a PhonePe
settlement report and a generic layout, as CSV or XLSX bytes."""

import csv
import io

import openpyxl

SBI_HEADER = [
    "Txn Date",
    "Value Date",
    "Description",
    "Ref No./Cheque No.",
    "Debit",
    "Credit",
    "Balance",
]
HDFC_HEADER = [
    "Date",
    "Narration",
    "Chq./Ref.No.",
    "Value Dt",
    "Withdrawal Amt.",
    "Deposit Amt.",
    "Closing Balance",
]
PHONEPE_HEADER = [
    "PaymentType",
    "MerchantReferenceId",
    "PhonePeReferenceId",
    "From",
    "Instrument",
    "CreationDate",
    "Amount",
    "Fee",
    "TransactionDate",
    "SettlementDate",
    "BankReferenceNo",
]


def sbi_row(utr, amount, day="15 Jan 2026", payer="PRIYA S", debit=""):
    narration = f"UPI/{utr}/payment/{payer.lower().replace(' ', '')}@ybl/{payer}"
    return [day, day, narration, f"TRANSFER FROM {utr}", debit, amount, "10,000.00"]


def sbi_statement(rows, preamble=True):
    lines = []
    if preamble:
        lines += [
            ["Account Name", ":", "VIDEO INTERVIEW PORTAL"],
            ["Account Number", ":", "00000012345678901"],
            [],
        ]
    lines.append(SBI_HEADER)
    lines += rows
    lines.append(["**This is a computer generated statement**"])
    return lines


def phonepe_row(utr, amount, day="2026-01-15 10:31:02", kind="PAYMENT", payer="priya"):
    return [
        kind,
        "VI12345678",
        "T2601151031",
        payer,
        "UPI_REDEMPTION",
        day,
        amount,
        "0.00",
        day,
        "2026-01-16",
        utr,
    ]


def to_csv(rows, encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def to_xlsx(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
