"""Reading and writing spreadsheets (catalogue.spreadsheets): CSV in UTF-8 or Windows-1252 with
semicolons or commas, XLSX, and text that a spreadsheet would run as a formula kept as text."""

from __future__ import annotations

import datetime
import io
import zipfile

import openpyxl
import pytest

from catalogue import spreadsheets


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_is_read_in_the_encodings_and_with_the_separators_norwegian_excel_writes(encoding, delimiter):
    text = f"Type{delimiter}Merknad\r\nnettbrett{delimiter}\"Sløyd{delimiter} bærbare\"\r\n\r\nkamera{delimiter}Å\r\n"
    sheet = spreadsheets.read(text.encode(encoding), "ark.csv", "text/csv")
    assert sheet.headers == ["Type", "Merknad"] and sheet.delimiter == delimiter
    assert [(r.number, r.cells) for r in sheet.rows] == [
        (2, {"Type": "nettbrett", "Merknad": f"Sløyd{delimiter} bærbare"}), (4, {"Type": "kamera", "Merknad": "Å"})]


def test_a_declared_charset_wins_and_wrong_files_are_named():
    assert spreadsheets.read("a\nø\n".encode("latin-1"), "x.csv", "text/csv; charset=ISO-8859-1").rows[0].cells == {"a": "ø"}
    for content, name in ((b"", "x.csv"), (b"PK\x03\x04broken", "x.xlsx"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "x.xls"),
                          (b"\n\n", "x.csv")):
        with pytest.raises(spreadsheets.SpreadsheetError):
            spreadsheets.read(content, name)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<x/>")
        archive.writestr("xl/big.xml", "0" * (spreadsheets.MAX_UNPACKED_BYTES + 1))
    with pytest.raises(spreadsheets.SpreadsheetError, match="too large"):
        spreadsheets.read(bomb.getvalue(), "bomb.xlsx")


def test_xlsx_round_trip_keeps_dates_numbers_and_formula_looking_text_as_text():
    content = spreadsheets.xlsx_bytes([spreadsheets.SheetData.of(
        "Ark", ["Navn", "Antall", "Dato"], [["=HYPERLINK(\"http://x\")", 3, datetime.date(2024, 5, 1)]])])
    worksheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert worksheet["A2"].data_type == "s" and worksheet["A2"].value.startswith("=HYPERLINK")
    sheet = spreadsheets.read(content, "ark.xlsx")
    assert sheet.rows[0].cells["Antall"] == 3 and sheet.rows[0].cells["Dato"].date() == datetime.date(2024, 5, 1)
    csv = spreadsheets.csv_bytes(["Navn"], [["=cmd|' /C calc'!A0"], ["@SUM(1)"], [datetime.date(2024, 1, 2)]])
    assert csv == "\ufeffNavn\r\n'=cmd|' /C calc'!A0\r\n'@SUM(1)\r\n2024-01-02\r\n".encode()
