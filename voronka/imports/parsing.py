"""Reading uploaded tables: CSV in any of the encodings Russian offices produce, and XLSX.

The encoding is found by trying strict decodes and scoring how much of the text reads as
Russian (a cp1251 file decodes without error as KOI8-R too, but into nonsense letters).
"""

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    default_message = gettext_lazy("The file could not be read as CSV or XLSX.")


# Limits that keep a hostile or accidental file from holding a worker or its memory; each
# can be raised in the settings.
def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", 500_000)


def max_columns() -> int:
    return getattr(settings, "IMPORT_MAX_COLUMNS", 300)


def max_cell_chars() -> int:
    return getattr(settings, "IMPORT_MAX_CELL_CHARS", 32_768)


def max_unpacked_bytes() -> int:
    """What an XLSX may inflate to (its XML is read only after this is checked)."""
    return getattr(settings, "IMPORT_MAX_UNPACKED_BYTES", 400 * 1024 * 1024)


def _too_many_rows() -> UnreadableFile:
    return UnreadableFile(
        _("The file has more than %(limit)s rows; split it into several files.")
        % {"limit": f"{max_rows():,}".replace(",", " ")},
        field="file",
    )


def _check_cells(line: int, cells: list[str]) -> None:
    limit = max_cell_chars()
    for cell_text in cells:
        if len(cell_text) > limit:
            raise UnreadableFile(
                _("Line %(line)s has a cell longer than %(limit)s characters.")
                % {"line": line, "limit": limit},
                field="file",
            )


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
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error as error:
            raise _csv_error(
                1
                + next(
                    (number for number, line in enumerate(lines) if len(line) > max_cell_chars()), 0
                ),
                error,
            ) from None
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
    except csv.Error as error:
        raise _csv_error(1, error) from None
    _check_header(headers)

    def rows():
        start = reader.line_num + 1
        count = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:  # a field over the csv module's limit, a stray NUL…
                raise _csv_error(start, error) from None
            if any(cell.strip() for cell in cells):
                count += 1
                if count > max_rows():
                    raise _too_many_rows()
                cleaned = _clean(cells)
                _check_cells(start, cleaned)
                yield start, cleaned
            start = reader.line_num + 1

    return Table(headers=headers, rows=rows(), encoding=encoding, delimiter=delimiter)


def _csv_error(line: int, error: csv.Error) -> UnreadableFile:
    if "field larger than field limit" in str(error):
        return UnreadableFile(
            _("Line %(line)s has a cell longer than %(limit)s characters.")
            % {"line": line, "limit": max_cell_chars()},
            field="file",
        )
    return UnreadableFile(
        _("Line %(line)s could not be read as CSV (%(error)s).") % {"line": line, "error": error},
        field="file",
    )


def _check_header(headers: list[str]) -> None:
    if len(headers) > max_columns():
        raise UnreadableFile(
            _("The file has %(count)s columns; the limit is %(limit)s.")
            % {"count": len(headers), "limit": max_columns()},
            field="file",
        )
    _check_cells(1, headers)


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


def _check_xlsx_archive(data: bytes) -> None:
    """Refuse an XLSX whose members would inflate past the limit, before openpyxl reads it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnreadableFile(_("The XLSX file could not be opened."), field="file") from error
    if unpacked > max_unpacked_bytes():
        raise UnreadableFile(
            _("The XLSX file unpacks to %(size)s MB; the limit is %(limit)s MB.")
            % {"size": unpacked // 2**20, "limit": max_unpacked_bytes() // 2**20},
            field="file",
        )


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    _check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as error:  # openpyxl raises many types for a broken archive
        raise UnreadableFile(_("The XLSX file could not be opened."), field="file") from error
    # The sheet's declared size, when it has one, refuses a huge sheet before reading it.
    declared_rows = sheet.max_row if isinstance(sheet.max_row, int) else 0
    if declared_rows - 1 > max_rows():
        workbook.close()
        raise _too_many_rows()
    iterator = sheet.iter_rows(values_only=True, max_col=max_columns() + 1)
    try:
        headers = _clean(_xlsx_value(value) for value in next(iterator))
    except StopIteration:
        workbook.close()
        raise UnreadableFile(_("The file is empty.")) from None
    while headers and not headers[-1]:
        headers.pop()
    _check_header(headers)

    def rows():
        count = 0
        try:
            for line, values in enumerate(iterator, start=2):
                cells = _clean(_xlsx_value(value) for value in values)
                if any(cells):
                    count += 1
                    if count > max_rows():
                        raise _too_many_rows()
                    _check_cells(line, cells)
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
