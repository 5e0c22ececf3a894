"""One definition per report: its columns and its rows, shared by the page's table, the
CSV/XLSX export and the API's report endpoint.

A `Report` computes its figures once (`compute(filter, user)`); `columns(result)` and
`rows(result)` turn them into a table. The export rounds rates to four places and the page
shows those same values, formatted by each column's `kind` (templates/analytics/_cell.html).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from voronka.core import formatting

# A cell with no meaning in its row (the Won row has no conversion): empty on the page and in
# the export, while None is an unknown value («—» on the page, an empty cell in the export).
NOT_APPLICABLE = ""

# Kinds whose values are fractions or scores: rounded to four places in the export.
ROUNDED_KINDS = {"rate", "points", "number"}


@dataclass(frozen=True)
class Column:
    """One column of a report.

    `kind` says how a page cell shows its value: text, count, number (`digits` decimals),
    amount (the organisation's currency), rate (a fraction 0..1 as a percentage with `digits`
    decimals), points (a difference of two rates in percentage points), date, month or yes/no.
    `missing` is the page's text for an unknown value; `cell` an optional template for a page
    cell that needs more than the value (a link, a badge, a button): it gets `value`, `row`
    (whose `source` is the object the row came from) and `column`. A `grouped` column repeats
    its value down a group of rows (one deal's candidates): the page shows it once per group.
    """

    heading: object
    kind: str = "count"
    digits: int = 1
    missing: object = ""
    cell: str = ""
    grouped: bool = False

    @property
    def numeric(self) -> bool:
        return self.kind not in {"text", "date", "month", "yesno"}


class Row(list):
    """A report row: its values in column order, the object it was built from (`source`, for
    page cells that link to it), and whether it continues the previous row's group."""

    def __init__(self, values, source=None, continued=False):
        super().__init__(values)
        self.source = source
        self.continued = continued


def _rounded(column: Column, value):
    if column.kind in ROUNDED_KINDS and isinstance(value, float):
        return round(value, 4)
    return value


def export_row(columns: Sequence[Column], row: list) -> Row:
    """A row as the export and the page hold it: fractions and scores rounded to four places."""
    values = [_rounded(column, value) for column, value in zip(columns, row, strict=True)]
    return Row(values, getattr(row, "source", None), getattr(row, "continued", False))


@dataclass(frozen=True)
class Report:
    """A tabular report: `compute(filter, user)` gives its figures, `columns` (a sequence, or a
    function of the figures when the set depends on them) and `rows(figures)` its table."""

    compute: Callable[[Any, Any], Any]
    columns: Sequence[Column] | Callable[[Any], Sequence[Column]]
    rows: Callable[[Any], list[list]]

    def columns_of(self, result) -> list[Column]:
        return list(self.columns(result) if callable(self.columns) else self.columns)

    def table(self, result) -> tuple[list[Column], list[Row]]:
        """The columns and the rounded rows of already computed figures."""
        columns = self.columns_of(result)
        return columns, [export_row(columns, row) for row in self.rows(result)]

    def export(self, result) -> tuple[list[str], list[list]]:
        """Headers and rows for CSV/XLSX, the API and the CLI."""
        columns, rows = self.table(result)
        return [str(column.heading) for column in columns], rows

    def __call__(self, analytics_filter, user) -> tuple[list[str], list[list]]:
        return self.export(self.compute(analytics_filter, user))


@dataclass
class Table:
    """A table card. A report's table has `columns` (its definition: headings, kinds) and rows
    of raw values, formatted by templates/analytics/_cell.html; a page-only table has `headers`
    and rows of ready text, numeric from column `numeric_from` on."""

    headers: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    title: str = ""
    note: str = ""
    numeric_from: int = 1
    testid: str = "analytics-table"
    extra: dict = field(default_factory=dict)
    anchor: str = ""  # an id for links to the table
    columns: list = field(default_factory=list)
    currency: str = ""  # of the amounts in a report's table

    @property
    def report_rows(self):
        """Each row with its (column, value) pairs, for the template."""
        return [(row, list(zip(self.columns, row, strict=True))) for row in self.rows]


def report_table(report, result, **options) -> Table:
    """The page table of a report (`reports.Report`) from figures the page has computed."""
    columns, rows = report.table(result)
    return Table(
        headers=[str(column.heading) for column in columns],
        rows=rows,
        columns=columns,
        currency=formatting.organisation_currency(),
        **options,
    )
