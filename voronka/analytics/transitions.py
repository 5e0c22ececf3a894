"""Transition matrix between stages and the probability of winning from each stage.

Every closed stay in a stage ends one way: the deal moved to another stage (forward or back),
was won or was lost. The append-only ``StageChange`` log holds exactly one row per such ending
(kind ``moved`` with from/to stage, ``won`` or ``lost`` with the stage it was closed from), so
one GROUP BY over it gives the counts. Open stays (deals still in a stage) have no ending yet
and are not counted. Counting is per stay, so a deal that went back and forth counts each time.

From the empirical probabilities the stages form an absorbing Markov chain with two absorbing
states, Won and Lost: with Q the stage-to-stage block and R the stage-to-{Won, Lost} block,
N = (I − Q)⁻¹ and B = N·R; B[s, Won] is the probability that a deal now in stage s is
eventually won. A stage with no observed exits has no estimate (its row is left out of the
chain and it is reported as unknown).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Count

from voronka.pipeline.models import StageChange, StageChangeKind

from .filters import AnalyticsFilter
from .summary import EXIT_LOST, EXIT_WON
from .summary_reads import summary_exit_rows, summary_serves

WON = "won"
LOST = "lost"


@dataclass
class TransitionRow:
    stage_id: int
    name: str
    exits: int  # closed stays of this stage
    counts: dict  # target (stage id, "won" or "lost") -> closed stays ending there
    probabilities: dict  # target -> counts / exits
    win_probability: float | None  # absorbing-chain estimate
    manual_probability: float  # the stage's manual estimate (0..1)
    expected_steps: float | None  # expected number of stays before absorption (row sum of N)


@dataclass
class TransitionMatrix:
    stages: list[TransitionRow]
    targets: list  # column order: stage ids…, "won", "lost"
    target_names: list[str]


def transition_counts(analytics_filter: AnalyticsFilter, user) -> dict[tuple[int, object], int]:
    """(from stage id, target) -> number of closed stays; target is a stage id, "won" or "lost"."""
    if summary_serves(analytics_filter):
        counts: dict[tuple[int, object], int] = {}
        for from_stage_id, key, n in summary_exit_rows(analytics_filter, user):
            target = WON if key == EXIT_WON else LOST if key == EXIT_LOST else key
            counts[(from_stage_id, target)] = counts.get((from_stage_id, target), 0) + n
        return counts
    rows = (
        StageChange.objects.filter(
            deal__in=analytics_filter.deals(user).values("pk"),
            kind__in=[StageChangeKind.MOVED, StageChangeKind.WON, StageChangeKind.LOST],
            from_stage__isnull=False,
        )
        .values("kind", "from_stage_id", "to_stage_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[tuple[int, object], int] = {}
    for row in rows:
        if row["kind"] == StageChangeKind.MOVED:
            target = row["to_stage_id"]
        else:
            target = WON if row["kind"] == StageChangeKind.WON else LOST
        key = (row["from_stage_id"], target)
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def absorbing_win_probabilities(
    stage_ids: list[int], counts: dict[tuple[int, object], int]
) -> tuple[dict[int, float | None], dict[int, float | None]]:
    """Win probability and expected number of stays from each stage via N = (I − Q)⁻¹, B = N·R.

    Stages without observed exits are dropped from the chain (unknown); transitions into them
    are dropped too and the remaining row renormalised, so only observed behaviour is used.
    """
    result: dict[int, float | None] = dict.fromkeys(stage_ids)
    steps: dict[int, float | None] = dict.fromkeys(stage_ids)
    # Keep the stages with at least one observed exit into Won, Lost or another kept stage.
    known = list(stage_ids)
    while True:
        kept = set(known)
        still = [
            s
            for s in known
            if any(
                n > 0 and source == s and (target in (WON, LOST) or target in kept)
                for (source, target), n in counts.items()
            )
        ]
        if len(still) == len(known):
            break
        known = still
    if not known:
        return result, steps
    index = {s: i for i, s in enumerate(known)}
    size = len(known)
    q = np.zeros((size, size))
    r = np.zeros((size, 2))
    for (source, target), n in counts.items():
        if source not in index:
            continue
        if target == WON:
            r[index[source], 0] += n
        elif target == LOST:
            r[index[source], 1] += n
        elif target in index:
            q[index[source], index[target]] += n
    totals = q.sum(axis=1) + r.sum(axis=1)
    q = q / totals[:, None]
    r = r / totals[:, None]
    try:
        fundamental = np.linalg.inv(np.eye(size) - q)
    except np.linalg.LinAlgError:
        # Stages only ever observed moving among themselves: absorption is never seen.
        return result, steps
    absorbed = fundamental @ r
    for s, i in index.items():
        result[s] = float(np.clip(absorbed[i, 0], 0.0, 1.0))
        steps[s] = float(fundamental[i].sum())
    return result, steps


def transition_matrix(analytics_filter: AnalyticsFilter, user) -> TransitionMatrix:
    stages = analytics_filter.stages()
    stage_ids = [stage.pk for stage in stages]
    counts = transition_counts(analytics_filter, user)
    win, steps = absorbing_win_probabilities(stage_ids, counts)
    targets: list = [*stage_ids, WON, LOST]
    rows = []
    for stage in stages:
        row_counts = {target: counts.get((stage.pk, target), 0) for target in targets}
        exits = sum(row_counts.values())
        rows.append(
            TransitionRow(
                stage_id=stage.pk,
                name=stage.name,
                exits=exits,
                counts=row_counts,
                probabilities={t: (n / exits if exits else None) for t, n in row_counts.items()},
                win_probability=win[stage.pk],
                manual_probability=stage.probability / 100,
                expected_steps=steps[stage.pk],
            )
        )
    from django.utils.translation import gettext as _

    names = [stage.name for stage in stages] + [_("Won"), _("Lost")]
    return TransitionMatrix(stages=rows, targets=targets, target_names=names)
