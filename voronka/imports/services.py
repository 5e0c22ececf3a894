"""Importing companies, contacts and deals from a table, step by step.

The wizard and the `import_data` command share these functions:
`import_job_create` (read the file, guess or recall the column mapping) →
`import_job_set_mapping` → `unknown_values` / `import_job_set_values` (map stages, owners,
sources, lost reasons the database does not know) → `import_check` (dry run: per-row report)
→ `import_job_start` (in the background for large files) → `import_run`.

Rules: bad rows are reported with line, column and reason; they are skipped only when the
user asked for "valid rows only", otherwise nothing is imported. A row is all or nothing
(company, contact, deal and its history): rows are written in batches inside a transaction,
and a batch that fails is retried row by row, each in its own savepoint. Re-importing a file
matches existing rows (external id, else natural keys) and updates or skips them.
Deals with a past get the same history rows the services would write, through
`voronka.pipeline.bulk.write_historical_deals`.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import Role, User
from voronka.accounts.visibility import visible_deals, visible_users
from voronka.core.errors import DomainError, NotPermitted
from voronka.core.models import Organisation
from voronka.crm.models import Company, Contact, LeadSource
from voronka.pipeline import services as deal_services
from voronka.pipeline.bulk import HistoricalDeal, write_historical_deals
from voronka.pipeline.models import Deal, DealStatus, LostReason, Pipeline, Stage

from .fields import (
    VALUE_FIELDS,
    CellError,
    fields_for,
    guess_mapping,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_status,
)
from .models import ImportJob, ImportKind, ImportMapping, ImportStatus, OnMatch
from .parsing import UnreadableFile, header_hash, read_table

NEW = "new"  # value-map choice: create a lead source / lost reason with the file's name
BATCH_SIZE = 1000
PREVIEW_ROWS = 10
REPORT_MAX_ERRORS = 1000
# Shown in the preview as written in the file (the row keeps only their ids).
RAW_PREVIEW = {"lead_source", "lost_reason"}


class FileTooLarge(DomainError):
    code = "file_too_large"
    status = 413
    default_message = gettext_lazy("The file is too large.")


class ImportNotReady(DomainError):
    code = "import_not_ready"
    status = 409
    default_message = gettext_lazy("Check the file before importing it.")


class InvalidRowsPresent(DomainError):
    code = "invalid_rows_present"
    default_message = gettext_lazy(
        "Some rows have errors. Fix the file, or choose to import the valid rows only."
    )


def max_upload_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024)


def background_threshold() -> int:
    """Files with more rows than this are imported by a task worker."""
    return getattr(settings, "IMPORT_BACKGROUND_ROWS", 2000)


def can_import(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_admin or user.is_head))


def _require_importer(user: User) -> None:
    if not can_import(user):
        raise NotPermitted()


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().replace("ё", "е").split())


# ------------------------------------------------------------------------------ wizard steps
def import_job_create(*, user: User, kind: str, file_name: str, data: bytes) -> ImportJob:
    """Read an uploaded file, count its rows and propose a column mapping.

    The mapping used last time for the same header row is offered first; otherwise it is
    guessed from the header names. Raises NotPermitted, FileTooLarge, UnreadableFile.
    """
    _require_importer(user)
    if kind not in ImportKind.values:
        raise DomainError(_("Choose what the file contains."), field="kind")
    limit = max_upload_bytes()
    if len(data) > limit:
        raise FileTooLarge(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(len(data) / 2**20, 1), "limit": round(limit / 2**20)},
            field="file",
        )
    table = read_table(data)
    row_count = sum(1 for _row in table.rows)
    if not row_count:
        raise UnreadableFile(_("The file has no rows below the header row."), field="file")
    remembered = ImportMapping.objects.filter(
        kind=kind, header_hash=header_hash(table.headers)
    ).first()
    mapping = remembered.mapping if remembered else guess_mapping(kind, table.headers)
    return ImportJob.objects.create(
        kind=kind,
        created_by=user,
        file_name=file_name[:255],
        content=data,
        encoding=table.encoding,
        delimiter=table.delimiter,
        headers=table.headers,
        row_count=row_count,
        mapping={key: index for key, index in mapping.items() if index < len(table.headers)},
    )


def import_job_set_mapping(*, job: ImportJob, mapping: dict[str, int]) -> ImportJob:
    """Save the column mapping and remember it for files with the same header row.

    Raises DomainError when a required field has no column or a column index is invalid.
    """
    known = {item.key: item for item in fields_for(job.kind)}
    clean = {}
    for key, index in mapping.items():
        if key not in known or index is None or index == "":
            continue
        index = int(index)
        if not 0 <= index < len(job.headers):
            raise DomainError(_("Unknown column."), field=key)
        clean[key] = index
    missing = [
        str(item.label) for item in known.values() if item.required and item.key not in clean
    ]
    if job.kind == ImportKind.CONTACTS and not {"contact_name", "first_name", "last_name"} & set(
        clean
    ):
        missing.append(str(_("Contact name")))
    if missing:
        raise DomainError(
            _("Choose a column for: %(fields)s.") % {"fields": ", ".join(missing)}, field="mapping"
        )
    job.mapping = clean
    job.status = ImportStatus.UPLOADED
    job.report = {}
    job.save(update_fields=["mapping", "status", "report"])
    ImportMapping.objects.update_or_create(
        kind=job.kind,
        header_hash=header_hash(job.headers),
        defaults={"headers": job.headers, "mapping": clean},
    )
    return job


@dataclass
class UnknownValue:
    value: str
    rows: int
    chosen: str = ""  # the current choice from the job's value map ("" = none yet)


def unknown_values(job: ImportJob) -> dict[str, list[UnknownValue]]:
    """Values of stage/owner/source/lost-reason/pipeline columns the database does not know."""
    resolver = Resolver(job, use_value_map=False)
    counts: dict[str, Counter] = defaultdict(Counter)
    mapped = [key for key in VALUE_FIELDS if key in job.mapping]
    if not mapped:
        return {}
    for _line, cells in read_table(bytes(job.content)).rows:
        for key in mapped:
            raw = _cell(cells, job.mapping[key])
            if raw and not resolver.knows(key, raw, cells):
                counts[key][raw] += 1
    value_map = job.value_map or {}
    return {
        key: [
            UnknownValue(value, count, str(value_map.get(key, {}).get(value, "")))
            for value, count in sorted(counts[key].items())
        ]
        for key in mapped
        if counts[key]
    }


def import_job_set_values(*, job: ImportJob, value_map: dict[str, dict[str, str]]) -> ImportJob:
    """Save how unknown values map: to an existing record's id, or NEW (sources, lost reasons).

    Stages and owners map only to existing ones. Raises DomainError on a bad choice.
    """
    resolver = Resolver(job, use_value_map=False)
    clean: dict[str, dict[str, str]] = {}
    for key, choices in value_map.items():
        if key not in VALUE_FIELDS:
            continue
        for raw, choice in choices.items():
            choice = str(choice or "")
            if not choice:
                continue
            if choice == NEW and key not in {"lead_source", "lost_reason"}:
                raise DomainError(_("Map «%(value)s» to an existing record.") % {"value": raw})
            if choice != NEW and not resolver.valid_choice(key, choice):
                raise DomainError(_("Unknown choice for «%(value)s».") % {"value": raw})
            clean.setdefault(key, {})[raw] = choice
    job.value_map = clean
    job.status = ImportStatus.UPLOADED
    job.report = {}
    job.save(update_fields=["value_map", "status", "report"])
    return job


def value_options(job: ImportJob) -> dict[str, list[tuple[str, str]]]:
    """Choices for the value-mapping step: (id, label) per value field."""
    user = job.created_by
    stages = Stage.objects.select_related("pipeline").order_by(
        "pipeline__order", "pipeline__name", "order"
    )
    return {
        "pipeline": [(str(p.pk), p.name) for p in Pipeline.objects.all()],
        "stage": [(str(s.pk), f"{s.pipeline.name} · {s.name}") for s in stages],
        "owner": [(str(u.pk), str(u)) for u in _owner_candidates(user)],
        "lead_source": [(str(s.pk), s.name) for s in LeadSource.objects.all()],
        "lost_reason": [(str(r.pk), r.name) for r in LostReason.objects.all()],
    }


def column_samples(job: ImportJob, count: int = 3) -> list[list[str]]:
    """The first non-empty values of each column, to help the user map it."""
    samples: list[list[str]] = [[] for _header in job.headers]
    for number, (_line, cells) in enumerate(read_table(bytes(job.content)).rows):
        for index, value in enumerate(cells[: len(samples)]):
            if value and len(samples[index]) < count:
                samples[index].append(value[:60])
        if number >= 50 or all(len(column) >= count for column in samples):
            break
    return samples


def _owner_candidates(user: User):
    return visible_users(user).exclude(role=Role.VIEWER)


# ------------------------------------------------------------------------------ row reading
def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index]


class Resolver:
    """Looks up pipelines, stages, owners, sources and lost reasons by the file's words."""

    def __init__(self, job: ImportJob, *, use_value_map: bool = True):
        self.job = job
        self.value_map = job.value_map if use_value_map else {}
        self.pipelines = {p.pk: p for p in Pipeline.objects.all()}
        self.pipeline_by_name = {_norm(p.name): p for p in self.pipelines.values()}
        self.default_pipeline = next(
            (p for p in self.pipelines.values() if p.is_default), None
        ) or next(iter(self.pipelines.values()), None)
        self.stages = {s.pk: s for s in Stage.objects.order_by("pipeline_id", "order")}
        self.stage_by_name: dict[tuple[int, str], Stage] = {}
        self.stages_named: dict[str, list[Stage]] = defaultdict(list)
        self.first_stage: dict[int, Stage] = {}
        for stage in self.stages.values():
            self.stage_by_name.setdefault((stage.pipeline_id, _norm(stage.name)), stage)
            self.stages_named[_norm(stage.name)].append(stage)
            self.first_stage.setdefault(stage.pipeline_id, stage)
        self.owners = {u.pk: u for u in _owner_candidates(job.created_by)}
        self.owner_by_word: dict[str, User] = {}
        for owner in self.owners.values():
            for word in (
                owner.username,
                owner.email,
                f"{owner.first_name} {owner.last_name}",
                f"{owner.last_name} {owner.first_name}",
            ):
                if _norm(word):
                    self.owner_by_word.setdefault(_norm(word), owner)
        self.sources = {s.pk: s for s in LeadSource.objects.all()}
        self.source_by_name = {_norm(s.name): s.pk for s in self.sources.values()}
        self.reasons = {r.pk: r for r in LostReason.objects.all()}
        self.reason_by_name = {_norm(r.name): r.pk for r in self.reasons.values()}
        self.created_new: dict[tuple[str, str], int] = {}

    # -- choices from the value map
    def valid_choice(self, key: str, choice: str) -> bool:
        if not choice.isdigit():
            return False
        pk = int(choice)
        table = {
            "pipeline": self.pipelines,
            "stage": self.stages,
            "owner": self.owners,
            "lead_source": self.sources,
            "lost_reason": self.reasons,
        }[key]
        return pk in table

    def _mapped(self, key: str, raw: str) -> str:
        return str(self.value_map.get(key, {}).get(raw, ""))

    def knows(self, key: str, raw: str, cells: list[str]) -> bool:
        try:
            getattr(self, key)(raw, cells)
        except CellError:
            return False
        return True

    # -- lookups; each raises CellError with a message for the report
    def pipeline(self, raw: str, cells=None) -> Pipeline:
        if not raw:
            if self.default_pipeline is None:
                raise CellError(_("There is no pipeline to import into."))
            return self.default_pipeline
        choice = self._mapped("pipeline", raw)
        if choice:
            return self.pipelines[int(choice)]
        found = self.pipeline_by_name.get(_norm(raw))
        if found is None:
            raise CellError(
                _("Unknown pipeline «%(value)s»; map it to a pipeline.") % {"value": raw}
            )
        return found

    def _row_pipeline(self, cells) -> Pipeline | None:
        index = self.job.mapping.get("pipeline")
        if cells is None or index is None:
            return None
        try:
            return self.pipeline(_cell(cells, index))
        except CellError:
            return None

    def stage(self, raw: str, cells=None, pipeline: Pipeline | None = None) -> Stage:
        pipeline = pipeline or self._row_pipeline(cells)
        if not raw:
            pipeline = pipeline or self.default_pipeline
            if pipeline is None or pipeline.pk not in self.first_stage:
                raise CellError(_("The pipeline has no stages."))
            return self.first_stage[pipeline.pk]
        choice = self._mapped("stage", raw)
        if choice:
            stage = self.stages[int(choice)]
        elif pipeline is not None:
            stage = self.stage_by_name.get((pipeline.pk, _norm(raw)))
        else:
            named = self.stages_named.get(_norm(raw), [])
            in_default = [
                s
                for s in named
                if self.default_pipeline and s.pipeline_id == self.default_pipeline.pk
            ]
            stage = (in_default or named or [None])[0]
        if stage is None:
            raise CellError(_("Unknown stage «%(value)s»; map it to a stage.") % {"value": raw})
        if pipeline is not None and stage.pipeline_id != pipeline.pk:
            raise CellError(
                _("Stage «%(stage)s» is not in pipeline «%(pipeline)s».")
                % {"stage": raw, "pipeline": pipeline.name}
            )
        return stage

    def owner(self, raw: str, cells=None) -> User:
        if not raw:
            importer = self.job.created_by
            if importer.role == Role.VIEWER or not importer.is_active:
                raise CellError(_("Choose an owner."))
            return importer
        choice = self._mapped("owner", raw)
        if choice:
            return self.owners[int(choice)]
        found = self.owner_by_word.get(_norm(raw))
        if found is None:
            raise CellError(_("Unknown owner «%(value)s»; map it to a user.") % {"value": raw})
        return found

    def _named(
        self, key: str, raw: str, by_name: dict[str, int], unknown_message: str
    ) -> int | None:
        if not raw:
            return None
        choice = self._mapped(key, raw)
        if choice == NEW:
            return self.created_new.get((key, raw), -1)
        if choice:
            return int(choice)
        found = by_name.get(_norm(raw))
        if found is None:
            raise CellError(unknown_message % {"value": raw})
        return found

    def lead_source(self, raw: str, cells=None) -> int | None:
        return self._named(
            "lead_source", raw, self.source_by_name,
            _("Unknown lead source «%(value)s»; map it or create it."),
        )  # fmt: skip

    def lost_reason(self, raw: str, cells=None) -> int | None:
        return self._named(
            "lost_reason", raw, self.reason_by_name,
            _("Unknown lost reason «%(value)s»; map it or create it."),
        )  # fmt: skip

    def create_new_values(self) -> None:
        """Create the lead sources and lost reasons the user chose to add (before writing)."""
        for raw, choice in self.value_map.get("lead_source", {}).items():
            if choice == NEW:
                source, _created = LeadSource.objects.get_or_create(name=raw.strip()[:120])
                self.created_new[("lead_source", raw)] = source.pk
        for raw, choice in self.value_map.get("lost_reason", {}).items():
            if choice == NEW:
                reason, _created = LostReason.objects.get_or_create(name=raw.strip()[:150])
                self.created_new[("lost_reason", raw)] = reason.pk


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
            return _cell(cells, self.mapping.get(key))

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


