"""`manage.py import_data deals.csv --kind deals --user admin`: the import wizard in a terminal.

The command guesses (or recalls) the column mapping, accepts overrides (`--map Column=field`,
`--skip Column`) and value mappings (`--value stage:Old name=New name`), prints the dry run's
report in the chosen language (`--language`) and, unless `--dry-run`, imports with a progress
bar through the same services as the wizard, with the same permission checks. It runs the
import itself, so no task worker is needed.
"""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core.errors import DomainError
from voronka.imports import services
from voronka.imports.checking import assumption_counts
from voronka.imports.fields import VALUE_FIELDS, fields_for
from voronka.imports.models import ImportKind, ImportStatus, OnMatch


class Command(BaseCommand):
    help = "Import companies, contacts or deals from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--kind", choices=ImportKind.values, default=ImportKind.DEALS)
        parser.add_argument("--user", required=True, help="username of the admin or head importing")
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD",
            help="read the field from this column (header text or 1-based number); "
            "FIELD=COLUMN is understood too",
        )  # fmt: skip
        parser.add_argument(
            "--skip", action="append", default=[], metavar="COLUMN",
            help="do not import this column, even when its header was recognised",
        )  # fmt: skip
        parser.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE.split("-")[0],
            help="language of the report and messages (default: the site's language)",
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
        with translation.override(options["language"]):
            try:
                self._run(user, path, options)
            except DomainError as error:
                raise CommandError(str(error.message)) from error

    def _run(self, user: User, path: Path, options: dict) -> None:
        job = services.import_job_create(
            user=user, kind=options["kind"], file_name=path.name, data=path.read_bytes()
        )
        self.stdout.write(
            f"Encoding {job.encoding}" + (f", delimiter {job.delimiter!r}" if job.delimiter else "")
        )
        mapping = dict(job.mapping)
        fields = {item.key for item in fields_for(job.kind)}
        for item in options["map"]:
            column, _sep, key = item.rpartition("=")
            column, key = column.strip(), key.strip()
            if key not in fields and column in fields:  # the FIELD=COLUMN form
                key, _sep, column = item.partition("=")
                key, column = key.strip(), column.strip()
            if key not in fields:
                raise CommandError(
                    f"--map {item}: {key!r} is not one of {', '.join(sorted(fields))}."
                )
            index = self._column(job.headers, column, key)
            mapping = {field: at for field, at in mapping.items() if at != index}
            mapping[key] = index
        for column in options["skip"]:
            index = self._column(job.headers, column.strip(), "--skip")
            mapping = {field: at for field, at in mapping.items() if at != index}
        services.import_job_set_mapping(job=job, mapping=mapping)
        labels = {item.key: str(item.label) for item in fields_for(job.kind)}
        for key, index in job.mapping.items():
            self.stdout.write(f"  {labels.get(key, key)} ← {job.headers[index]}")
        if options["value"]:
            services.import_job_set_values(job=job, value_map=self._values(job, options["value"]))
        report = services.import_check(job=job)
        self.stdout.write(
            _("%(rows)s rows. Check: %(valid)s valid rows, %(invalid)s with errors.")
            % {"rows": job.row_count, "valid": report["valid"], "invalid": report["invalid"]}
        )
        for label, rows in assumption_counts(report):
            self.stdout.write(f"  {label}: {rows}")
        for item in [*report["errors"][:50], *report.get("warnings", [])[:20]]:
            self.stdout.write(self._problem(item))
        if len(report["errors"]) > 50:
            self.stdout.write(f"  … +{len(report['errors']) - 50}")
        if options["dry_run"]:
            return
        if report["invalid"] and not options["valid_only"]:
            raise CommandError(str(services.InvalidRowsPresent.default_message))
        # The command is the background worker: run here with a progress bar.
        job = services.import_job_start(
            job=job, user=user, valid_only=options["valid_only"], on_match=options["on_match"],
            in_background=False, progress=self._progress,
        )  # fmt: skip
        self.stdout.write("")
        if job.status != ImportStatus.DONE:
            raise CommandError(job.message or job.get_status_display())
        self.stdout.write(
            self.style.SUCCESS(
                _("Created %(created)s, updated %(updated)s, skipped %(skipped)s, failed %(failed)s.")
                % {"created": job.created_count, "updated": job.updated_count,
                   "skipped": job.skipped_count, "failed": job.failed_count}
            )
        )  # fmt: skip
        for error in job.errors[:50]:
            self.stdout.write(self._problem(error))

    @staticmethod
    def _problem(item: dict) -> str:
        return "  " + _("line %(line)s, %(column)s: %(message)s") % item

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
        raise CommandError(f"{key}: the file has no column {column!r}.")

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
