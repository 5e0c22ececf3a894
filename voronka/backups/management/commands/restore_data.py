"""`manage.py restore_data voronka.zip`: load a backup into an empty, migrated instance."""

from django.core.management.base import BaseCommand, CommandError

from voronka.backups.archive import backup_restore
from voronka.core.errors import DomainError


class Command(BaseCommand):
    help = "Restore a backup made by backup_data into an empty database (run migrate first)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .zip archive written by backup_data")

    def handle(self, *args, path, **options):
        def progress(label: str, count: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  {label}: {count}")

        try:
            summary = backup_restore(path, progress=progress)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        except FileNotFoundError as error:
            raise CommandError(f"No such file: {path}") from error
        rows = sum(summary.counts.values())
        self.stdout.write(self.style.SUCCESS(f"Restored {rows} rows and {summary.files} files."))
