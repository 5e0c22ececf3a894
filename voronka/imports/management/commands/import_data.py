"""`manage.py import_data deals.csv --kind deals --user admin`: the import wizard in a terminal.

The command guesses (or recalls) the column mapping, accepts overrides (`--map field=Column`)
and value mappings (`--value stage:Old name=New name`), prints the dry run's report and, unless
`--dry-run`, imports with a progress bar. It runs the import itself, so no task worker is needed.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from voronka.accounts.models import User
from voronka.core.errors import DomainError
from voronka.imports import services
from voronka.imports.fields import VALUE_FIELDS, fields_for
from voronka.imports.models import ImportKind, ImportStatus, OnMatch


class Command(BaseCommand):
    help = "Import companies, contacts or deals from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--kind", choices=ImportKind.values, default=ImportKind.DEALS)
        parser.add_argument("--user", required=True, help="username of the admin or head importing")
        parser.add_argument(
            "--map", action="append", default=[], metavar="FIELD=COLUMN",
            help="use this column (header text or 1-based number) for the field",
        )  # fmt: skip
        parser.add_argument(
            "--value", action="append", default=[], metavar="FIELD:VALUE=TARGET",
            help="map a value of the file (stage, owner, pipeline, lead_source, lost_reason) to "
            "an existing one by name or id, or to 'new' (lead sources, lost reasons)",
        )  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--valid-only", action="store_true", help="import the valid rows, skip the bad ones"
        )
        parser.add_argument("--on-match", choices=OnMatch.values, default=OnMatch.UPDATE)

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["user"])
        except User.DoesNotExist as error:
            raise CommandError(f"No user {options['user']!r}.") from error
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            self._run(user, path, options)
        except DomainError as error:
            raise CommandError(str(error.message)) from error

    def _run(self, user: User, path: Path, options: dict) -> None:
        job = services.import_job_create(
            user=user, kind=options["kind"], file_name=path.name, data=path.read_bytes()
        )
        self.stdout.write(
            f"{job.row_count} rows, encoding {job.encoding}"
            + (f", delimiter {job.delimiter!r}" if job.delimiter else "")
        )
        mapping = dict(job.mapping)
        for item in options["map"]:
            key, _sep, column = item.partition("=")
            mapping[key.strip()] = self._column(job.headers, column.strip(), key)
        services.import_job_set_mapping(job=job, mapping=mapping)
        labels = {item.key: str(item.label) for item in fields_for(job.kind)}
        for key, index in job.mapping.items():
            self.stdout.write(f"  {labels.get(key, key)} ← {job.headers[index]}")
        if options["value"]:
            services.import_job_set_values(job=job, value_map=self._values(job, options["value"]))
        report = services.import_check(job=job)
        self.stdout.write(f"Check: {report['valid']} valid rows, {report['invalid']} with errors.")
        for error in report["errors"][:50]:
            self.stdout.write(f"  line {error['line']}, {error['column']}: {error['message']}")
        if len(report["errors"]) > 50:
            self.stdout.write(f"  … and {len(report['errors']) - 50} more")
        if options["dry_run"]:
            return
        if report["invalid"] and not options["valid_only"]:
            raise CommandError(str(services.InvalidRowsPresent.default_message))
        # The command is the background worker: run here with a progress bar.
        job.valid_only, job.on_match = options["valid_only"], options["on_match"]
        job.status = ImportStatus.QUEUED
        job.save(update_fields=["valid_only", "on_match", "status"])
        job = services.import_run(job=job, progress=self._progress)
        self.stdout.write("")
        if job.status != ImportStatus.DONE:
            raise CommandError(job.message or job.get_status_display())
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {job.created_count}, updated {job.updated_count}, "
                f"skipped {job.skipped_count}, failed {job.failed_count}."
            )
        )
        for error in job.errors[:50]:
            self.stdout.write(f"  line {error['line']}, {error['column']}: {error['message']}")

    def _progress(self, done: int, total: int) -> None:
        width = 40
        filled = round(width * done / total) if total else width
        percent = round(100 * done / total) if total else 100
        bar = "#" * filled + "-" * (width - filled)
        self.stdout.write(f"\r[{bar}] {percent:3d}% {done}/{total}", ending="")
        if hasattr(self.stdout, "flush"):
            self.stdout.flush()
        elif sys.stdout.isatty():
            sys.stdout.flush()

    @staticmethod
    def _column(headers: list[str], column: str, key: str) -> int:
        if column.isdigit() and 1 <= int(column) <= len(headers):
            return int(column) - 1
        lowered = [header.strip().lower() for header in headers]
        if column.lower() in lowered:
            return lowered.index(column.lower())
        raise CommandError(f"--map {key}: the file has no column {column!r}.")

    @staticmethod
    def _values(job, items: list[str]) -> dict[str, dict[str, str]]:
        options = services.value_options(job)
        result: dict[str, dict[str, str]] = {}
        for item in items:
            left, _sep, target = item.partition("=")
            key, _sep, raw = left.partition(":")
            key, raw, target = key.strip(), raw.strip(), target.strip()
            if key not in VALUE_FIELDS:
                raise CommandError(f"--value: {key!r} is not one of {', '.join(VALUE_FIELDS)}.")
            if target.lower() == services.NEW:
                choice = services.NEW
            else:
                choice = next(
                    (
                        pk
                        for pk, label in options[key]
                        if target in (pk, label) or label.endswith(f" · {target}")
                    ),
                    None,
                )
                if choice is None:
                    raise CommandError(f"--value {key}: nothing named {target!r}.")
            result.setdefault(key, {})[raw] = choice
        return result
