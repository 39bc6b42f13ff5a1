"""Reading and writing spreadsheets: CSV (UTF-8 or Windows-1252, semicolon or comma) and XLSX.

Imports read an upload into a ``Sheet``: a header row and the data rows below it, each with its
row number as the person sees it in their spreadsheet program, cells as text, numbers, dates or
None. Exports write rows to XLSX or CSV in a form Norwegian Excel opens as it is (CSV: UTF-8 with
a byte-order mark, semicolons). Text that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import charset_normalizer

XLSX_TYPES = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CSV_TYPES = {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel"}
MAX_ROWS = 20_000
MAX_RECORDS = 100_000  # rows read, empty ones included: a sheet whose last cell is far down is refused
MAX_COLUMNS = 50
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an XLSX is a zip: refuse one that unpacks to more than this
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = Any  # str | int | float | datetime.date | datetime.datetime | bool | None


class SpreadsheetError(ValueError):
    """The upload cannot be read as a spreadsheet; the message says why, for the person."""


@dataclass
class Row:
    number: int  # 1-based, as the spreadsheet program shows it
    cells: dict[str, Cell]


@dataclass
class Sheet:
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    encoding: str | None = None  # of a CSV file
    delimiter: str | None = None


def _xlsx(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def read(content: bytes, filename: str = "", content_type: str | None = None, keep_formulas: bool = False) -> Sheet:
    """Read an uploaded CSV or XLSX file. The header row is the first row with any text in it;
    empty rows are skipped. Raises SpreadsheetError for anything that is not a readable table.
    ``keep_formulas``: an XLSX formula cell reads as its formula text ("=…"), never evaluated,
    instead of the value last saved with it."""
    if not content:
        raise SpreadsheetError("the file is empty")
    media = (content_type or "").split(";")[0].strip().lower()
    if _xlsx(content):
        return read_xlsx(content, keep_formulas=keep_formulas)
    if filename.lower().endswith((".xlsx", ".xlsm")) or media in XLSX_TYPES:
        raise SpreadsheetError("the file is not a valid XLSX workbook")
    if filename.lower().endswith(".xls") or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SpreadsheetError("old Excel files (.xls) cannot be read; save the sheet as .xlsx or .csv")
    return read_csv(content, declared_charset=_charset(content_type))


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"').lower()
    return None


def decode(content: bytes, declared_charset: str | None = None) -> tuple[str, str]:
    """The text of a CSV upload and the encoding it was read in: the declared charset, a byte-order
    mark, UTF-8 when the bytes are valid UTF-8, else the best guess among the encodings Norwegian
    spreadsheets are saved in (Windows-1252 first)."""
    if declared_charset:
        try:
            return content.decode(declared_charset), declared_charset
        except (LookupError, UnicodeDecodeError):
            raise SpreadsheetError(f"the file is not valid {declared_charset} text") from None
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if content.startswith(bom):
            try:
                return content.decode(encoding), encoding
            except UnicodeDecodeError:
                raise SpreadsheetError("the file is not valid text") from None
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in content:
        raise SpreadsheetError("the file is not a text (CSV) file")
    guess = charset_normalizer.from_bytes(content, cp_isolation=["cp1252", "iso8859_15", "mac_roman"]).best()
    encoding = guess.encoding if guess is not None else "cp1252"
    try:
        return content.decode(encoding), encoding
    except UnicodeDecodeError:
        return content.decode("latin-1"), "latin-1"


def _delimiter(text: str) -> str:
    """Semicolon (Norwegian Excel) or comma, whichever splits the first line into more fields
    outside quotes; tab as well."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, most = ";", 0
    for candidate in (";", ",", "\t"):
        fields = len(next(csv.reader([first], delimiter=candidate), []))
        if fields > most:
            best, most = candidate, fields
    return best


def read_csv(content: bytes, declared_charset: str | None = None) -> Sheet:
    text, encoding = decode(content, declared_charset)
    delimiter = _delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise SpreadsheetError(f"the CSV file cannot be read: {exc}") from None
    sheet = _table(((number, record) for number, record in enumerate(records, start=1)))
    sheet.encoding, sheet.delimiter = encoding, delimiter
    return sheet


