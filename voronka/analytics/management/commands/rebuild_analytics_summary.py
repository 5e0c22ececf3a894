import time

from django.core.management.base import BaseCommand

from voronka.analytics.summary import summary_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the analytics stage summary from the raw stage history (after a bulk load, "
        "a restore or a manual change in the database)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = summary_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Analytics summary rebuilt: {rows} rows in {time.perf_counter() - started:.1f} s."
            )
        )
