"""Job control while an import runs: read the rows, write them batch by batch, record progress."""

from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.core.errors import DomainError
from voronka.core.planner_statistics import planner_statistics_refresh
from voronka.pipeline.bulk import refresh_returning_customers
from voronka.pipeline.lost_reasons import lost_reason_not_given

from .checking import REPORT_MAX_ERRORS
from .errors import InvalidRowsPresent
from .models import ImportJob, ImportStatus
from .parsing import read_table
from .reading import Row, RowProblem, RowReader
from .resolving import NOT_GIVEN, Resolver
from .writing import BATCH_SIZE, RowWriter


def import_run(*, job: ImportJob, progress: Callable[[int, int], None] | None = None) -> ImportJob:
    """Write the file's valid rows, batch by batch (see `services`). Never raises for a bad row.

    Between batches the job records its progress, the lines written and a heartbeat, and stops
    when someone asked to cancel it. Lines an earlier run of the same job wrote are skipped, so
    a job whose worker died resumes where it stopped.
    """
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
    )
    job.status = ImportStatus.RUNNING
    try:
        resolver = Resolver(job)
        reader = RowReader(job, resolver)
        rows: list[Row] = []
        problems: list[RowProblem] = []
        failed_lines: set[int] = set()
        already_written = _line_set(job.written_lines)
        for line, cells in read_table(bytes(job.content)).rows:
            row, row_problems = reader.read(line, cells)
            if row is None:
                problems.extend(row_problems)
                failed_lines.add(line)
            elif line not in already_written:
                rows.append(row)
        if failed_lines and not job.valid_only:
            job.errors = [problem.as_dict() for problem in problems[:REPORT_MAX_ERRORS]]
            job.failed_count = len(failed_lines)
            job.status = ImportStatus.FAILED
            job.message = str(InvalidRowsPresent.default_message)
            job.finished_at = timezone.now()
            job.save()
            return job
        job.row_count = len(rows) + len(failed_lines) + len(already_written)
        job.processed = len(failed_lines) + len(already_written)
        with transaction.atomic():
            resolver.create_new_values()
            resolver.products.create_missing(rows)
            _remember_created(job, resolver)
        _fill_created_ids(rows, resolver)
        writer = RowWriter(job, resolver)
        counts = Counter(
            created=job.created_count, updated=job.updated_count, skipped=job.skipped_count
        )
        for batch in _batches(rows, BATCH_SIZE):
            if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                job.status = ImportStatus.CANCELLED
                job.message = running_written_message(job.written_lines)
                break
            outcomes, batch_problems = writer.write_batch(batch)
            counts.update(outcomes)
            problems.extend(batch_problems)
            failed_lines.update(problem.line for problem in batch_problems)
            job.processed += len(batch)
            job.written_lines = _add_range(job.written_lines, batch[0].line, batch[-1].line)
            ImportJob.objects.filter(pk=job.pk).update(
                processed=job.processed,
                created_count=counts["created"],
                updated_count=counts["updated"],
                skipped_count=counts["skipped"],
                failed_count=len(failed_lines),
                written_lines=job.written_lines,
                heartbeat_at=timezone.now(),
            )
            if progress:
                progress(job.processed, job.row_count)
        refresh_returning_customers(writer.touched_companies)
        planner_statistics_refresh(rows_written=counts["created"] + counts["updated"])
        problems.sort(key=lambda problem: problem.line)
        job.errors = [problem.as_dict() for problem in problems[:REPORT_MAX_ERRORS]]
        job.created_count = counts["created"]
        job.updated_count = counts["updated"]
        job.skipped_count = counts["skipped"]
        job.failed_count = len(failed_lines)
        if job.status != ImportStatus.CANCELLED:
            job.processed = job.row_count
            job.status = ImportStatus.DONE
    except DomainError as error:
        job.status = ImportStatus.FAILED
        job.message = str(error.message)
    job.finished_at = timezone.now()
    job.cancel_requested = False
    job.save()
    return job


def _remember_created(job: ImportJob, resolver: Resolver) -> None:
    """Record the reference records made for this job (rolling it back removes them), in the
    transaction that made them; and map new owners' names to the users just made, so a resumed
    job finds them instead of making them twice."""
    made = {key: list(pks) for key, pks in resolver.created_records.items()}
    made["product"] = list(resolver.products.created.values())
    if resolver.products.created_direction is not None:
        made["direction"] = [resolver.products.created_direction]
    records = dict(job.created_records or {})
    for key, pks in made.items():
        if pks:
            records[key] = sorted({*records.get(key, []), *pks})
    for raw, owner in resolver.new_owners.items():
        job.value_map.setdefault("owner", {})[raw] = str(owner.pk)
    job.created_records = records
    ImportJob.objects.filter(pk=job.pk).update(created_records=records, value_map=job.value_map)


def _batches(rows: list[Row], size: int):
    """Batches of about `size` rows that never split the rows of one deal (same external id:
    one row per product line), so its line items are written together."""
    start = 0
    while start < len(rows):
        end = min(start + size, len(rows))
        while end < len(rows) and _same_record(rows[end - 1], rows[end]):
            end += 1
        yield rows[start:end]
        start = end


def _same_record(first: Row, second: Row) -> bool:
    external_id = first.values.get("external_id")
    return bool(external_id) and external_id == second.values.get("external_id")


def _fill_created_ids(rows: list[Row], resolver: Resolver) -> None:
    """Replace the placeholders of records made just before writing (new sources and lost
    reasons the user chose to create, the built-in «Reason not given»)."""
    not_given = None
    for row in rows:
        for key in ("lead_source", "lost_reason"):
            if row.values.get(f"{key}_id") == -1:
                row.values[f"{key}_id"] = resolver.created_new[(key, row.values[f"_raw_{key}"])]
        if row.values.get("lost_reason_id") == NOT_GIVEN:
            not_given = not_given or lost_reason_not_given()
            row.values["lost_reason_id"] = not_given.pk


def _line_set(ranges: list[list[int]]) -> set[int]:
    return {line for first, last in ranges for line in range(first, last + 1)}


def _add_range(ranges: list[list[int]], first: int, last: int) -> list[list[int]]:
    """Merge [first, last] into sorted ranges of written lines (adjacent batches join)."""
    merged: list[list[int]] = []
    for start, end in sorted([*ranges, [first, last]]):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def running_written_message(ranges: list[list[int]]) -> str:
    if not ranges:
        return str(_("Cancelled before any row was written."))
    lines = ", ".join(f"{first}–{last}" if first != last else str(first) for first, last in ranges)
    return str(_("Cancelled. Lines written before the stop: %(lines)s.") % {"lines": lines})