# ------------------------------------------------------------------------------ dry run
def import_check(*, job: ImportJob) -> dict:
    """Read every row without writing: counts, the first rows as read, and each row's errors.

    Saves the report on the job (status CHECKED) and returns it.
    """
    resolver = Resolver(job)
    reader = RowReader(job, resolver)
    valid = invalid = 0
    errors: list[dict] = []
    preview: list[dict] = []
    labels = {item.key: str(item.label) for item in fields_for(job.kind)}
    shown = [key for key in labels if key in job.mapping]
    for line, cells in read_table(bytes(job.content)).rows:
        row, problems = reader.read(line, cells)
        if row is None:
            invalid += 1
            errors.extend(
                problem.as_dict() for problem in problems[: REPORT_MAX_ERRORS - len(errors)]
            )
        else:
            valid += 1
        if len(preview) < PREVIEW_ROWS:
            preview.append(
                {
                    "line": line,
                    "ok": row is not None,
                    "cells": [
                        _display(
                            row.values.get(key)
                            if row and key not in RAW_PREVIEW
                            else _cell(cells, job.mapping[key])
                        )
                        for key in shown
                    ],
                }
            )
    report = {
        "valid": valid,
        "invalid": invalid,
        "errors": errors,
        "errors_truncated": invalid > 0 and len(errors) >= REPORT_MAX_ERRORS,
        "columns": [labels[key] for key in shown],
        "preview": preview,
    }
    job.report = report
    job.row_count = valid + invalid
    job.status = ImportStatus.CHECKED
    job.save(update_fields=["report", "row_count", "status"])
    return report


