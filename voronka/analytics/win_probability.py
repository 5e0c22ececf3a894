"""Win probability of each open deal now, cached on ``Deal.win_probability`` with a note.

A deal's *cell* is (stage, age band, amount trend):

* age band — whole days since first contact: 0–14, 15–30, 31–60, 61–120, over 120;
* amount trend — the amount against ``initial_amount``: down (budget cut), same, up.

History: every stay of a **closed** deal in a stage (``StageVisit``) says the deal was "in"
each age band its stay overlapped, with the trend of the amount it entered the stage with (the
``StageChange`` row that opened the stay). A cell's raw rate is the share of those stays whose
deal was won (a deal that came back to a stage counts once per stay, as in the transition
matrix; counting stays keeps the query free of DISTINCT sorts).

Smoothing is hierarchical empirical Bayes (cell → stage → pipeline): the pipeline rate p₀ is
the share of closed deals won; each stage's rate is shrunk towards p₀ with a Beta prior fitted
over the stages by the method of moments; each cell's rate is shrunk towards its stage's rate
with a Beta prior fitted over that stage's cells:

    p_cell = (won_cell + κ_stage · p_stage) / (n_cell + κ_stage)

Open deals are updated with one UPDATE per cell (at most stages × 5 × 3), never row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.pipeline.models import Deal, DealStatus, Pipeline, StageChangeKind, StageVisit
from voronka.pipeline.probability import effective_probability

from .effectiveness import BetaPrior, fit_beta_prior

# (low, high) whole days since first contact, both inclusive; None = no upper bound.
AGE_BANDS: list[tuple[int, int | None]] = [(0, 14), (15, 30), (31, 60), (61, 120), (121, None)]
TRENDS = ("down", "same", "up")
ENTRY_KINDS = [StageChangeKind.CREATED, StageChangeKind.MOVED, StageChangeKind.REOPENED]


def age_band_label(index: int) -> str:
    low, high = AGE_BANDS[index]
    if high is None:
        return _("over %(days)s days") % {"days": low - 1}
    return _("%(low)s–%(high)s days") % {"low": low, "high": high}


def trend_label(trend: str) -> str:
    return {"down": _("budget cut"), "same": _("budget unchanged"), "up": _("budget raised")}[trend]


def age_band_of(days: int) -> int:
    for index, (low, high) in enumerate(AGE_BANDS):
        if days >= low and (high is None or days <= high):
            return index
    return 0


@dataclass
class CellEstimate:
    stage_id: int
    band: int
    trend: str
    won: int
    deals: int
    probability: float
    level: str = "cell"  # where the counts come from: "cell", "stage" or "pipeline"


@dataclass
class WinModel:
    pipeline_rate: float
    pipeline_deals: int
    stage_rates: dict[int, float]
    stage_counts: dict[int, tuple[int, int]]  # stage -> (won, deals)
    stage_priors: dict[int, BetaPrior]
    cells: dict[tuple[int, int, str], CellEstimate]

    def estimate(self, stage_id: int, band: int, trend: str) -> CellEstimate:
        """The cell's estimate; a cell without history falls back to its stage, then the pipeline."""
        cell = self.cells.get((stage_id, band, trend))
        if cell is not None:
            return cell
        if stage_id in self.stage_rates:
            won, deals = self.stage_counts[stage_id]
            return CellEstimate(
                stage_id, band, trend, won, deals, self.stage_rates[stage_id], "stage"
            )
        won = round(self.pipeline_rate * self.pipeline_deals)
        return CellEstimate(
            stage_id, band, trend, won, self.pipeline_deals, self.pipeline_rate, "pipeline"
        )


def _closed_stays(pipeline: Pipeline):
    """Closed stays of closed deals joined (on deal, stage and moment) with the stage change
    that opened them, for the amount the deal entered the stage with."""
    return StageVisit.objects.filter(
        pipeline=pipeline,
        left_at__isnull=False,
        deal__status__in=[DealStatus.WON, DealStatus.LOST],
        deal__stage_changes__to_stage=F("stage"),
        deal__stage_changes__changed_at=F("entered_at"),
        deal__stage_changes__kind__in=ENTRY_KINDS,
    ).annotate(
        trend=Case(
            When(deal__stage_changes__amount__lt=F("deal__initial_amount"), then=Value("down")),
            When(deal__stage_changes__amount__gt=F("deal__initial_amount"), then=Value("up")),
            default=Value("same"),
            output_field=CharField(),
        ),
    )