def read_xlsx(content: bytes, keep_formulas: bool = False) -> Sheet:
    """The first worksheet of an XLSX workbook (values, not formulas, unless ``keep_formulas``)."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise SpreadsheetError("the workbook is too large")
            if "xl/workbook.xml" not in archive.namelist():
                raise SpreadsheetError("the file is not a valid XLSX workbook")
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=not keep_formulas)
    except SpreadsheetError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise SpreadsheetError("the file is not a valid XLSX workbook") from None
    try:
        worksheet = workbook.worksheets[0] if workbook.worksheets else None
        if worksheet is None:
            raise SpreadsheetError("the workbook has no worksheet")
        if (worksheet.max_row or 0) > MAX_RECORDS:
            raise SpreadsheetError(f"the sheet has more than {MAX_ROWS} rows")
        records = ((number, list(values)) for number, values in
                   enumerate(worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1))
        return _table(records)
    finally:
        workbook.close()


def _clean(value: Cell) -> Cell:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _table(records: Iterable[tuple[int, Sequence[Cell]]]) -> Sheet:
    headers: list[str] | None = None
    sheet = Sheet(headers=[])
    for number, record in records:
        if number > MAX_RECORDS:
            raise SpreadsheetError(f"the sheet has more than {MAX_ROWS} rows")
        values = [_clean(v) for v in record[:MAX_COLUMNS]]
        if all(v is None for v in values):
            continue
        if headers is None:
            headers = [str(v).strip() if v is not None else "" for v in values]
            while headers and not headers[-1]:
                headers.pop()
            sheet.headers = headers
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise SpreadsheetError(f"the sheet has more than {MAX_ROWS} rows")
        sheet.rows.append(Row(number=number, cells={h: (values[i] if i < len(values) else None)
                                                    for i, h in enumerate(headers) if h}))
    if headers is None:
        raise SpreadsheetError("the sheet has no header row")
    return sheet


# --- writing ------------------------------------------------------------------------------------
# Files are made whole in memory: a download either arrives complete or not at all. Text that a
# spreadsheet would take for a formula stays text: a string cell in XLSX, behind an apostrophe in CSV.

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"  # the framework adds "; charset=utf-8" to text types
# characters XML 1.0 (and so XLSX) cannot hold
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class Column:
    title: str
    width: int = 20  # characters


@dataclass
class SheetData:
    """One worksheet to write: a title, its columns and data rows."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Cell]]

    @classmethod
    def of(cls, title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]],
           widths: Sequence[int] = ()) -> "SheetData":
        widths = list(widths) + [20] * (len(header) - len(widths))
        return cls(title, [Column(h, w) for h, w in zip(header, widths)], rows)

    @property
    def header(self) -> list[str]:
        return [c.title for c in self.columns]


def _text(value: str) -> str:
    return ILLEGAL.sub("", value) if ILLEGAL.search(value) else value


def xlsx_bytes(sheets: Sequence[SheetData]) -> bytes:
    """A workbook with one worksheet per sheet: a bold, wrapped header row frozen at the top with a
    filter on it, the columns' widths, cells wrapped at the top; dates as dates (dd.mm.åååå)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDE6F0",
                              "border": 1})
    cell = book.add_format({"text_wrap": True, "valign": "top"})
    date = book.add_format({"num_format": "dd.mm.yyyy", "valign": "top"})
    for sheet in sheets:
        ws = book.add_worksheet(sheet.title[:31])
        for index, column in enumerate(sheet.columns):
            ws.set_column(index, index, column.width, cell)  # the cells below take the column's format
        ws.freeze_panes(1, 0)
        ws.write_row(0, 0, [c.title for c in sheet.columns], header)
        row_number = 0
        write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
        for row_number, row in enumerate(sheet.rows, start=1):
            for col, value in enumerate(row):
                if value is None or value == "":
                    continue
                kind = type(value)
                if kind is str:
                    write_string(row_number, col, _text(value))
                elif kind is bool:
                    write_string(row_number, col, "ja" if value else "nei")
                elif kind is int or kind is float:
                    write_number(row_number, col, value)
                elif kind is datetime.date or (kind is datetime.datetime and value.tzinfo is None):
                    write_datetime(row_number, col, value, date)
                elif kind is datetime.datetime:
                    write_string(row_number, col, value.isoformat())
                else:
                    write_string(row_number, col, _text(str(value)))
        ws.autofilter(0, 0, max(row_number, 1), max(len(sheet.columns) - 1, 0))
    book.close()
    return out.getvalue()


def _csv_value(value: Cell) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        value = _text(value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A CSV file as Norwegian Excel opens it: UTF-8 with a byte-order mark, semicolons, dates as
    YYYY-MM-DD."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_value(h) for h in header])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