def import_check_start(*, job: ImportJob) -> bool:
    """Run the dry run now for small files, through a task worker for large ones.

    Returns True when the check was queued (the job shows CHECKING until it is done).
    """
    from .tasks import run_check

    if job.row_count > background_threshold():
        job.status = ImportStatus.CHECKING
        job.report = {}
        job.save(update_fields=["status", "report"])
        transaction.on_commit(lambda: run_check.enqueue(job.pk))
        return True
    import_check(job=job)
    return False


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, DealStatus):
        return str(value.label)
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ")
    return str(value)


# ------------------------------------------------------------------------------ import
def import_job_start(*, job: ImportJob, user: User, valid_only: bool, on_match: str) -> ImportJob:
    """Import a checked file: now for small files, through a task worker for large ones.

    Raises ImportNotReady (not checked yet), InvalidRowsPresent (errors and not valid_only).
    """
    from .tasks import run_import

    _require_importer(user)
    if job.status != ImportStatus.CHECKED:
        raise ImportNotReady()
    if job.report.get("invalid") and not valid_only:
        raise InvalidRowsPresent()
    if on_match not in OnMatch.values:
        raise DomainError(_("Choose what to do with rows that match existing records."))
    job.valid_only = valid_only
    job.on_match = on_match
    job.status = ImportStatus.QUEUED
    job.processed = 0
    job.save(update_fields=["valid_only", "on_match", "status", "processed"])
    if job.row_count > background_threshold():
        transaction.on_commit(lambda: run_import.enqueue(job.pk))
    else:
        import_run(job=job)
        job.refresh_from_db()
    return job


