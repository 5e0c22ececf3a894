"""Job control while an import runs: read the rows, write them batch by batch, record progress."""

from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from voronka.core.errors import DomainError

from .checking import REPORT_MAX_ERRORS
from .errors import InvalidRowsPresent
from .models import ImportJob, ImportStatus
from .parsing import read_table
from .reading import Row, RowProblem, RowReader
from .resolving import Resolver
from .writing import BATCH_SIZE, RowWriter


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
