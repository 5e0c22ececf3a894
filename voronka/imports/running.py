"""Job control while an import runs: read the rows, write them batch by batch, record progress."""

import bisect
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.core.errors import DomainError
from voronka.core.planner_statistics import planner_statistics_refresh
from voronka.pipeline.bulk import refresh_returning_customers

from .checking import REPORT_MAX_ERRORS, import_state
from .errors import InvalidRowsPresent
from .models import ImportJob, ImportStatus
from .parsing import read_table
from .products import product_key
from .reading import Row, RowProblem, RowReader
from .resolving import NOT_GIVEN, Resolver
from .rollback import remember_created
from .writing import RowWriter

# Rows written per transaction. Larger batches cost fewer commits (on SQLite each commit
# writes the touched index pages to the WAL again: 1,000-row batches spent a third of the
# import there; 100k deals took 45.1 s in batches of 5,000, 43.4 s in batches of 10,000);
# progress, cancelling and resuming still go batch by batch (about every 5 s).
BATCH_SIZE = 10_000


@dataclass
class _Reading:
    """What reading the file learns besides the rows, which are never kept."""

    valid: int = 0
    failed: int = 0
    problems: list[RowProblem] = field(default_factory=list)  # the first REPORT_MAX_ERRORS
    # Invalid lines not yet counted as processed: batching reads a row ahead of the batch.
    pending_failures: list[int] = field(default_factory=list)

    def failure(self, line: int, problems: list[RowProblem]) -> None:
        self.failed += 1
        self.problems.extend(problems[: REPORT_MAX_ERRORS - len(self.problems)])
        self.pending_failures.append(line)

    def failures_up_to(self, line: int) -> int:
        """How many pending invalid lines come before `line`; they are counted from now on."""
        counted = [failed for failed in self.pending_failures if failed <= line]
        self.pending_failures = self.pending_failures[len(counted) :]
        return len(counted)


def import_run(*, job: ImportJob, progress: Callable[[int, int], None] | None = None) -> ImportJob:
    """Write the file's valid rows, batch by batch (see `services`). Never raises for a bad row.

    The rows are read from the stored file as they are written, so memory does not grow with
    its length. A job that must not import a file with invalid rows (not `valid_only`) reads
    the file once more first, and fails before writing anything if a row is invalid, unless
    nothing the check depended on changed since it found every row valid (`import_state`).
    Each batch commits with the job's progress, the lines it wrote and the products it
    created, in one transaction, so a resumed job never writes a line twice. Before each batch
    the worker makes sure the job is still its own: a job cancelled, rolled back or resumed by
    another worker (this one was thought dead) is left as it is. Lines an earlier run wrote
    are skipped.
    """
    token = uuid.uuid4().hex
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now(), worker_token=token
    )
    job.status = ImportStatus.RUNNING
    job.worker_token = token
    try:
        resolver = Resolver(job)
        reader = RowReader(job, resolver)
        already_written = _LineRanges(job.written_lines)
        if not job.valid_only and not _check_still_holds(job):
            survey = _survey(job, reader, already_written)
            if survey.failed:
                job.errors = [problem.as_dict() for problem in survey.problems]
                job.failed_count = survey.failed
                job.status = ImportStatus.FAILED
                job.message = str(InvalidRowsPresent.default_message)
                return _finish(job)
            job.row_count = survey.valid + already_written.count
        job.processed = already_written.count
        with transaction.atomic():
            resolver.create_new_values()
            _remember_created(job, resolver)
        writer = RowWriter(job, resolver)
        counts = Counter(
            created=job.created_count, updated=job.updated_count, skipped=job.skipped_count
        )
        batch_problems: list[RowProblem] = []
        reading = _Reading()
        failed_writing = 0
        rows = _rows_to_write(job, reader, resolver, already_written, reading)
        for batch in _batches(rows, BATCH_SIZE):
            with transaction.atomic():
                _commit_without_waiting_for_the_disk()
                state = _locked_state(job)
                if state is None:  # no longer this worker's job: leave it as it is
                    return job
                if state:
                    job.status = ImportStatus.CANCELLED
                    job.message = running_written_message(job.written_lines)
                    break
                if _create_products(batch, resolver):
                    _remember_created(job, resolver)
                outcomes, problems = writer.write_batch(batch)
                counts.update(outcomes)
                batch_problems.extend(problems[: REPORT_MAX_ERRORS - len(batch_problems)])
                failed_writing += len({problem.line for problem in problems})
                job.processed += len(batch) + reading.failures_up_to(batch[-1].line)
                job.written_lines = _add_range(job.written_lines, batch[0].line, batch[-1].line)
                ImportJob.objects.filter(pk=job.pk).update(
                    processed=job.processed,
                    created_count=counts["created"],
                    updated_count=counts["updated"],
                    skipped_count=counts["skipped"],
                    failed_count=reading.failed + failed_writing,
                    written_lines=job.written_lines,
                    heartbeat_at=timezone.now(),
                )
            if progress:
                progress(job.processed, job.row_count)
        refresh_returning_customers(writer.touched_companies)
        planner_statistics_refresh(rows_written=counts["created"] + counts["updated"])
        problems = sorted([*reading.problems, *batch_problems], key=lambda problem: problem.line)
        job.errors = [problem.as_dict() for problem in problems[:REPORT_MAX_ERRORS]]
        job.created_count = counts["created"]
        job.updated_count = counts["updated"]
        job.skipped_count = counts["skipped"]
        job.failed_count = reading.failed + failed_writing
        if job.status != ImportStatus.CANCELLED:
            job.row_count = job.processed = already_written.count + reading.valid + reading.failed
            job.status = ImportStatus.DONE
    except DomainError as error:
        job.status = ImportStatus.FAILED
        job.message = str(error.message)
    return _finish(job)