def fit_win_model(pipeline: Pipeline) -> WinModel:
    """Counts from three aggregate queries, then the hierarchy of Beta priors in Python."""
    won = Q(deal__status=DealStatus.WON)
    overall = Deal.objects.filter(
        pipeline=pipeline, status__in=[DealStatus.WON, DealStatus.LOST]
    ).aggregate(n=Count("id"), won=Count("id", filter=Q(status=DealStatus.WON)))
    pipeline_rate = overall["won"] / overall["n"] if overall["n"] else 0.5

    stage_rows = (
        StageVisit.objects.filter(
            pipeline=pipeline,
            left_at__isnull=False,
            deal__status__in=[DealStatus.WON, DealStatus.LOST],
        )
        .values("stage_id")
        .annotate(n=Count("id"), won=Count("id", filter=won))
        .order_by()
    )
    stage_counts = {row["stage_id"]: (row["won"], row["n"]) for row in stage_rows}
    stage_prior = fit_beta_prior(list(stage_counts.values()), centre=pipeline_rate)
    stage_rates = {
        stage_id: (w + stage_prior.alpha) / (n + stage_prior.strength)
        for stage_id, (w, n) in stage_counts.items()
    }

    # A closed stay counts in every age band it overlapped. One GROUP BY (stage, trend) counts
    # stays (and those of deals later won) per band with conditional aggregates.
    aggregates = {}
    for band, (low, high) in enumerate(AGE_BANDS):
        overlaps = Q()
        # Whole days since first contact ≥ low ⇔ left_at ≥ first contact + low days; ≤ high ⇔
        # entered_at < first contact + (high + 1) days. Plain timestamp comparisons are cheap.
        if band > 0:  # the first band also takes negative ages (first contact typed ahead)
            overlaps &= Q(left_at__gte=F("deal__first_contact_at") + timedelta(days=low))
        if high is not None:
            overlaps &= Q(entered_at__lt=F("deal__first_contact_at") + timedelta(days=high + 1))
        aggregates[f"n{band}"] = Count("id", filter=overlaps)
        aggregates[f"w{band}"] = Count("id", filter=overlaps & won)
    cell_rows = (
        _closed_stays(pipeline).values("stage_id", "trend").annotate(**aggregates).order_by()
    )
    raw: dict[int, dict[tuple[int, str], tuple[int, int]]] = {}
    for row in cell_rows:
        stage_cells = raw.setdefault(row["stage_id"], {})
        for band in range(len(AGE_BANDS)):
            if row[f"n{band}"]:
                stage_cells[(band, row["trend"])] = (row[f"w{band}"], row[f"n{band}"])
    cells: dict[tuple[int, int, str], CellEstimate] = {}
    stage_priors: dict[int, BetaPrior] = {}
    for stage_id, stage_cells in raw.items():
        centre = stage_rates.get(stage_id, pipeline_rate)
        prior = fit_beta_prior(list(stage_cells.values()), centre=centre)
        stage_priors[stage_id] = prior
        for (band, trend), (w, n) in stage_cells.items():
            cells[(stage_id, band, trend)] = CellEstimate(
                stage_id, band, trend, w, n, (w + prior.alpha) / (n + prior.strength)
            )
    return WinModel(
        pipeline_rate=pipeline_rate,
        pipeline_deals=overall["n"],
        stage_rates=stage_rates,
        stage_counts=stage_counts,
        stage_priors=stage_priors,
        cells=cells,
    )


