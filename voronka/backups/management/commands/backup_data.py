"""`manage.py backup_data voronka.zip`: the whole database and its files in one archive."""

from django.core.management.base import BaseCommand

from voronka.backups.archive import backup_write


class Command(BaseCommand):
    help = "Write every record and uploaded file to a portable zip archive (see restore_data)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="where to write the .zip archive")

    def handle(self, *args, path, **options):
        def progress(label: str, count: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  {label}: {count}")

        summary = backup_write(path, progress=progress)
        rows = sum(summary.counts.values())
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {rows} rows and {summary.files} files to {path}.")
        )
        for name in summary.missing_files:
            self.stderr.write(self.style.WARNING(f"File missing from storage: {name}"))
