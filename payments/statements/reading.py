"""From an uploaded file to rows of text cells: CSV in any of the encodings banks
export (UTF-8, UTF-8 with BOM, UTF-16, Windows-1252) or XLSX read as values.

No cell is ever evaluated: an XLSX formula arrives as its text ("=SUM(...)"),
which then fails to read as an amount or a date.
"""

import csv
import io
import zipfile

import openpyxl
from django.conf import settings
from django.template.defaultfilters import filesizeformat


class StatementRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _limits():
    return settings.STATEMENT_MAX_BYTES, settings.STATEMENT_MAX_ROWS


def read_rows(name, content):
    max_bytes, max_rows = _limits()
    if not content:
        raise StatementRefused("The file is empty.")
    if len(content) > max_bytes:
        raise StatementRefused(
            f"The file is {filesizeformat(len(content))}; the limit is "
            f"{filesizeformat(max_bytes)}. Export a shorter period."
        )
    lowered = name.lower()
    if lowered.endswith((".xlsm", ".xltm", ".xlsb")):
        raise StatementRefused(
            "Macro-enabled workbooks are refused. Save the statement as XLSX or CSV."
        )
    if content.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(content, max_bytes)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise StatementRefused(
            "This is an old Excel (XLS) file. Save it as XLSX or CSV and upload that."
        )
    elif content.startswith(b"%PDF"):
        raise StatementRefused(
            "This is a PDF. Download the statement as CSV or XLSX from the bank."
        )
    else:
        rows = _csv_rows(content)
    # Blank rows stay, so that row numbers in messages are the file's.
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise StatementRefused("The file has no rows.")
    if len(rows) > max_rows:
        raise StatementRefused(
            f"The file has {len(rows)} rows; the limit is {max_rows}. "
            "Export a shorter period."
        )
    return rows


def decode(content):
    """The text of a CSV, by BOM, then strict UTF-8, then Windows-1252."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise StatementRefused("The file says UTF-16 but is not.") from None
    head = content[:200]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a byte order mark: the zero bytes give the order.
        encoding = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            raise StatementRefused("This is not a CSV or XLSX file.") from None
    if b"\x00" in content:
        raise StatementRefused("This is not a CSV or XLSX file.")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        raise StatementRefused(
            "The file's text encoding is not UTF-8, UTF-16 or Windows-1252. "
            "Export it again as CSV (UTF-8)."
        ) from None


def _csv_rows(content):
    text = decode(content)
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n")
    if controls:
        raise StatementRefused("This is not a CSV or XLSX file.")
    # The separator most used in the first lines (banks use , ; or tab).
    sample = text[:4096]
    delimiter = max(",;\t|", key=sample.count)
    try:
        return [
            [cell.strip() for cell in row]
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as error:
        raise StatementRefused(f"The CSV could not be read: {error}.") from None


def _xlsx_rows(content, max_bytes):
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = archive.namelist()
        unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise StatementRefused("This is not a CSV or XLSX file.") from None
    if "[Content_Types].xml" not in names or not any(
        n.startswith("xl/") for n in names
    ):
        raise StatementRefused("This is a ZIP file, not an XLSX workbook.")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise StatementRefused(
            "The workbook contains macros and is refused. Save it as XLSX or CSV."
        )
    if unpacked > 50 * max_bytes:
        raise StatementRefused("The workbook unpacks to too much data.")
    try:
        # data_only=False: a formula is read as its text, never as a value.
        book = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=False, keep_vba=False
        )
        sheet = book.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append(["" if v is None else _cell_text(v) for v in values])
            if len(rows) > _limits()[1] + 50:
                break
        book.close()
    except StatementRefused:
        raise
    except Exception:  # openpyxl raises many kinds on a damaged workbook
        raise StatementRefused("The XLSX workbook could not be read.") from None
    return rows


def _cell_text(value):
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) >= 1e11 else f"{value:.2f}"
    return str(value).strip()
