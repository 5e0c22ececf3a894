"""Funnel: how many deals of the cohort reached each stage, and how many of them were won.

A deal counts as having reached every stage up to its furthest stage (``Deal.furthest_stage``),
so a deal created in a later stage or moved over a stage still counts as having passed it, and a
won deal has passed every stage. One GROUP BY over the cohort's deals; Python adds up the
per-stage rows into cumulative counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from voronka.pipeline.models import DealStatus

from .filters import AnalyticsFilter


@dataclass
class FunnelStage:
    stage_id: int
    name: str
    order: int
    reached: int  # deals whose furthest stage is this one or a later one
    amount: Decimal  # current amounts of those deals
    open_here: int  # open deals whose furthest stage is exactly this one (still may advance)
    conversion: float | None  # reached(next) / reached(this); for the last stage: won / reached
    expected_conversion: float | None  # the stage's manual estimate (0..1)
    share_of_first: float | None  # reached / deals in the cohort
    previous_reached: int | None = None
    previous_conversion: float | None = None


@dataclass
class Funnel:
    stages: list[FunnelStage]
    deals: int
    won: int
    lost: int
    open: int
    won_amount: Decimal
    win_rate: float | None  # won / all deals of the cohort
    closed_win_rate: float | None  # won / (won + lost)
    previous: Funnel | None = None


def _ratio(numerator, denominator) -> float | None:
    return numerator / denominator if denominator else None


def funnel_counts(analytics_filter: AnalyticsFilter, user) -> dict[int, dict]:
    """Per furthest stage: deals, their amount, won/lost/open counts (one query)."""
    rows = (
        analytics_filter.deals(user)
        .values("furthest_stage_id")
        .annotate(
            deals=Count("id"),
            total_amount=Sum("amount"),
            won=Count("id", filter=Q(status=DealStatus.WON)),
            lost=Count("id", filter=Q(status=DealStatus.LOST)),
            open=Count("id", filter=Q(status=DealStatus.OPEN)),
            won_amount=Sum("amount", filter=Q(status=DealStatus.WON)),
        )
        .order_by()
    )
    return {row["furthest_stage_id"]: row for row in rows}


def funnel(analytics_filter: AnalyticsFilter, user, *, compare: bool = True) -> Funnel:
    stages = analytics_filter.stages()
    counts = funnel_counts(analytics_filter, user)
    # Cumulative from the last stage back: reached(s) = Σ deals with furthest order ≥ s.order.
    reached: list[int] = []
    amounts: list[Decimal] = []
    running, running_amount = 0, Decimal(0)
    for stage in reversed(stages):
        row = counts.get(stage.pk, {})
        running += row.get("deals", 0)
        running_amount += row.get("total_amount") or Decimal(0)
        reached.append(running)
        amounts.append(running_amount)
    reached.reverse()
    amounts.reverse()
    won = sum(row["won"] for row in counts.values())
    lost = sum(row["lost"] for row in counts.values())
    open_ = sum(row["open"] for row in counts.values())
    won_amount = sum((row["won_amount"] or Decimal(0) for row in counts.values()), Decimal(0))
    total = reached[0] if reached else 0
    result_stages = []
    for index, stage in enumerate(stages):
        following = reached[index + 1] if index + 1 < len(stages) else won
        result_stages.append(
            FunnelStage(
                stage_id=stage.pk,
                name=stage.name,
                order=stage.order,
                reached=reached[index],
                amount=amounts[index],
                open_here=counts.get(stage.pk, {}).get("open", 0),
                conversion=_ratio(following, reached[index]),
                expected_conversion=(
                    stage.expected_conversion / 100
                    if stage.expected_conversion is not None
                    else None
                ),
                share_of_first=_ratio(reached[index], total),
            )
        )
    result = Funnel(
        stages=result_stages,
        deals=total,
        won=won,
        lost=lost,
        open=open_,
        won_amount=won_amount,
        win_rate=_ratio(won, total),
        closed_win_rate=_ratio(won, won + lost),
    )
    if compare:
        previous = funnel(analytics_filter.previous_period(), user, compare=False)
        result.previous = previous
        for current, before in zip(result.stages, previous.stages, strict=True):
            current.previous_reached = before.reached
            current.previous_conversion = before.conversion
    return result
