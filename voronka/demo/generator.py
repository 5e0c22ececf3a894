"""A deterministic, realistic demo data set: two years of a B2B sales team's work.

Analytics are judged on this data, so it has structure rather than uniform noise:
- inbound volume varies by week (seasonality, campaign spikes) and conversion falls when the
  week's volume rises (the seeds' law: ВСЕГДА);
- managers differ in skill per stage (an "opener", a "closer", a weak newcomer…);
- lead sources and customer types differ in quality, deal size and cycle length;
- returning customers convert better; budget cuts and long stalls lower the chance to win;
- deals skip stages, go back a stage, are lost with stage-typical reasons, or stay open
  (censored) when the simulated clock passes the end date.
The same seed and end date always give the same data.

The run (this module) holds the state and writes in bulk, per engine; its steps live beside
it: the reference data, plans and feedback in `reference.py`, the deals and their history in
`simulation.py` (rows in `rows.py`), the fixed names and numbers in `vocabulary.py`.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from voronka.accounts.models import User
from voronka.activities.models import Activity
from voronka.analytics.summary import summary_rebuild
from voronka.core.row_copy import (
    RowWriter,
    secondary_indexes_rebuilt,
    table_next_id,
    table_sync_id_sequence,
)
from voronka.crm.models import Company, Contact
from voronka.pipeline.models import Deal, PlaybookStepCompletion, Stage

from .reference import ReferenceData
from .rows import HISTORY_TABLES, SimulatedDeal, history_rows
from .simulation import DealSimulation
from .vocabulary import WEEKS

CHUNK = 5000


@dataclass(frozen=True)
class DemoConfig:
    deals: int = 5000
    seed: int = 42
    end: date | None = None  # the last day of the simulation (default: today)
    activities: bool = True


ACTIVITY_COLUMNS = (
    "kind",
    "subject",
    "deal_id",
    "company_id",
    "stage_id",
    "owner_id",
    "created_at",
    "done_at",
    "due_at",
)
PLAYBOOK_COLUMNS = ("deal_id", "step_id", "done_by_id", "done_at")


@dataclass
class DemoSummary:
    counts: dict[str, int] = field(default_factory=dict)


class _Progress:
    """A text progress bar for the terminal; silent when no writer is given."""

    def __init__(self, total: int, write: Callable[[str], None] | None):
        self.total, self.write, self.started = total, write, timezone.now()

    def update(self, done: int) -> None:
        if not self.write:
            return
        width = 30
        filled = int(width * done / max(self.total, 1))
        seconds = (timezone.now() - self.started).total_seconds()
        self.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * done / max(self.total, 1):5.1f}% "
            f"{done}/{self.total} deals, {seconds:.0f} s"
        )


class DemoGenerator(ReferenceData, DealSimulation):
    """One run: reference data, then the deals week by week in batches, then the summary,
    plans and feedback. The steps live in reference.py and simulation.py."""

    def __init__(self, config: DemoConfig, progress: Callable[[str], None] | None = None):
        self.config = config
        self.random = random.Random(config.seed)
        self.end_date = config.end or timezone.localdate()
        tz = timezone.get_current_timezone()
        self.now = timezone.now()
        # Never the future: on today's date the simulated evening has not come yet.
        self.end = min(datetime.combine(self.end_date, time(19, 0), tzinfo=tz), self.now)
        self.start = self.end - timedelta(weeks=WEEKS)
        self.tz = tz
        self.progress = _Progress(config.deals, progress)
        self.summary = DemoSummary()

    # ------------------------------------------------------------ run
    def run(self) -> DemoSummary:
        if Deal.objects.exists():
            raise ValueError("The database already has deals; demo data goes into an empty one.")
        if connection.vendor == "postgresql":
            # Waiting for each commit's WAL flush doubled the run time; a crash mid-run leaves a
            # partial demo set either way (rerun into an empty database).
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
            self._skip_foreign_key_checks()
        with transaction.atomic():
            self._reference_data()
            with secondary_indexes_rebuilt([Company, Contact]):
                self._companies()
        self.companies_by_pk = {company.pk: company for company in self.companies}
        self.won_company_ids: list[int] = []
        self.steps_by_stage: dict[int, list[int]] = {}
        for stage_id, step_id in Stage.objects.filter(pipeline__in=self.pipelines).values_list(
            "pk", "playbook_steps"
        ):
            if step_id:
                self.steps_by_stage.setdefault(stage_id, []).append(step_id)
        for steps in self.steps_by_stage.values():
            steps.sort()
        self.next_deal_id = table_next_id(Deal)
        self.writers = {
            model: RowWriter(model, columns, now=self.now) for model, columns in HISTORY_TABLES
        }
        self.writers[Activity] = RowWriter(Activity, ACTIVITY_COLUMNS, now=self.now)
        self.writers[PlaybookStepCompletion] = RowWriter(
            PlaybookStepCompletion, PLAYBOOK_COLUMNS, now=self.now
        )
        volumes = self._weekly_volumes()
        # One transaction: a failed run leaves nothing behind (and the indexes in place).
        with transaction.atomic(), secondary_indexes_rebuilt(list(self.writers)):
            self._deals(volumes)
        for model in (Company, Contact, Deal):
            table_sync_id_sequence(model)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
                if self.skipped_foreign_key_checks:
                    cursor.execute("RESET session_replication_role")
        summary_rebuild()
        self._plans()
        self._feedback()
        if self.progress.write:
            self.progress.write("\n")
        self.summary.counts = {
            "deals": Deal.objects.count(),
            "companies": Company.objects.count(),
            "contacts": Contact.objects.count(),
            "activities": Activity.objects.count(),
            "users": User.objects.count(),
        }
        return self.summary

    def _deals(self, volumes: list[int]) -> None:
        mean_volume = sum(volumes) / len(volumes)
        done = 0
        batch: list[SimulatedDeal] = []
        for week, volume in enumerate(volumes):
            # Conversion falls when inflow rises: the team's attention per lead is finite.
            load_factor = (mean_volume / max(volume, 1)) ** 0.35
            week_start = self.start + timedelta(weeks=week)
            moments = sorted(
                week_start
                + timedelta(
                    days=self.random.choice((0, 0, 1, 1, 2, 2, 3, 3, 4, 5)),
                    hours=self.random.uniform(1, 10),
                )
                for _ in range(volume)
            )
            for created_at in moments:
                batch.append(self._simulate(min(created_at, self.end), load_factor))
            if len(batch) >= CHUNK or week == len(volumes) - 1:
                self._write(batch)
                done += len(batch)
                batch = []
                self.progress.update(done)

    def _skip_foreign_key_checks(self) -> None:
        """Every generated reference points at a row written just before, and checking them
        one by one at each commit took most of the run on PostgreSQL. Skipping the checks needs
        a superuser; without one they simply run."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            self.skipped_foreign_key_checks = True
        except DatabaseError:
            self.skipped_foreign_key_checks = False

    def _write(self, batch: list[SimulatedDeal]) -> None:
        rows: dict[type, list[tuple]] = {model: [] for model, _columns in HISTORY_TABLES}
        for deal in batch:
            history_rows(deal, rows)
        for model, model_rows in rows.items():
            self.writers[model].write(model_rows)
        if self.config.activities:
            self.writers[Activity].write(self._activities(batch))
        self.writers[PlaybookStepCompletion].write(self._playbook_progress(batch))


def generate_demo_data(config: DemoConfig, progress: Callable[[str], None] | None = None):
    return DemoGenerator(config, progress).run()
