"""Row reading: cells of one line → a `Row` of Python values, or the line's problems."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.core.models import Organisation
from voronka.pipeline.models import DealStatus

from .fields import CellError, fields_for, parse_date, parse_datetime, parse_decimal, parse_status
from .models import ImportJob, ImportKind
from .parsing import cell
from .resolving import Resolver


@dataclass
class Row:
    """One valid line of the file, read into Python values."""

    line: int
    values: dict = field(default_factory=dict)


@dataclass
class RowProblem:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


class RowReader:
    """Turns cells into a `Row` or a list of `RowProblem`s (line, column header, reason)."""

    TEXT_LIMITS = {
        "title": 255, "currency": 3, "lost_comment": 10_000, "description": 10_000,
        "company_name": 255, "company_inn": 12, "contact_name": 200, "first_name": 100,
        "last_name": 100, "position": 150, "phone": 40, "email": 254, "external_id": 100,
        "industry": 120, "website": 200, "address": 300, "notes": 10_000,
    }  # fmt: skip

    def __init__(self, job: ImportJob, resolver: Resolver):
        self.job = job
        self.resolver = resolver
        self.mapping = job.mapping
        self.now = timezone.now()
        self.currency = Organisation.current().currency

    def column(self, key: str) -> str:
        index = self.mapping.get(key)
        if index is None:
            return str(dict((f.key, f.label) for f in fields_for(self.job.kind)).get(key, key))
        return self.job.headers[index] or f"#{index + 1}"

    def read(self, line: int, cells: list[str]) -> tuple[Row | None, list[RowProblem]]:
        problems: list[RowProblem] = []
        values: dict = {}

        def text(key: str) -> str:
            return cell(cells, self.mapping.get(key))

        def attempt(key: str, reader: Callable, raw: str | None = None):
            raw = text(key) if raw is None else raw
            try:
                return reader(raw)
            except CellError as error:
                problems.append(RowProblem(line, self.column(key), str(error)))
                return None

        for key, limit in self.TEXT_LIMITS.items():
            if key in self.mapping:
                value = text(key)
                if len(value) > limit:
                    problems.append(
                        RowProblem(
                            line,
                            self.column(key),
                            _("Longer than %(limit)s characters.") % {"limit": limit},
                        )
                    )
                values[key] = value
        if "email" in values and values["email"] and "@" not in values["email"]:
            problems.append(RowProblem(line, self.column("email"), _("Not an email address.")))
        if (
            "company_inn" in values
            and values["company_inn"]
            and not values["company_inn"].isdigit()
        ):
            problems.append(
                RowProblem(line, self.column("company_inn"), _("The INN must be digits."))
            )
        values["owner"] = attempt("owner", self.resolver.owner)
        if self.job.kind == ImportKind.DEALS:
            self._read_deal(text, attempt, values, problems, line, cells)
        elif self.job.kind == ImportKind.COMPANIES:
            if not values.get("company_name"):
                problems.append(RowProblem(line, self.column("company_name"), _("Required.")))
        else:
            if not (
                values.get("contact_name") or values.get("first_name") or values.get("last_name")
            ):
                problems.append(RowProblem(line, self.column("contact_name"), _("Required.")))
        if problems:
            return None, problems
        return Row(line=line, values=values), []

    def _read_deal(self, text, attempt, values, problems, line, cells) -> None:
        if not values.get("title"):
            problems.append(RowProblem(line, self.column("title"), _("Required.")))
        values["amount"] = attempt("amount", parse_decimal) if text("amount") else Decimal(0)
        values["currency"] = (values.get("currency") or self.currency).upper()
        pipeline = attempt("pipeline", self.resolver.pipeline)
        values["pipeline"] = pipeline
        if pipeline is not None or "pipeline" not in self.mapping:
            values["stage"] = attempt(
                "stage", lambda raw: self.resolver.stage(raw, pipeline=pipeline)
            )
            if values["stage"] is not None and pipeline is None:
                values["pipeline"] = self.resolver.pipelines[values["stage"].pipeline_id]
        values["status"] = attempt("status", parse_status) if text("status") else DealStatus.OPEN
        values["lead_source_id"] = attempt("lead_source", self.resolver.lead_source)
        values["lost_reason_id"] = attempt("lost_reason", self.resolver.lost_reason)
        values["_raw_lead_source"], values["_raw_lost_reason"] = (
            text("lead_source"),
            text("lost_reason"),
        )
        for key in ("created_at", "first_contact_at", "stage_entered_at", "closed_at"):
            values[key] = attempt(key, parse_datetime) if text(key) else None
        values["expected_close_date"] = (
            attempt("expected_close_date", parse_date) if text("expected_close_date") else None
        )
        if problems:
            return
        created = values["created_at"] = values["created_at"] or self.now
        entered = values["stage_entered_at"] = values["stage_entered_at"] or created
        if entered < created:
            problems.append(
                RowProblem(
                    line, self.column("stage_entered_at"), _("Earlier than the creation date.")
                )
            )
        status = values["status"]
        if status == DealStatus.OPEN:
            values["closed_at"] = None
        else:
            closed = values["closed_at"] = values["closed_at"] or entered
            if closed < entered:
                problems.append(
                    RowProblem(line, self.column("closed_at"), _("Earlier than the creation date."))
                )
        if status == DealStatus.LOST and values["lost_reason_id"] is None:
            problems.append(
                RowProblem(line, self.column("lost_reason"), _("A lost deal needs a lost reason."))
            )
