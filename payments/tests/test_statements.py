"""Reading statements: layouts, encodings, dates, bad input (no database)."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest

from payments.models import StatementFormat
from payments.statements import StatementRefused, read_statement
from payments.statements.layouts import parse_date
from payments.tests.statement_files import (
    HDFC_HEADER,
    PHONEPE_HEADER,
    phonepe_row,
    sbi_row,
    sbi_statement,
    to_csv,
    to_xlsx,
)

UTR1, UTR2 = "412345678901", "412345678902"


def test_an_sbi_statement_gives_its_credits_with_the_utr_from_the_narration():
    rows = sbi_statement(
        [
            sbi_row(UTR1, "200.00"),
            sbi_row(UTR2, "1,200.50", day="16 Jan 2026", payer="OMAR O"),
            ["17 Jan 2026", "17 Jan 2026", "ATM WDL", "", "500.00", "", "9,000.00"],
        ]
    )

    parsed = read_statement("sbi.csv", to_csv(rows))

    assert parsed.format == StatementFormat.BANK
    assert [(c.utr, c.amount, c.credited_on) for c in parsed.credits] == [
        (UTR1, Decimal("200.00"), date(2026, 1, 15)),
        (UTR2, Decimal("1200.50"), date(2026, 1, 16)),
    ]
    assert "PRIYA S" in parsed.credits[0].payer
    assert parsed.covers == (date(2026, 1, 15), date(2026, 1, 16))


def test_an_hdfc_statement_is_the_bank_layout_with_its_own_headers():
    rows = [
        HDFC_HEADER,
        [
            "15/01/26",
            f"UPI-PRIYA S-priya@okaxis-{UTR1}-PAY",
            "0000" + UTR1,
            "15/01/26",
            "",
            "200.00",
            "5,000.00",
        ],
        ["16/01/26", "NEFT DR-RENT", "N123", "16/01/26", "9,000.00", "", "0.00"],
    ]

    parsed = read_statement("hdfc.csv", to_csv(rows))

    assert [(c.utr, c.amount, c.credited_on) for c in parsed.credits] == [
        (UTR1, Decimal("200.00"), date(2026, 1, 15))
    ]


def test_a_phonepe_report_keeps_payments_and_ignores_refunds():
    rows = [
        PHONEPE_HEADER,
        phonepe_row(UTR1, "200.00"),
        phonepe_row(UTR2, "200.00", kind="REFUND"),
    ]

    parsed = read_statement("settlement.csv", to_csv(rows))

    assert parsed.format == StatementFormat.PHONEPE
    assert [(c.utr, c.credited_on) for c in parsed.credits] == [
        (UTR1, date(2026, 1, 15))
    ]


def test_an_unknown_layout_asks_for_the_columns_and_then_reads_them():
    rows = [["When", "Ref", "Got", "Who"], ["15-01-2026", UTR1, "200", "Priya"]]
    content = to_csv(rows)

    with pytest.raises(StatementRefused, match="When, Ref, Got, Who"):
        read_statement("other.csv", content)
    parsed = read_statement(
        "other.csv",
        content,
        {"utr": "Ref", "amount": "Got", "date": "When", "narration": "Who"},
    )

    assert parsed.format == StatementFormat.GENERIC
    assert parsed.credits[0].utr == UTR1


def test_a_mapping_naming_a_missing_column_says_which_columns_exist():
    content = to_csv([["When", "Got"], ["15-01-2026", "200"]])

    with pytest.raises(StatementRefused, match="no column called 'Amount'"):
        read_statement("x.csv", content, {"amount": "Amount", "date": "When"})


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"]
)
def test_the_text_encodings_banks_export_are_read(encoding):
    rows = sbi_statement([sbi_row(UTR1, "200.00", payer="JOSÉ ’Q’")])

    parsed = read_statement("s.csv", to_csv(rows, encoding=encoding))

    assert "JOSÉ ’Q’" in parsed.credits[0].payer


def test_semicolon_separated_files_are_read():
    rows = sbi_statement([sbi_row(UTR1, "200.00")])

    parsed = read_statement("s.csv", to_csv(rows, delimiter=";"))

    assert parsed.credits[0].utr == UTR1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/01/2026", date(2026, 1, 15)),
        ("15-01-2026", date(2026, 1, 15)),
        ("15-Jan-2026", date(2026, 1, 15)),
        ("15 Jan 2026", date(2026, 1, 15)),
        ("15/01/26", date(2026, 1, 15)),
        ("2026-01-15", date(2026, 1, 15)),
        ("2026-01-15 10:31:02", date(2026, 1, 15)),
        ("15/01/2026 10:31", date(2026, 1, 15)),
    ],
)
def test_the_common_indian_date_formats(text, expected):
    assert parse_date(text) == expected


def test_an_xlsx_statement_is_read_as_values():
    rows = sbi_statement([sbi_row(UTR1, 200)])

    parsed = read_statement("s.xlsx", to_xlsx(rows))

    assert parsed.credits[0].amount == Decimal("200.00")
    assert parsed.credits[0].utr == UTR1


def test_a_formula_is_kept_as_text_and_never_evaluated():
    formula_payer = '=HYPERLINK("http://evil.example","click")'
    rows = sbi_statement([sbi_row(UTR1, "200.00")])
    rows[4][2] = formula_payer + f" UPI/{UTR1}/"

    parsed = read_statement("s.csv", to_csv(rows))

    assert parsed.credits[0].payer.startswith("=HYPERLINK")


def test_a_formula_in_an_amount_refuses_the_file():
    rows = sbi_statement([sbi_row(UTR1, "=100+100")])

    with pytest.raises(StatementRefused, match="Row 5: the amount '=100\\+100'"):
        read_statement("s.xlsx", to_xlsx(rows))


def test_duplicate_lines_are_counted_once_with_a_warning():
    rows = sbi_statement([sbi_row(UTR1, "200.00"), sbi_row(UTR1, "200.00")])

    parsed = read_statement("s.csv", to_csv(rows))

    assert len(parsed.credits) == 1
    assert parsed.warnings == ["Row 6 repeats row 5; it is counted once."]


def test_one_utr_with_two_amounts_refuses_the_file():
    rows = sbi_statement([sbi_row(UTR1, "200.00"), sbi_row(UTR1, "300.00")])

    with pytest.raises(StatementRefused, match="same UTR"):
        read_statement("s.csv", to_csv(rows))


def _macro_workbook():
    content = io.BytesIO(to_xlsx(sbi_statement([sbi_row(UTR1, "200")])))
    with zipfile.ZipFile(content, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00macro")
    return content.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("s.csv", b"", "empty"),
        ("s.pdf", b"%PDF-1.7 ...", "PDF"),
        ("s.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "XLS"),
        ("s.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a CSV"),
        ("s.zip", b"PK\x03\x04garbage", "not a CSV or XLSX"),
        ("s.xlsm", b"PK\x03\x04", "Macro-enabled"),
        ("s.xlsx", _macro_workbook(), "macros"),
        ("s.csv", b"\x81\x8d\x8f\x90\x9d" * 10, "encoding"),
        ("s.csv", b"a,b\n1,2\n", "not a layout we know"),
        ("s.csv", to_csv(sbi_statement([])), "no credit lines"),
        (
            "s.csv",
            to_csv(sbi_statement([sbi_row(UTR1, "200", day="31/31/2026")])),
            "Row 5: the date '31/31/2026'",
        ),
    ],
)
def test_bad_files_are_refused_with_a_message(name, content, message):
    with pytest.raises(StatementRefused, match=message):
        read_statement(name, content)


def test_size_and_row_limits_are_settings(settings):
    settings.STATEMENT_MAX_BYTES = 100
    with pytest.raises(StatementRefused, match="the limit is 100"):
        read_statement("s.csv", b"x" * 101)

    settings.STATEMENT_MAX_BYTES = 10**6
    settings.STATEMENT_MAX_ROWS = 3
    rows = sbi_statement([sbi_row(f"41234567890{n}", "200") for n in range(5)])
    with pytest.raises(StatementRefused, match="the limit is 3"):
        read_statement("s.csv", to_csv(rows))
