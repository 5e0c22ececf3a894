"""The dry run: read every row without writing and report counts, a preview and errors."""

import hashlib
import json
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max
from django.utils import timezone

from voronka.accounts.models import Department, User
from voronka.catalog.models import Product
from voronka.core.errors import DomainError
from voronka.core.models import Organisation
from voronka.crm.models import LeadSource
from voronka.customfields.models import CustomFieldDefinition
from voronka.pipeline.models import Deal, DealStatus, LostReason, Pipeline, Stage

from .fields import VALUE_FIELDS, fields_for
from .models import ImportJob, ImportStatus
from .parsing import cell, read_table
from .reading import ASSUMPTIONS, RowReader
from .resolving import Resolver, outcome_word

PREVIEW_ROWS = 10
REPORT_MAX_ERRORS = 1000
# Shown in the preview as written in the file (the row keeps only their ids).
RAW_PREVIEW = {"lead_source", "lost_reason", "closed_stage", "product_name"}


def scan_values(job: ImportJob) -> dict:
    """The values of the looked-up columns the database does not know ({key: {value: rows}})
    and whether the stage column holds outcomes (Won, Lost…). Reads the whole file."""
    resolver = Resolver(job, use_value_map=False)
    counts: dict[str, Counter] = defaultdict(Counter)
    mapped = [key for key in VALUE_FIELDS if key in job.mapping]
    stage_index = job.mapping.get("stage")
    outcomes = False
    seen: dict[tuple[str, str], bool] = {}  # a value's verdict, for all but pipeline-bound
    for _line, cells in read_table(bytes(job.content)).rows:
        for key in mapped:
            raw = cell(cells, job.mapping[key])
            if not raw:
                continue
            verdict_key = (key, raw)
            if key in {"stage", "closed_stage"} and "pipeline" in job.mapping:
                known = resolver.knows(key, raw, cells)
            elif verdict_key in seen:
                known = seen[verdict_key]
            else:
                known = seen[verdict_key] = resolver.knows(key, raw, cells)
            if not known:
                counts[key][raw] += 1
        if stage_index is not None and not outcomes:
            outcomes = outcome_word(cell(cells, stage_index)) is not None
    return {"unknown": {key: dict(counts[key]) for key in mapped}, "outcomes": outcomes}


# What reading a row looks up, in tables small enough to read whole: a change to any of them
# since the check may make a valid row invalid (a renamed stage, a deactivated owner).
STATE_TABLES = [User, Department, Pipeline, Stage, LeadSource, LostReason, Product,
                CustomFieldDefinition, Organisation]  # fmt: skip
# Columns that change without changing how a row reads.
VOLATILE_COLUMNS = {"last_login", "password"}


def import_state(job: ImportJob) -> str:
    """A digest of everything the reading of the job's rows depends on besides the file: the
    job's choices, the reference tables, and the deals (their number, last id and last change,
    for updates by external id). Equal digests at the check and at the start mean the check's
    verdict still holds, so the import need not read the file twice."""
    Organisation.current()  # made on first use, by the reading itself otherwise
    digest = hashlib.sha256()
    choices = [job.kind, job.mapping, job.value_map, job.options, job.created_by_id]
    digest.update(json.dumps(choices, sort_keys=True, default=str).encode())
    for model in STATE_TABLES:
        columns = [
            field.attname
            for field in model._meta.concrete_fields
            if field.attname not in VOLATILE_COLUMNS
        ]
        for values in model._base_manager.order_by("pk").values_list(*columns):
            digest.update(repr(values).encode())
    deals = Deal.objects.aggregate(number=Count("pk"), last=Max("pk"), changed=Max("updated_at"))
    digest.update(repr(sorted(deals.items())).encode())
    return digest.hexdigest()


def import_check(*, job: ImportJob) -> dict:
    """Read every row without writing: counts, the first rows as read, and each row's errors.

    Saves the report on the job (status CHECKED) and returns it; a file that cannot be read
    fails the job with the reason (status FAILED) instead.
    """
    try:
        return _check(job)
    except DomainError as error:
        job.status = ImportStatus.FAILED
        job.message = str(error.message)
        job.report = {}
        job.save(update_fields=["status", "message", "report"])
        raise


def _check(job: ImportJob) -> dict:
    state = import_state(job)  # before reading: a change while reading shows as a change
    resolver = Resolver(job)
    reader = RowReader(job, resolver)
    valid = invalid = 0
    errors: list[dict] = []
    warnings: list[dict] = []
    assumptions: Counter = Counter()
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
            assumptions.update(row.assumptions)
            warnings.extend(
                problem.as_dict() for problem in row.warnings[: REPORT_MAX_ERRORS - len(warnings)]
            )
        if len(preview) < PREVIEW_ROWS:
            preview.append(
                {
                    "line": line,
                    "ok": row is not None,
                    "cells": [
                        display(
                            row.values.get(key)
                            if row and key not in RAW_PREVIEW
                            else cell(cells, job.mapping[key])
                        )
                        for key in shown
                    ],
                }
            )
    report = {
        **scan_values(job),
        "valid": valid,
        "invalid": invalid,
        "errors": errors,
        "errors_truncated": invalid > 0 and len(errors) >= REPORT_MAX_ERRORS,
        "warnings": warnings,
        "assumptions": dict(assumptions),
        "columns": [labels[key] for key in shown],
        "preview": preview,
        "state": state,
    }
    job.report = report
    job.row_count = valid + invalid
    job.status = ImportStatus.CHECKED
    job.save(update_fields=["report", "row_count", "status"])
    return report


def assumption_counts(report: dict) -> list[tuple[str, int]]:
    """(what was assumed, how many rows) from a check report, in a fixed order."""
    counts = report.get("assumptions") or {}
    return [(str(label), counts[key]) for key, label in ASSUMPTIONS.items() if counts.get(key)]


def display(value) -> str:
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