def import_run(*, job: ImportJob, progress: Callable[[int, int], None] | None = None) -> ImportJob:
    """Write the file's valid rows (see the module docstring). Never raises for a bad row."""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    job.status = ImportStatus.RUNNING
    try:
        resolver = Resolver(job)
        reader = RowReader(job, resolver)
        rows: list[Row] = []
        problems: list[RowProblem] = []
        failed_lines: set[int] = set()
        for line, cells in read_table(bytes(job.content)).rows:
            row, row_problems = reader.read(line, cells)
            if row is None:
                problems.extend(row_problems)
                failed_lines.add(line)
            else:
                rows.append(row)
        if failed_lines and not job.valid_only:
            job.errors = [problem.as_dict() for problem in problems[:REPORT_MAX_ERRORS]]
            job.failed_count = len(failed_lines)
            job.status = ImportStatus.FAILED
            job.message = str(InvalidRowsPresent.default_message)
            job.finished_at = timezone.now()
            job.save()
            return job
        job.row_count = len(rows) + len(failed_lines)
        job.processed = len(failed_lines)
        with transaction.atomic():
            resolver.create_new_values()
        for row in rows:
            for key in ("lead_source", "lost_reason"):
                if row.values.get(f"{key}_id") == -1:
                    row.values[f"{key}_id"] = resolver.created_new[(key, row.values[f"_raw_{key}"])]
        writer = RowWriter(job, resolver)
        counts = Counter()
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            outcomes, batch_problems = writer.write_batch(batch)
            counts.update(outcomes)
            problems.extend(batch_problems)
            failed_lines.update(problem.line for problem in batch_problems)
            job.processed += len(batch)
            ImportJob.objects.filter(pk=job.pk).update(
                processed=job.processed,
                created_count=counts["created"],
                updated_count=counts["updated"],
                skipped_count=counts["skipped"],
                failed_count=len(failed_lines),
            )
            if progress:
                progress(job.processed, job.row_count)
        problems.sort(key=lambda problem: problem.line)
        job.errors = [problem.as_dict() for problem in problems[:REPORT_MAX_ERRORS]]
        job.created_count = counts["created"]
        job.updated_count = counts["updated"]
        job.skipped_count = counts["skipped"]
        job.failed_count = len(failed_lines)
        job.processed = job.row_count
        job.status = ImportStatus.DONE
    except DomainError as error:
        job.status = ImportStatus.FAILED
        job.message = str(error.message)
    job.finished_at = timezone.now()
    job.save()
    return job