def _commit_without_waiting_for_the_disk() -> None:
    """On PostgreSQL, let this batch's commit return before its log reaches the disk.

    A crash can then lose the last moments of committed batches, but never half of one: the
    job's progress commits with its rows, so a resumed job writes exactly what was lost.
    (A 100k-deal import took 52.9 s waiting, 49.3 s without.)
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO off")


def _check_still_holds(job: ImportJob) -> bool:
    """Whether the check found every row valid and nothing it read has changed since."""
    report = job.report or {}
    return report.get("invalid") == 0 and report.get("state") == import_state(job)


def _survey(job: ImportJob, reader: RowReader, already_written: "_LineRanges") -> _Reading:
    """Read and check every row not yet written, keeping none."""
    survey = _Reading()
    for _row in _valid_rows(job, reader, already_written, survey):
        pass
    return survey


def _rows_to_write(job, reader, resolver, already_written, reading: _Reading):
    """The valid rows not yet written, with the ids of what was made for them."""
    for row in _valid_rows(job, reader, already_written, reading):
        _fill_created_ids(row, resolver)
        yield row


def _valid_rows(job, reader, already_written, reading: _Reading):
    """The valid rows of the file not yet written, read one by one; the others are counted
    in `reading`."""
    for line, cells in read_table(bytes(job.content)).rows:
        if line in already_written:
            continue
        row, problems = reader.read(line, cells)
        if row is None:
            reading.failure(line, problems)
        else:
            reading.valid += 1
            yield row


def _create_products(batch: list[Row], resolver: Resolver) -> bool:
    """Create the products the batch names that the catalogue lacks (in the batch's
    transaction); returns whether any was made."""
    wanted = {}
    for row in batch:
        item = row.values.get("line_item")
        if item is not None and item.product_id is None:
            wanted.setdefault(product_key(item.name), item)
    made_before = len(resolver.products.created)
    resolver.products.create_missing(wanted)
    for row in batch:
        item = row.values.get("line_item")
        if item is not None and item.product_id is None:
            item.product_id = resolver.products.by_key[product_key(item.name)]
    return len(resolver.products.created) > made_before


def _locked_state(job: ImportJob) -> bool | None:
    """Lock the job's row for the batch; None when it is no longer this worker's running job,
    else whether someone asked to cancel it."""
    return (
        ImportJob.objects.select_for_update()
        .filter(pk=job.pk, status=ImportStatus.RUNNING, worker_token=job.worker_token)
        .values_list("cancel_requested", flat=True)
        .first()
    )


def _finish(job: ImportJob) -> ImportJob:
    """Save the outcome, unless the job stopped being this worker's meanwhile (rolled back,
    cancelled as stalled, or resumed by another worker): then the job is left as it is."""
    job.finished_at = timezone.now()
    job.cancel_requested = False
    with transaction.atomic():
        if _locked_state(job) is None:
            job.refresh_from_db()
            return job
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
    remember_created(job, made)
    # A new mapping, not the resolver's: this run goes on resolving them as new owners.
    owners = {**job.value_map.get("owner", {})}
    owners.update((raw, str(owner.pk)) for raw, owner in resolver.new_owners.items())
    job.value_map = {**job.value_map, "owner": owners}
    ImportJob.objects.filter(pk=job.pk).update(value_map=job.value_map)


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """Batches of about `size` rows that never split the rows of one deal (same external id:
    one row per product line), so its line items are written together."""
    batch: list[Row] = []
    for row in rows:
        if len(batch) >= size and not _same_record(batch[-1], row):
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch


def _same_record(first: Row, second: Row) -> bool:
    external_id = first.values.get("external_id")
    return bool(external_id) and external_id == second.values.get("external_id")


def _fill_created_ids(row: Row, resolver: Resolver) -> None:
    """Replace the placeholders of records made just before writing (new sources and lost
    reasons the user chose to create, the built-in «Reason not given»)."""
    for key in ("lead_source", "lost_reason"):
        if row.values.get(f"{key}_id") == -1:
            row.values[f"{key}_id"] = resolver.created_new[(key, row.values[f"_raw_{key}"])]
    if row.values.get("lost_reason_id") == NOT_GIVEN:
        row.values["lost_reason_id"] = resolver.reason_not_given()


class _LineRanges:
    """The lines an earlier run wrote, as the job keeps them: sorted [first, last] ranges."""

    def __init__(self, ranges: list[list[int]]):
        self.starts = [first for first, _last in ranges]
        self.ends = [last for _first, last in ranges]
        self.count = sum(last - first + 1 for first, last in ranges)

    def __contains__(self, line: int) -> bool:
        index = bisect.bisect_right(self.starts, line) - 1
        return index >= 0 and line <= self.ends[index]


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
