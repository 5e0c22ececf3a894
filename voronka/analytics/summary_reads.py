"""Reading the stage and channel summaries (`summary.py` keeps them): which filters they serve
and their rows for a page's period, pipeline and the user's visible owners."""

from __future__ import annotations

from django.db.models import F, QuerySet, Sum, Value

from voronka.accounts.departments import department_scope_ids
from voronka.accounts.visibility import restrict

from .filters import AnalyticsFilter
from .models import ChannelDaySummary, StageDaySummary, SummaryMeasure, SummaryState


def summary_is_built() -> bool:
    return SummaryState.objects.exists()


# --- Reading it ----------------------------------------------------------------------------


def summary_serves(analytics_filter: AnalyticsFilter) -> bool:
    """The summary has the dimensions of this filter (pipeline, period, department, owner)."""
    return (
        analytics_filter.lead_source_id is None
        and analytics_filter.product_id is None
        and not analytics_filter.customer_type
        and summary_is_built()
    )


def _cells_in_scope(model, analytics_filter: AnalyticsFilter, user) -> QuerySet:
    """A summary's rows of the filter's pipeline, period, department and owner that the user
    may see: the cells `AnalyticsFilter.deals` would read (both summaries share them)."""
    rows = restrict(model.objects.all(), user).filter(
        pipeline_id=analytics_filter.pipeline.pk,
        cohort_day__gte=analytics_filter.date_from,
        cohort_day__lte=analytics_filter.date_to,
    )
    if analytics_filter.department_id is not None:
        # As `AnalyticsFilter.deals`: a department includes its sub-departments.
        rows = rows.filter(
            owner__department_id__in=department_scope_ids(analytics_filter.department_id)
        )
    if analytics_filter.owner_id is not None:
        rows = rows.filter(owner_id=analytics_filter.owner_id)
    return rows


def summary_rows(analytics_filter: AnalyticsFilter, user, measure: str) -> QuerySet:
    """The measure's rows of the filter's pipeline, period and the owners the user may see."""
    return _cells_in_scope(StageDaySummary, analytics_filter, user).filter(measure=measure)


def summary_stay_buckets(analytics_filter, user) -> list[dict]:
    """Closed stays as rows of (stage_id, days, censored=0, n), like velocity's raw query."""
    return list(
        summary_rows(analytics_filter, user, SummaryMeasure.STAY)
        .values("stage_id")
        .annotate(days=F("key"), censored=Value(0), n=Sum("count"))
        .values("stage_id", "days", "censored", "n")
        .order_by()
    )


def summary_entered(analytics_filter, user) -> dict[int, int]:
    """Stage id -> deals that had a stay in it."""
    return dict(
        summary_rows(analytics_filter, user, SummaryMeasure.ENTERED)
        .values("stage_id")
        .annotate(n=Sum("count"))
        .values_list("stage_id", "n")
        .order_by()
    )


def summary_lost(analytics_filter, user) -> dict[int, dict]:
    """Stage id -> {"n": deals lost there, "total_amount": their amount}."""
    return {
        row["stage_id"]: {"n": row["n"], "total_amount": row["total_amount"]}
        for row in summary_rows(analytics_filter, user, SummaryMeasure.LOST)
        .values("stage_id")
        .annotate(n=Sum("count"), total_amount=Sum("amount"))
        .order_by()
    }


def summary_exit_rows(analytics_filter, user) -> list[tuple[int, int, int]]:
    """(from stage id, key, closed stays): key is a target stage id, EXIT_WON or EXIT_LOST."""
    return list(
        summary_rows(analytics_filter, user, SummaryMeasure.EXIT)
        .values("stage_id", "key")
        .annotate(n=Sum("count"))
        .values_list("stage_id", "key", "n")
        .order_by()
    )


def summary_trials(analytics_filter, user) -> dict[tuple[int, int], tuple[int, int]]:
    """(seller id, stage id) -> (successes, closed stays)."""
    return {
        (seller, stage_id): (successes, trials)
        for stage_id, seller, trials, successes in summary_rows(
            analytics_filter, user, SummaryMeasure.TRIAL
        )
        .values("stage_id", "key")
        .annotate(trials=Sum("count"), ok=Sum("successes"))
        .values_list("stage_id", "key", "trials", "ok")
        .order_by()
    }


def summary_pipeline_trials(pipeline_id: int) -> dict[tuple[int, int], tuple[int, int]] | None:
    """(seller id, stage id) -> (successes, closed stays) over the pipeline's whole history and
    every deal owner: the sellers' records that reassignment advice compares. None until the
    summary is built."""
    if not summary_is_built():
        return None
    return {
        (seller, stage_id): (successes, trials)
        for stage_id, seller, trials, successes in StageDaySummary.objects.filter(
            pipeline_id=pipeline_id, measure=SummaryMeasure.TRIAL
        )
        .values("stage_id", "key")
        .annotate(trials=Sum("count"), ok=Sum("successes"))
        .values_list("stage_id", "key", "trials", "ok")
        .order_by()
    }


def channel_summary_serves(analytics_filter: AnalyticsFilter) -> bool:
    """The channel summary has every dimension of this filter but the product."""
    return analytics_filter.product_id is None and summary_is_built()


def channel_summary_rows(analytics_filter: AnalyticsFilter, user) -> QuerySet[ChannelDaySummary]:
    """The channel rows of the filter (as `AnalyticsFilter.deals`) the user may see."""
    rows = _cells_in_scope(ChannelDaySummary, analytics_filter, user)
    if analytics_filter.lead_source_id is not None:
        rows = rows.filter(lead_source_id=analytics_filter.lead_source_id)
    if analytics_filter.customer_type:
        rows = rows.filter(customer_type=analytics_filter.customer_type)
    return rows