class RowFailure(Exception):
    """A row that cannot be written; the message goes to the report."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


class RowWriter:
    """Writes batches of rows; keeps what earlier batches created so a file never duplicates."""

    def __init__(self, job: ImportJob, resolver: Resolver):
        self.job = job
        self.user = job.created_by
        self.resolver = resolver
        self.update = job.on_match == OnMatch.UPDATE
        self.deal_key_by_external_id = "external_id" in job.mapping and job.kind == ImportKind.DEALS
        # committed caches: key -> pk
        self.companies: dict[tuple, int] = {}
        self.contacts: dict[tuple, int] = {}
        self.deals: dict[tuple, int] = {}
        self.first_win: dict[int, datetime] = {}
        self.sees_everything = self.user.sees_everything

    # -- batch control
    def write_batch(self, rows: list[Row]) -> tuple[list[str], list[RowProblem]]:
        """Write rows in one transaction; if that fails, row by row in savepoints."""
        snapshot = self._snapshot()
        try:
            with transaction.atomic():
                return self._write(rows), []
        except (RowFailure, DomainError, DatabaseError, ValueError):
            self._restore(snapshot)
        outcomes, problems = [], []
        for row in rows:
            snapshot = self._snapshot()
            try:
                with transaction.atomic():
                    outcomes += self._write([row])
            except RowFailure as error:
                self._restore(snapshot)
                problems.append(RowProblem(row.line, error.column, error.message))
            except DomainError as error:
                self._restore(snapshot)
                problems.append(RowProblem(row.line, error.field or "", str(error.message)))
            except (IntegrityError, DatabaseError, ValueError) as error:
                self._restore(snapshot)
                problems.append(
                    RowProblem(
                        row.line,
                        "",
                        _("Conflicts with existing data: %(error)s") % {"error": error},
                    )
                )
        return outcomes, problems

    def _snapshot(self):
        return (dict(self.companies), dict(self.contacts), dict(self.deals), dict(self.first_win))

    def _restore(self, snapshot) -> None:
        self.companies, self.contacts, self.deals, self.first_win = snapshot

    def _write(self, rows: list[Row]) -> list[str]:
        if self.job.kind == ImportKind.DEALS:
            return self._write_deals(rows)
        if self.job.kind == ImportKind.COMPANIES:
            return self._write_companies(rows)
        return self._write_contacts(rows)

    # -- companies
    @staticmethod
    def _company_keys(values: dict) -> list[tuple]:
        keys = []
        if values.get("external_id_company"):
            keys.append(("ext", values["external_id_company"]))
        if values.get("company_inn"):
            keys.append(("inn", values["company_inn"]))
        if values.get("company_name"):
            keys.append(("name", values["company_name"]))
        return keys

    def _prefetch_companies(self, rows: list[Row]) -> dict[int, Company]:
        inns = {r.values["company_inn"] for r in rows if r.values.get("company_inn")}
        names = {r.values["company_name"] for r in rows if r.values.get("company_name")}
        externals = {
            r.values["external_id_company"] for r in rows if r.values.get("external_id_company")
        }
        if not (inns or names or externals):
            return {}
        found = {}
        query = Q(inn__in=inns) | Q(name__in=names) | Q(external_id__in=externals)
        for company in Company.objects.filter(query).order_by("pk"):
            found[company.pk] = company
            if company.external_id:
                self.companies.setdefault(("ext", company.external_id), company.pk)
            if company.inn:
                self.companies.setdefault(("inn", company.inn), company.pk)
            self.companies.setdefault(("name", company.name), company.pk)
            if company.inn:
                self.companies.setdefault(("name-inn", company.name, company.inn), company.pk)
        return found

    def _match_company(self, values: dict) -> int | None:
        if (
            values.get("external_id_company")
            and ("ext", values["external_id_company"]) in self.companies
        ):
            return self.companies[("ext", values["external_id_company"])]
        if values.get("company_inn"):
            if ("inn", values["company_inn"]) in self.companies:
                return self.companies[("inn", values["company_inn"])]
            # A same-named company without an INN is the same customer; with another INN it is not.
            return self.companies.get(("name-no-inn", values.get("company_name", "")))
        if values.get("company_name"):
            return self.companies.get(("name", values["company_name"]))
        return None

    def _resolve_companies(
        self, rows: list[Row], *, update: bool
    ) -> dict[int, tuple[int | None, str]]:
        """Company id per row line, with 'created'/'updated'/'skipped'; creates the missing."""
        existing = self._prefetch_companies(rows)
        for company in existing.values():
            if not company.inn:
                self.companies.setdefault(("name-no-inn", company.name), company.pk)
        result: dict[int, tuple[int | None, str]] = {}
        pending: dict[tuple, Company] = {}
        pending_rows: list[tuple[Row, Company]] = []
        for row in rows:
            values = row.values
            if not (values.get("company_name") or values.get("company_inn")):
                result[row.line] = (None, "skipped")
                continue
            pk = self._match_company(values)
            if pk is not None:
                outcome = "skipped"
                if update and pk in existing:
                    outcome = self._update_company(existing[pk], values)
                result[row.line] = (pk, outcome)
                continue
            key = (
                ("inn", values["company_inn"])
                if values.get("company_inn")
                else ("name", values["company_name"])
            )
            company = pending.get(key)
            if company is None:
                if not values.get("company_name"):
                    raise RowFailure(
                        str(_("Company")), _("No company has this INN; give the company name.")
                    )
                company = Company(
                    name=values["company_name"],
                    inn=values.get("company_inn", ""),
                    owner=values["owner"],
                    external_id=values.get("external_id_company", ""),
                    **{
                        k: values.get(k, "")
                        for k in ("industry", "phone", "email", "website", "address", "notes")
                        if values.get(k)
                    },
                )
                pending[key] = company
                pending_rows.append((row, company))
                result[row.line] = (None, "created")
            else:
                pending_rows.append((row, company))
                result[row.line] = (None, "skipped")
        if pending:
            Company.objects.bulk_create(list(pending.values()), batch_size=BATCH_SIZE)
            for key, company in pending.items():
                self.companies[key] = company.pk
                self.companies.setdefault(("name", company.name), company.pk)
                if not company.inn:
                    self.companies.setdefault(("name-no-inn", company.name), company.pk)
            for row, company in pending_rows:
                result[row.line] = (company.pk, result[row.line][1])
        return result

    def _update_company(self, company: Company, values: dict) -> str:
        changed = []
        for key, attribute in (
            ("company_name", "name"), ("company_inn", "inn"), ("industry", "industry"), ("phone", "phone"),
            ("email", "email"), ("website", "website"), ("address", "address"), ("notes", "notes"),
        ):  # fmt: skip
            if self.job.kind == ImportKind.DEALS and key not in {"company_inn"}:
                continue  # a deals file names the company; it does not edit it
            if self.job.kind == ImportKind.CONTACTS:
                continue
            new = values.get(key)
            if new and getattr(company, attribute) != new:
                setattr(company, attribute, new)
                changed.append(attribute)
        if not changed:
            return "skipped"
        company.save(update_fields=[*changed, "updated_at"])
        return "updated"

    def _write_companies(self, rows: list[Row]) -> list[str]:
        for row in rows:
            row.values["external_id_company"] = row.values.get("external_id", "")
        resolved = self._resolve_companies(rows, update=self.update)
        return [resolved[row.line][1] for row in rows]

    # -- contacts
    @staticmethod
    def _split_name(values: dict) -> tuple[str, str]:
        first, last = values.get("first_name", ""), values.get("last_name", "")
        if not (first or last) and values.get("contact_name"):
            parts = values["contact_name"].split()
            if len(parts) == 1:
                return parts[0], ""
            # «Иванов Иван Иванович»: surname first in Russian lists; «Ivan Ivanov» otherwise.
            if len(parts) >= 3 or any("а" <= ch.lower() <= "я" for ch in parts[0]):
                return " ".join(parts[1:]), parts[0]
            return parts[0], " ".join(parts[1:])
        return first, last

    def _contact_keys(self, company_id, values: dict) -> list[tuple]:
        keys = []
        if values.get("external_id_contact"):
            keys.append(("ext", values["external_id_contact"]))
        if values.get("email"):
            keys.append(("email", company_id, values["email"].lower()))
        if values.get("phone"):
            keys.append(("phone", company_id, _digits(values["phone"])))
        first, last = self._split_name(values)
        if first or last:
            keys.append(("name", company_id, _norm(f"{first} {last}")))
        return keys

    def _resolve_contacts(
        self, rows: list[Row], company_ids: dict[int, int | None], *, update: bool
    ):
        wanted = [r for r in rows if r.values.get("contact_name") or r.values.get("first_name")
                  or r.values.get("last_name") or r.values.get("email") or r.values.get("phone")]  # fmt: skip
        result: dict[int, tuple[int | None, str]] = {r.line: (None, "skipped") for r in rows}
        if not wanted:
            return result
        emails = {r.values["email"] for r in wanted if r.values.get("email")}
        phones = {r.values["phone"] for r in wanted if r.values.get("phone")}
        externals = {
            r.values["external_id_contact"] for r in wanted if r.values.get("external_id_contact")
        }
        companies = {company_ids.get(r.line) for r in wanted} - {None}
        query = (
            Q(email__in=emails)
            | Q(phone__in=phones)
            | Q(external_id__in=externals)
            | Q(company_id__in=companies)
        )
        existing = {}
        for contact in Contact.objects.filter(query).order_by("pk"):
            existing[contact.pk] = contact
            for key in self._contact_keys(
                contact.company_id,
                {"external_id_contact": contact.external_id, "email": contact.email, "phone": contact.phone,
                 "first_name": contact.first_name, "last_name": contact.last_name},
            ):  # fmt: skip
                self.contacts.setdefault(key, contact.pk)
        pending: dict[tuple, Contact] = {}
        pending_rows = []
        for row in wanted:
            values = row.values
            company_id = company_ids.get(row.line)
            keys = self._contact_keys(company_id, values)
            pk = next((self.contacts[key] for key in keys[:-1] if key in self.contacts), None)
            if pk is None and not (values.get("email") or values.get("phone")) and keys:
                pk = self.contacts.get(keys[-1])
            if pk is not None:
                outcome = "skipped"
                if update and pk in existing:
                    outcome = self._update_contact(existing[pk], values)
                result[row.line] = (pk, outcome)
                continue
            contact = next((pending[key] for key in keys if key in pending), None)
            if contact is None:
                first, last = self._split_name(values)
                if not first:
                    first, last = last or values.get("email") or values.get("phone"), ""
                contact = Contact(
                    company_id=company_id,
                    first_name=first[:100],
                    last_name=last[:100],
                    position=values.get("position", ""),
                    phone=values.get("phone", ""),
                    email=values.get("email", ""),
                    notes=values.get("notes", "") if self.job.kind == ImportKind.CONTACTS else "",
                    owner=values["owner"],
                    external_id=values.get("external_id_contact", ""),
                )
                for key in keys:
                    pending[key] = contact
                result[row.line] = (None, "created")
            else:
                result[row.line] = (None, "skipped")
            pending_rows.append((row, contact))
        unique = list({id(contact): contact for contact in pending.values()}.values())
        if unique:
            Contact.objects.bulk_create(unique, batch_size=BATCH_SIZE)
            for key, contact in pending.items():
                self.contacts[key] = contact.pk
            for row, contact in pending_rows:
                result[row.line] = (contact.pk, result[row.line][1])
        return result

    def _update_contact(self, contact: Contact, values: dict) -> str:
        changed = []
        first, last = self._split_name(values)
        for attribute, new in (
            ("first_name", first), ("last_name", last), ("position", values.get("position")),
            ("phone", values.get("phone")), ("email", values.get("email")),
        ):  # fmt: skip
            if new and getattr(contact, attribute) != new:
                setattr(contact, attribute, new)
                changed.append(attribute)
        if not changed:
            return "skipped"
        contact.save(update_fields=[*changed, "updated_at"])
        return "updated"

    def _write_contacts(self, rows: list[Row]) -> list[str]:
        for row in rows:
            row.values["external_id_contact"] = row.values.get("external_id", "")
        companies = self._resolve_companies(rows, update=False)
        company_ids = {line: pk for line, (pk, _outcome) in companies.items()}
        contacts = self._resolve_contacts(rows, company_ids, update=self.update)
        return [contacts[row.line][1] for row in rows]

    # -- deals
    def _deal_key(self, values: dict, company_id: int | None) -> tuple:
        if self.deal_key_by_external_id and values.get("external_id"):
            return ("ext", values["external_id"])
        return ("nat", values["title"], company_id, timezone.localtime(values["created_at"]).date())

    def _prefetch_deals(
        self, rows: list[Row], company_ids: dict[int, int | None]
    ) -> dict[int, Deal]:
        externals = {r.values["external_id"] for r in rows if r.values.get("external_id")}
        titles = {r.values["title"] for r in rows}
        companies = {company_ids.get(r.line) for r in rows}
        query = Q(external_id__in=externals) if externals else Q(pk__in=[])
        natural = Q(title__in=titles) & (
            Q(company_id__in=companies - {None}) | Q(company__isnull=True)
            if None in companies
            else Q(company_id__in=companies)
        )
        if not self.deal_key_by_external_id or any(not r.values.get("external_id") for r in rows):
            query |= natural
        found = {}
        for deal in Deal.objects.filter(query).select_related(
            "stage", "furthest_stage", "pipeline"
        ):
            found[deal.pk] = deal
            if deal.external_id:
                self.deals.setdefault(("ext", deal.external_id), deal.pk)
            date = timezone.localtime(deal.created_at).date()
            self.deals.setdefault(("nat", deal.title, deal.company_id, date), deal.pk)
        if found and not self.sees_everything:
            self.visible_deal_ids = set(
                visible_deals(self.user).filter(pk__in=found).values_list("pk", flat=True)
            )
        else:
            self.visible_deal_ids = set(found)
        return found

    def _write_deals(self, rows: list[Row]) -> list[str]:
        companies = self._resolve_companies(rows, update=False)
        company_ids = {line: pk for line, (pk, _outcome) in companies.items()}
        contacts = self._resolve_contacts(rows, company_ids, update=False)
        existing = self._prefetch_deals(rows, company_ids)
        self._prefetch_first_wins(set(company_ids.values()) - {None})
        outcomes: dict[int, str] = {}
        new_items: list[tuple[Row, tuple, HistoricalDeal]] = []
        new_keys: set[tuple] = set()
        for row in rows:
            values = row.values
            company_id = company_ids[row.line]
            key = self._deal_key(values, company_id)
            pk = self.deals.get(key)
            if pk is not None or key in new_keys:
                if pk is None:  # the same deal twice in one batch: the first row wins
                    outcomes[row.line] = "skipped"
                    continue
                if pk in existing and pk not in self.visible_deal_ids:
                    raise RowFailure(self._title_column(), _("Matches a deal you cannot see."))
                outcomes[row.line] = (
                    self._update_deal(existing[pk], values, company_id)
                    if self.update and pk in existing
                    else "skipped"
                )
                continue
            new_keys.add(key)
            new_items.append(
                (row, key, self._historical(values, company_id, contacts[row.line][0]))
            )
            outcomes[row.line] = "created"
        if new_items:
            deals = write_historical_deals(
                [item for _row, _key, item in new_items], batch_size=BATCH_SIZE
            )
            for (_row, key, item), deal in zip(new_items, deals, strict=True):
                self.deals[key] = deal.pk
                if item.outcome == DealStatus.WON and deal.company_id:
                    first = self.first_win.get(deal.company_id)
                    if first is None or item.closed_at < first:
                        self.first_win[deal.company_id] = item.closed_at
        return [outcomes[row.line] for row in rows]

    def _title_column(self) -> str:
        index = self.job.mapping.get("title")
        return self.job.headers[index] if index is not None else ""

    def _prefetch_first_wins(self, company_ids: set[int]) -> None:
        missing = company_ids - set(self.first_win)
        if not missing:
            return
        wins = (
            Deal.objects.filter(company_id__in=missing, status=DealStatus.WON)
            .values("company_id")
            .annotate(first=Min("closed_at"))
        )
        for win in wins:
            self.first_win[win["company_id"]] = win["first"]

    def _historical(
        self, values: dict, company_id: int | None, contact_id: int | None
    ) -> HistoricalDeal:
        stage: Stage = values["stage"]
        pipeline_id = stage.pipeline_id
        first_stage = self.resolver.first_stage[pipeline_id]
        created = values["created_at"]
        path = [(first_stage, created)]
        if stage.pk != first_stage.pk:
            path.append((stage, values["stage_entered_at"]))
        first_win = self.first_win.get(company_id) if company_id else None
        deal = Deal(
            title=values["title"],
            owner=values["owner"],
            created_by=self.user,
            pipeline_id=pipeline_id,
            company_id=company_id,
            amount=values["amount"],
            currency=values["currency"],
            lead_source_id=values.get("lead_source_id"),
            expected_close_date=values.get("expected_close_date"),
            first_contact_at=values.get("first_contact_at") or created,
            description=values.get("description", ""),
            external_id=values.get("external_id", ""),
            is_returning_customer=bool(first_win and first_win <= created),
        )
        return HistoricalDeal(
            deal=deal,
            path=path,
            outcome=values["status"],
            closed_at=values["closed_at"],
            lost_reason_id=values.get("lost_reason_id"),
            lost_comment=values.get("lost_comment", ""),
            contact_ids=[contact_id] if contact_id else [],
            actor_id=values["owner"].pk,
        )

    def _update_deal(self, deal: Deal, values: dict, company_id: int | None) -> str:
        """Bring an existing deal in line with the row, through the deal services."""
        changed = False
        fields = {}
        for key in ("title", "currency", "expected_close_date", "description", "external_id"):
            if (
                key in values
                and values[key] not in (None, "")
                and getattr(deal, key) != values[key]
            ):
                fields[key] = values[key]
        if values.get("lead_source_id") and deal.lead_source_id != values["lead_source_id"]:
            fields["lead_source_id"] = values["lead_source_id"]
        if company_id and deal.company_id != company_id:
            fields["company_id"] = company_id
        if fields:
            plain = {
                key.removesuffix("_id"): value
                for key, value in fields.items()
                if not key.endswith("_id") or key == "external_id"
            }
            if "lead_source_id" in fields:
                plain["lead_source"] = LeadSource.objects.get(pk=fields["lead_source_id"])
            if "company_id" in fields:
                plain["company"] = Company.objects.get(pk=fields["company_id"])
            deal_services.deal_update(deal=deal, user=self.user, **plain)
            changed = True
        if "amount" in self.job.mapping and deal.amount != values["amount"]:
            deal_services.deal_change_amount(deal=deal, amount=values["amount"], user=self.user)
            changed = True
        if values["owner"].pk != deal.owner_id and "owner" in self.job.mapping:
            deal_services.deal_reassign(deal=deal, new_owner=values["owner"], user=self.user)
            changed = True
        if deal.is_open:
            stage = values.get("stage")
            if stage is not None and "stage" in self.job.mapping and stage.pk != deal.stage_id:
                at = max(values["stage_entered_at"], deal.stage_entered_at)
                deal_services.deal_move_stage(deal=deal, stage=stage, user=self.user, at=at)
                changed = True
            closed_at = values.get("closed_at")
            if values["status"] == DealStatus.WON:
                deal_services.deal_win(
                    deal=deal, user=self.user, at=max(closed_at, deal.stage_entered_at)
                )
                changed = True
            elif values["status"] == DealStatus.LOST:
                reason = LostReason.objects.get(pk=values["lost_reason_id"])
                deal_services.deal_lose(
                    deal=deal, user=self.user, reason=reason, comment=values.get("lost_comment", ""),
                    at=max(closed_at, deal.stage_entered_at),
                )  # fmt: skip
                changed = True
        return "updated" if changed else "skipped"


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())[-10:]
