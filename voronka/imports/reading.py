"""Row reading: cells of one line → a `Row` of Python values, or the line's problems."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.core.control_characters import control_character_message, find_control_character
from voronka.core.models import Organisation
from voronka.pipeline.models import DealStatus

from .cells import CENT, CellError, parse_date, parse_decimal, parse_moment, parse_status
from .custom import custom_cell, custom_definitions
from .fields import fields_for
from .models import ImportJob, ImportKind
from .products import LineItemValue
from .resolving import NOT_GIVEN, Resolver
from .users import read_user_row

UPDATE_ASSUMPTIONS = {"lost_reason_not_given", "dates_corrected"}
# What the importer assumed for a row because the file did not say (counted in the report).
ASSUMPTIONS = {
    "won_passed_every_stage": _lazy("won deals without a stage: passed every stage"),
    "won_at_chosen_stage": _lazy("won deals without a stage: won at the chosen stage"),
    "lost_at_stage_column": _lazy(
        "lost deals: lost at the stage in the «Stage when closed» column"
    ),
    "lost_at_first_stage": _lazy("lost deals without a stage: lost at the first stage"),
    "lost_at_chosen_stage": _lazy("lost deals without a stage: lost at the chosen stage"),
    "lost_reason_not_given": _lazy("lost deals without a reason: «Reason not given»"),
    "created_from_other_date": _lazy("no created date: the earliest date of the row"),
    "created_at_import_time": _lazy("no date at all: the time of the import"),
    "dates_corrected": _lazy("dates out of order, corrected (see the warnings)"),
}


@dataclass
class Row:
    """One valid line of the file, read into Python values."""

    line: int
    values: dict = field(default_factory=dict)
    warnings: list["RowProblem"] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


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
        "industry": 120, "website": 200, "address": 300, "notes": 10_000, "product_name": 200,
        "sku": 64, "unit": 20, "direction": 150,
    }  # fmt: skip

    def __init__(self, job: ImportJob, resolver: Resolver):
        self.job = job
        self.resolver = resolver
        self.mapping = job.mapping
        self.now = timezone.now()
        self.currency = Organisation.current().currency
        self.custom_definitions = custom_definitions(job.kind, job.mapping)
        self.zone = timezone.get_current_timezone_name()
        self.mapped_columns = [
            (key, index) for key, index in self.mapping.items() if index is not None
        ]
        self.mapped_text_limits = [
            (key, limit) for key, limit in self.TEXT_LIMITS.items() if key in self.mapping
        ]

    def _moment(self, raw: str):
        return parse_moment(raw, self.zone)

    def column(self, key: str) -> str:
        index = self.mapping.get(key)
        if index is None:
            return str(dict((f.key, f.label) for f in fields_for(self.job.kind)).get(key, key))
        return self.job.headers[index] or f"#{index + 1}"

    def read(self, line: int, cells: list[str]) -> tuple[Row | None, list[RowProblem]]:
        problems: list[RowProblem] = []
        values: dict = {}
        self.row = Row(line=line, values=values)
        count = len(cells)
        # The mapped cells by field key ("" for a short row or an unmapped field).
        text = _Cells(
            (key, cells[index]) for key, index in self.mapped_columns if index < count
        ).__getitem__

        def attempt(key: str, reader: Callable, raw: str | None = None):
            raw = text(key) if raw is None else raw
            try:
                return reader(raw)
            except CellError as error:
                problems.append(RowProblem(line, self.column(key), str(error)))
                return None

        custom = {}
        for key, definition in self.custom_definitions.items():
            value = attempt(key, lambda raw, definition=definition: custom_cell(definition, raw))
            if value is not None:
                custom[definition.code] = value
        if custom:
            values["custom_fields"] = custom
        for key, limit in self.mapped_text_limits:
            value = text(key)
            if len(value) > limit:
                problems.append(
                    RowProblem(
                        line,
                        self.column(key),
                        _("Longer than %(limit)s characters.") % {"limit": limit},
                    )
                )
            # The same rule as the pages and the API: no control characters in stored text.
            character = find_control_character(value)
            if character is not None:
                problems.append(
                    RowProblem(line, self.column(key), control_character_message(character))
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
        elif self.job.kind == ImportKind.PRODUCTS:
            if not values.get("product_name"):
                problems.append(RowProblem(line, self.column("product_name"), _("Required.")))
            if text("unit_price"):
                values["unit_price"] = attempt("unit_price", parse_decimal)
        elif self.job.kind == ImportKind.USERS:
            read_user_row(
                text,
                values,
                lambda key, message: problems.append(RowProblem(line, self.column(key), message)),
            )
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
        if self.job.kind == ImportKind.DEALS and self.resolver.deal_exists(
            values.get("external_id")
        ):
            # An update keeps the deal's stage and dates: only these assumptions apply to it.
            self.row.assumptions = [
                key for key in self.row.assumptions if key in UPDATE_ASSUMPTIONS
            ]
        return self.row, []

    def _read_deal(self, text, attempt, values, problems, line, cells) -> None:
        external_id = values.get("external_id")
        if not values.get("title") and not self.resolver.deal_exists(external_id):
            if external_id and "title" not in self.mapping:
                # Exports often have an id and no title column: «Company · id» names the deal.
                company = values.get("company_name")
                values["title"] = f"{company} · {external_id}" if company else external_id
            else:
                problems.append(RowProblem(line, self.column("title"), _("Required.")))
        values["amount"] = attempt("amount", parse_decimal) if text("amount") else Decimal(0)
        values["currency"] = (values.get("currency") or self.currency).upper()
        pipeline = attempt("pipeline", self.resolver.pipeline)
        values["pipeline"] = pipeline
        values["stage"], outcome = None, None
        if text("stage") and (pipeline is not None or "pipeline" not in self.mapping):
            found = attempt(
                "stage", lambda raw: self.resolver.stage_or_outcome(raw, pipeline=pipeline)
            )
            if found is not None:
                values["stage"], outcome = found
            if values["stage"] is not None and pipeline is None:
                values["pipeline"] = self.resolver.pipelines[values["stage"].pipeline_id]
        if text("status"):
            values["status"] = attempt("status", parse_status)
        else:
            values["status"] = outcome or DealStatus.OPEN
        values["lead_source_id"] = attempt("lead_source", self.resolver.lead_source)
        values["lost_reason_id"] = attempt("lost_reason", self.resolver.lost_reason)
        values["_raw_lead_source"], values["_raw_lost_reason"] = (
            text("lead_source"),
            text("lost_reason"),
        )
        moments = {}
        for key in ("created_at", "first_contact_at", "stage_entered_at", "closed_at"):
            moments[key] = attempt(key, self._moment) if text(key) else None
        values["expected_close_date"] = (
            attempt("expected_close_date", parse_date) if text("expected_close_date") else None
        )
        if values.get("product_name"):
            self._line_item(values, text, attempt)
        if problems:
            return
        self._closed_stage(values, text, attempt, problems)
        if problems:
            return
        self._dates(values, moments)
        if values["status"] == DealStatus.LOST and values["lost_reason_id"] is None:
            values["lost_reason_id"] = NOT_GIVEN
            self.row.assumptions.append("lost_reason_not_given")

    def _line_item(self, values, text, attempt) -> None:
        """A product, quantity and unit price → a line item (the deal card's rules)."""
        quantity = attempt("quantity", parse_decimal) if text("quantity") else Decimal(1)
        if quantity is not None and quantity <= 0:
            attempt("quantity", lambda raw: _refuse(_("The quantity must be positive.")))
            return
        unit_price = attempt("unit_price", parse_decimal) if text("unit_price") else None
        product_id = attempt("product_name", self.resolver.products.resolve)
        if quantity is None or (text("unit_price") and unit_price is None):
            return
        if unit_price is None and text("amount") and values.get("amount") is not None:
            # A deal's value and its product: the line is worth the deal's value.
            unit_price = (values["amount"] / quantity).quantize(CENT)
        values["line_item"] = LineItemValue(
            product_id=product_id, name=values["product_name"], quantity=quantity,
            unit_price=unit_price,
        )  # fmt: skip

    def _closed_stage(self, values, text, attempt, problems) -> None:
        """The stage of a row whose stage column gave an outcome or nothing (the wizard's
        choice: won deals passed every stage or won at a chosen stage; lost deals lost at the
        stage in the «Stage when closed» column, at the first stage or at a chosen stage)."""
        status = values["status"]
        if values["stage"] is not None or values["pipeline"] is None and "pipeline" in self.mapping:
            return
        pipeline = values["pipeline"] or self.resolver.default_pipeline
        if pipeline is None or pipeline.pk not in self.resolver.first_stage:
            problems.append(
                RowProblem(self.row.line, self.column("stage"), _("The pipeline has no stages."))
            )
            return
        values["pipeline"] = pipeline
        first = self.resolver.first_stage[pipeline.pk]
        options = self.job.options or {}
        choice = str(options.get(f"{status}_stage", ""))
        chosen = self.resolver.stages.get(int(choice)) if choice.isdigit() else None
        if chosen is not None and chosen.pipeline_id != pipeline.pk:
            chosen = None
        values["_stage_assumed"] = True  # an update never moves a deal to an assumed stage
        if status == DealStatus.WON:
            if chosen is not None:
                values["stage"] = chosen
                self.row.assumptions.append("won_at_chosen_stage")
            else:
                values["stage"] = self.resolver.last_stage(pipeline.pk)
                values["_passed_every_stage"] = True
                self.row.assumptions.append("won_passed_every_stage")
        elif status == DealStatus.LOST:
            if text("closed_stage") and options.get("lost_stage", "column") == "column":
                stage = attempt(
                    "closed_stage",
                    lambda raw: self.resolver.closed_stage(raw, pipeline=pipeline),
                )
                values["stage"] = stage
                self.row.assumptions.append("lost_at_stage_column")
            elif chosen is not None:
                values["stage"] = chosen
                self.row.assumptions.append("lost_at_chosen_stage")
            else:
                values["stage"] = first
                self.row.assumptions.append("lost_at_first_stage")
        else:
            values["stage"] = first

    def _dates(self, values: dict, moments: dict) -> None:
        """Created, first contact, stage entered and closed, in order; never refused.

        A row without a created date takes its earliest date (only a row without any date
        takes the import time). A bare date is that day: a later same-day event given without a
        time is moved to the earlier event's moment. Dates still out of order are corrected
        with a warning: an earlier event after a later one is moved back to it (a deal closed
        before its first contact gets its first contact, creation and stage entry on the close
        date).
        """
        given = {key: moment for key, moment in moments.items() if moment is not None}
        closed_deal = values["status"] != DealStatus.OPEN
        if not closed_deal:
            given.pop("closed_at", None)
        if "created_at" in given:
            created = given["created_at"][0]
        elif given:
            created = min(moment for moment, _bare in given.values())
            self.row.assumptions.append("created_from_other_date")
        else:
            created = self.now
            self.row.assumptions.append("created_at_import_time")
        entered, entered_bare = given.get("stage_entered_at", (created, True))
        if entered_bare and entered < created and _same_day(entered, created):
            entered = created
        closed = None
        if closed_deal:
            closed, closed_bare = given.get("closed_at", (entered, True))
            if closed_bare and closed < entered and _same_day(closed, entered):
                closed = entered
        first_contact = given.get("first_contact_at", (None, True))[0]
        corrected = []
        if entered < created:
            created = entered
            corrected.append(_("the creation date was moved back to the stage date"))
        if closed is not None and closed < entered:
            entered = closed
            created = min(created, closed)
            corrected.append(_("the creation and stage dates were moved back to the close date"))
        if closed is not None and first_contact is not None and closed < first_contact:
            first_contact = closed
            corrected.append(_("the first contact was moved back to the close date"))
        if corrected:
            self.row.assumptions.append("dates_corrected")
            self.row.warnings.append(
                RowProblem(
                    self.row.line,
                    self.column("closed_at" if closed is not None else "stage_entered_at"),
                    _("Dates out of order; imported with a correction: %(what)s.")
                    % {"what": "; ".join(corrected)},
                )
            )
        values["created_at"] = created
        values["stage_entered_at"] = entered
        values["closed_at"] = closed
        values["first_contact_at"] = first_contact
        values["_date_given"] = bool(given)


class _Cells(dict):
    """A row's cells by field key; "" for a field the row does not give."""

    def __missing__(self, key: str) -> str:
        return ""


def _refuse(message: str):
    raise CellError(message)


def _same_day(first, second) -> bool:
    return timezone.localtime(first).date() == timezone.localtime(second).date()