def explain(stage_name: str, cell: CellEstimate) -> str:
    """The one-line note shown on the deal card beside the probability."""
    if cell.level == "stage":
        template = _(
            "Stage «%(stage)s»: no closed deals like this (%(age)s, %(trend)s); %(won)s of "
            "%(deals)s deals closed from this stage won → %(probability)s %%"
        )
    elif cell.level == "pipeline":
        template = _(
            "Stage «%(stage)s» has no closed history yet; %(won)s of %(deals)s closed deals of "
            "the pipeline won → %(probability)s %%"
        )
    else:
        template = _(
            "Stage «%(stage)s», %(age)s, %(trend)s: %(won)s of %(deals)s similar deals won → "
            "%(probability)s %%"
        )
    text = template % {
        "stage": stage_name,
        "age": age_band_label(cell.band),
        "trend": trend_label(cell.trend),
        "won": cell.won,
        "deals": cell.deals,
        "probability": round(cell.probability * 100),
    }
    return text[:300]


def _trend_q(trend: str) -> Q:
    if trend == "down":
        return Q(amount__lt=F("initial_amount"))
    if trend == "up":
        return Q(amount__gt=F("initial_amount"))
    return Q(amount=F("initial_amount"))


def _band_q(band: int, now: datetime) -> Q:
    """first_contact_at such that whole days since it fall into the band."""
    low, high = AGE_BANDS[band]
    condition = Q(first_contact_at__lte=now - timedelta(days=low))
    if high is not None:
        condition &= Q(first_contact_at__gt=now - timedelta(days=high + 1))
    return condition


@transaction.atomic
def recompute_pipeline(pipeline: Pipeline, now: datetime | None = None) -> int:
    """Refresh the cached probability of every open deal of the pipeline; returns rows updated."""
    now = now or timezone.now()
    model = fit_win_model(pipeline)
    transaction.on_commit(
        lambda: cache.set(model_cache_key(pipeline.pk), model, MODEL_CACHE_SECONDS)
    )
    if not model.pipeline_deals:
        # No closed deal yet: no history to learn from; the board uses the manual probabilities.
        Deal.objects.filter(pipeline=pipeline).exclude(win_probability__isnull=True).update(
            win_probability=None, win_probability_note=""
        )
        return 0
    updated = 0
    for stage in pipeline.stages.order_by("order"):
        for band in range(len(AGE_BANDS)):
            for trend in TRENDS:
                cell = model.estimate(stage.pk, band, trend)
                updated += Deal.objects.filter(
                    _trend_q(trend),
                    _band_q(band, now),
                    pipeline=pipeline,
                    status=DealStatus.OPEN,
                    stage=stage,
                ).update(
                    win_probability=cell.probability, win_probability_note=explain(stage.name, cell)
                )
    # A first contact in the future (typed ahead) belongs to the youngest band.
    for stage in pipeline.stages.order_by("order"):
        for trend in TRENDS:
            cell = model.estimate(stage.pk, 0, trend)
            updated += Deal.objects.filter(
                _trend_q(trend),
                pipeline=pipeline,
                status=DealStatus.OPEN,
                stage=stage,
                first_contact_at__gt=now,
            ).update(
                win_probability=cell.probability, win_probability_note=explain(stage.name, cell)
            )
    # Closed deals carry no estimate: the outcome is known.
    Deal.objects.filter(pipeline=pipeline).exclude(status=DealStatus.OPEN).exclude(
        win_probability__isnull=True
    ).update(win_probability=None, win_probability_note="")
    return updated


def deal_refresh_win_probability(deal_id: int, now: datetime | None = None) -> float | None:
    """Refresh one deal's cached probability at once (after a move, an amount change, a win, a
    loss or a reopening), from the pipeline's fitted model: the card never shows a stale figure
    or explanation. A closed deal carries none (its outcome is known), nor does a pipeline
    without closed history (the stage's manual probability applies)."""
    now = now or timezone.now()
    deal = Deal.objects.select_related("stage", "pipeline").filter(pk=deal_id).first()
    if deal is None:
        return None
    probability, note = None, ""
    if deal.status == DealStatus.OPEN:
        model = cached_win_model(deal.pipeline)
        if model.pipeline_deals:
            first_contact = deal.first_contact_at or deal.created_at
            band = age_band_of(max(0, (now - first_contact).days))
            if deal.amount < deal.initial_amount:
                trend = "down"
            elif deal.amount > deal.initial_amount:
                trend = "up"
            else:
                trend = "same"
            cell = model.estimate(deal.stage_id, band, trend)
            probability, note = cell.probability, explain(deal.stage.name, cell)
    Deal.objects.filter(pk=deal.pk).update(win_probability=probability, win_probability_note=note)
    return probability


