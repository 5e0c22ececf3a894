"""Reading uploaded tables: CSV in any of the encodings Russian offices produce, and XLSX.

The encoding is found by trying strict decodes and scoring how much of the text reads as
Russian (a cp1251 file decodes without error as KOI8-R too, but into nonsense letters).
"""

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from voronka.core.errors import DomainError

DELIMITERS = [",", ";", "\t", "|"]
CANDIDATE_ENCODINGS = ["utf-8", "cp1251", "koi8_r", "cp866"]
XLSX_MAGIC = b"PK\x03\x04"

# Frequent Russian letters and bigrams; nonsense from a wrong code page scores low.
_COMMON_LETTERS = set("оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё")
_COMMON_BIGRAMS = {
    "ст", "но", "то", "на", "ен", "ов", "ни", "ра", "во", "ко", "ал", "ан", "пр", "ер", "ре",
    "ос", "ли", "ти", "ие", "ол", "ва", "ор", "го", "ет", "по", "ка", "ль", "ин", "ом", "ат",
}  # fmt: skip


class UnreadableFile(DomainError):
    code = "unreadable_file"
    default_message = _("The file could not be read as CSV or XLSX.")


@dataclass
class Table:
    headers: list[str]
    rows: "Iterator[tuple[int, list[str]]]"  # (line number in the file, cells)
    encoding: str = ""
    delimiter: str = ""


def cell(cells: list[str], index: int | None) -> str:
    """The cell at a column index; "" for a short row or an unmapped column."""
    if index is None or index >= len(cells):
        return ""
    return cells[index]


def header_hash(headers: list[str]) -> str:
    normalised = "\x1f".join(header.strip().lower() for header in headers)
    return hashlib.sha256(normalised.encode()).hexdigest()


def _cyrillic_score(text: str) -> float:
    sample = text[:200_000].lower()
    letters = [char for char in sample if "а" <= char <= "я" or char == "ё"]
    if not letters:
        return 0.0
    common = sum(char in _COMMON_LETTERS for char in letters) / len(letters)
    words = re.findall(r"[а-яё]{2,}", sample)
    bigram_hits = sum(
        word[i : i + 2] in _COMMON_BIGRAMS for word in words for i in range(len(word) - 1)
    )
    bigram_total = sum(len(word) - 1 for word in words) or 1
    # Upper-case letters inside words are a sign of a wrong code page (KOI8-R swaps cases).
    odd_case = len(re.findall(r"[а-яё][А-ЯЁ]", text[:200_000])) / (len(letters) or 1)
    return common + bigram_hits / bigram_total - 2 * odd_case


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name). UTF-8 (with or without BOM) wins when it decodes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = None
    for encoding in CANDIDATE_ENCODINGS[1:]:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _cyrillic_score(text)
        if best is None or score > best[0]:
            best = (score, text, encoding)
    if best is None:
        raise UnreadableFile(_("The file's text encoding is not recognised."))
    return best[1], best[2]


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that splits the first lines into the most equal columns."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        raise UnreadableFile(_("The file is empty."))
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        columns = counts[0]
        consistent = sum(count == columns for count in counts)
        score = (consistent if columns > 1 else 0, columns)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _clean(cells) -> list[str]:
    return ["" if cell is None else str(cell).strip() for cell in cells]


def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = _clean(next(reader))
    except StopIteration:
        raise UnreadableFile(_("The file is empty.")) from None

    def rows():
        start = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, _clean(cells)
            start = reader.line_num + 1

    return Table(headers=headers, rows=rows(), encoding=encoding, delimiter=delimiter)


def _xlsx_value(value) -> str:
    from datetime import datetime

    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.isoformat(sep=" ")
            if value.time() != value.time().min
            else value.date().isoformat()
        )
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken archive
        raise UnreadableFile(_("The XLSX file could not be opened.")) from error
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        headers = _clean(_xlsx_value(value) for value in next(iterator))
    except StopIteration:
        workbook.close()
        raise UnreadableFile(_("The file is empty.")) from None
    while headers and not headers[-1]:
        headers.pop()

    def rows():
        try:
            for line, values in enumerate(iterator, start=2):
                cells = _clean(_xlsx_value(value) for value in values)
                if any(cells):
                    yield line, cells
        finally:
            workbook.close()

    return Table(headers=headers, rows=rows(), encoding="xlsx", delimiter="")


def read_table(data: bytes) -> Table:
    """Open CSV or XLSX bytes. Raises UnreadableFile."""
    if data.startswith(XLSX_MAGIC):
        table = _read_xlsx(data)
    else:
        if b"\x00" in data[:4096]:
            raise UnreadableFile()
        table = _read_csv(data)
    if not any(table.headers):
        raise UnreadableFile(_("The first row must name the columns."))
    return table
