"""Pre-aggregated stage history for velocity, transitions and managers (a cache of raw rows).

See `voronka.analytics.summary` for what each measure counts and how the rows stay exact.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SummaryMeasure(models.TextChoices):
    STAY = "stay", _("closed stays by whole days")
    ENTERED = "entered", _("deals that entered the stage")
    LOST = "lost", _("deals lost in the stage")
    EXIT = "exit", _("closed stays by where they went")
    TRIAL = "trial", _("closed stays by the seller who held them")


class StageDaySummary(models.Model):
    """Counts for one (pipeline, cohort day, deal owner, stage, measure, key) cell.

    The cohort day is the day of the deal's first contact in the site's time zone, the owner is
    the deal's current owner: the two dimensions every analytics filter and visibility rule
    uses. ``key`` depends on the measure: whole days (stay), target stage id or -1 won / -2 lost
    (exit), the seller holding the stay (trial), 0 otherwise.
    """

    # Derived rows, about eight per imported deal: no foreign-key constraint in the database,
    # whose checks (three per row, at commit on PostgreSQL) cost more than writing the rows
    # (3.6 s per 250k rows, measured). Deleting a pipeline, stage or user still removes its
    # rows (Django's cascade), and a rebuild recomputes the table from the deals.
    pipeline = models.ForeignKey(
        "pipeline.Pipeline",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    cohort_day = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    stage = models.ForeignKey(
        "pipeline.Stage", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    measure = models.CharField(max_length=8, choices=SummaryMeasure.choices)
    key = models.IntegerField(default=0)
    count = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)  # trial: advanced or won
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)  # lost: Σ amount

    class Meta:
        verbose_name = _("stage summary row")
        verbose_name_plural = _("stage summary rows")
        indexes = [
            models.Index(
                fields=["pipeline", "measure", "cohort_day"], name="analytics_summary_read"
            ),
            models.Index(fields=["pipeline", "owner", "cohort_day"], name="analytics_summary_cell"),
        ]

    def __str__(self):
        return f"{self.measure} {self.cohort_day} stage {self.stage_id} key {self.key}"


class SummaryState(models.Model):
    """One row once the summary has been built over all history; pages read it only then."""

    built_at = models.DateTimeField()

    class Meta:
        verbose_name = _("summary state")

    def __str__(self):
        return f"built {self.built_at:%Y-%m-%d %H:%M}"


class ChannelDaySummary(models.Model):
    """Deals of one (pipeline, cohort day, deal owner, lead source, customer type, maturity)
    cell, by status: the channels page sums these instead of joining every deal of the period
    to its company. ``customer_type`` is the deal's company's ("" without a company),
    ``is_returning`` the deal's returning-customer flag; revenue is the sum of won amounts.
    Kept exactly like `StageDaySummary` (see `voronka.analytics.summary`).
    """

    # Derived rows, like the stage summary's: no foreign-key constraints in the database.
    pipeline = models.ForeignKey(
        "pipeline.Pipeline",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    cohort_day = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    lead_source = models.ForeignKey(
        "crm.LeadSource",
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    customer_type = models.CharField(max_length=20, blank=True)
    is_returning = models.BooleanField()
    deals = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("channel summary row")
        verbose_name_plural = _("channel summary rows")
        indexes = [
            # Read: a period of one pipeline; refresh: a region of (pipeline, owner, days).
            models.Index(fields=["pipeline", "cohort_day"], name="analytics_channel_read"),
            models.Index(fields=["pipeline", "owner", "cohort_day"], name="analytics_channel_cell"),
        ]

    def __str__(self):
        return f"{self.cohort_day} source {self.lead_source_id} {self.customer_type}"
