import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from voronka.demo.generator import DemoConfig, generate_demo_data
from voronka.demo.vocabulary import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Fill an empty database with a deterministic, realistic demo data set."

    def add_arguments(self, parser):
        parser.add_argument(
            "--deals", type=int, default=5000, help="How many deals (default 5000)."
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            default=None,
            help="Last day of the two simulated years, YYYY-MM-DD (default today).",
        )
        parser.add_argument(
            "--no-activities",
            action="store_true",
            help="Skip the activity timeline (faster for benchmarks).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already has deals.",
        )

    def handle(self, *args, **options):
        from voronka.pipeline.models import Deal

        if options["deals"] < 1:
            raise CommandError("--deals must be at least 1.")
        if Deal.objects.exists():
            if options["if_empty"]:
                self.stdout.write("Demo data already loaded; nothing to do.")
                return
            raise CommandError("The database already has deals; demo data goes into an empty one.")
        config = DemoConfig(
            deals=options["deals"],
            seed=options["seed"],
            end=options["end"],
            activities=not options["no_activities"],
        )
        started = time.perf_counter()
        summary = generate_demo_data(config, progress=self._progress)
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{name}: {count}" for name, count in summary.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data generated in {elapsed:.1f} s ({counts})."))
        self._refresh_planner_statistics()
        self._recompute_win_probabilities()
        self.stdout.write(
            f"Demo users (password «{DEMO_PASSWORD}»): head.msk, head.spb, head.reg (heads), "
            "ivanov, petrova, … (managers), analyst (viewer)."
        )

    def _progress(self, text: str) -> None:
        self.stdout.write(text, ending="")
        self.stdout.flush()

    def _refresh_planner_statistics(self) -> None:
        """A bulk load leaves PostgreSQL without statistics until autovacuum gets to it, and the
        planner then picks nested loops for the analytics queries (5.5 s instead of 0.9 s);
        SQLite never gathers them by itself (sqlite_stat1 stays empty). On PostgreSQL VACUUM
        also marks the freshly written pages all-visible, as autovacuum would on a live
        database: until then no index-only scan is possible (a head's visible companies read
        every deal instead of the (owner, company) index)."""
        from django.db import connection

        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")
        self.stdout.write(f"Planner statistics gathered in {time.perf_counter() - started:.1f} s.")

    def _recompute_win_probabilities(self) -> None:
        """Fill the cached win probability when the analytics app provides the estimator."""
        try:
            from voronka.analytics.win_probability import recompute_win_probabilities
        except ImportError:
            return
        started = time.perf_counter()
        recompute_win_probabilities()
        self.stdout.write(f"Win probabilities computed in {time.perf_counter() - started:.1f} s.")