def recompute_win_probabilities(
    pipeline: Pipeline | None = None, now: datetime | None = None
) -> int:
    """Recompute for one pipeline or all of them; returns the number of open deals updated."""
    pipelines = [pipeline] if pipeline is not None else list(Pipeline.objects.all())
    return sum(recompute_pipeline(item, now) for item in pipelines)


# --- The page: open deals of the filter with their cached probability ------------------------

OPEN_DEALS_SHOWN = 20


@dataclass
class StageWinSummary:
    stage_id: int
    name: str
    open_deals: int
    estimated: int  # open deals with a cached estimate
    amount: Decimal
    weighted_amount: Decimal  # Σ amount × probability (the stage's manual one when not estimated)
    average_probability: float | None  # mean cached estimate over estimated deals
    manual_probability: float  # the stage's manual probability (0..1)


@dataclass
class WinProbabilityOverview:
    stages: list[StageWinSummary]
    open_deals: int
    amount: Decimal
    weighted_amount: Decimal
    deals: list[Deal]  # the open deals with the largest weighted amount, biggest first
    model: WinModel | None  # the fitted model; None when the user may not see team-wide figures


# Refreshed by every recomputation (the command, and after wins and losses); a deal refreshed after
# a move reads it, so a cold cache (one fit, ~1.5 s at 100k deals) is rare.
MODEL_CACHE_SECONDS = 24 * 60 * 60


def model_cache_key(pipeline_id: int) -> str:
    return f"analytics:win-model:{pipeline_id}"


def cached_win_model(pipeline: Pipeline) -> WinModel:
    """The fitted model from the cache (filled by every recomputation), fitted on a miss."""
    model = cache.get(model_cache_key(pipeline.pk))
    if model is None:
        model = fit_win_model(pipeline)
        cache.set(model_cache_key(pipeline.pk), model, MODEL_CACHE_SECONDS)
    return model


def win_probability_overview(
    analytics_filter, user, *, with_model: bool = False
) -> WinProbabilityOverview:
    """Open deals of the filter per stage (one GROUP BY) and the top deals by weighted amount.

    Uses the cached ``Deal.win_probability``. The model's cells are fitted over the whole
    pipeline's history (seconds on 100 000 deals), so they are returned only when asked for
    and only to users who see every deal or a team.
    """
    open_deals = analytics_filter.deals(user).filter(status=DealStatus.OPEN)
    weighted = Cast(F("amount"), FloatField()) * effective_probability()
    rows = {
        row["stage_id"]: row
        for row in open_deals.values("stage_id")
        .annotate(
            n=Count("id"),
            estimated=Count("id", filter=Q(win_probability__isnull=False)),
            total_amount=Sum("amount"),
            weighted_amount=Sum(weighted, output_field=FloatField()),
            average=Avg("win_probability"),
        )
        .order_by()
    }
    stages = []
    for stage in analytics_filter.stages():
        row = rows.get(stage.pk, {})
        stages.append(
            StageWinSummary(
                stage_id=stage.pk,
                name=stage.name,
                open_deals=row.get("n", 0),
                estimated=row.get("estimated", 0),
                amount=row.get("total_amount") or Decimal(0),
                weighted_amount=_money(row.get("weighted_amount")),
                average_probability=row.get("average"),
                manual_probability=stage.probability / 100,
            )
        )
    deals = list(
        open_deals.select_related("stage", "owner", "company")
        .annotate(weighted=weighted)
        .order_by(F("weighted").desc(nulls_last=True), "pk")[:OPEN_DEALS_SHOWN]
    )
    model = None
    if with_model and (user.sees_everything or user.can_manage_team):
        model = cached_win_model(analytics_filter.pipeline)
    return WinProbabilityOverview(
        stages=stages,
        open_deals=sum(stage.open_deals for stage in stages),
        amount=sum((stage.amount for stage in stages), Decimal(0)),
        weighted_amount=sum((stage.weighted_amount for stage in stages), Decimal(0)),
        deals=deals,
        model=model,
    )


def _money(value) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(round(value, 2)))
