"""Manager × stage effectiveness with empirical-Bayes shrinkage, and reassignment advice.

A closed stay (``StageVisit``) is a trial for the seller who held the deal during it
(``StageVisit.owner``): *advanced* or *won* is a success, *returned* or *lost* a failure. Open
stays are not counted.

Per stage, the success rates of the managers are modelled as draws from a Beta(α, β) prior fitted
by the method of moments over the managers at that stage (see ``fit_beta_prior``). A manager's
shrunken rate is the posterior mean (s + α) / (n + α + β) and the 90 % credible interval is the
5 % and 95 % quantiles of Beta(s + α, n − s + β) (scipy.stats.beta.ppf).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from scipy.stats import beta as beta_distribution

from voronka.accounts.models import Role, User
from voronka.accounts.visibility import visible_deals, visible_users
from voronka.pipeline.models import Deal, DealStatus, Stage, StageVisit, VisitOutcome

from .filters import AnalyticsFilter
from .summary_reads import summary_pipeline_trials, summary_serves, summary_trials

# Prior strength (α + β, in pseudo-trials) used when the moments cannot be estimated: fewer than
# two groups, or a between-group variance no larger than binomial noise alone explains.
FALLBACK_PRIOR_STRENGTH = 10.0
MIN_PRIOR_STRENGTH = 2.0
MAX_PRIOR_STRENGTH = 1000.0
CREDIBLE_LEVEL = 0.90
# Load effect: a manager's expected rate is multiplied by 1 − LOAD_PENALTY · (open / capacity)²,
# so it barely changes at low load and falls by LOAD_PENALTY at full capacity.
LOAD_PENALTY = 0.5
ADVICE_CANDIDATES = 3
ADVICE_MAX_DEALS = 50


@dataclass(frozen=True)
class BetaPrior:
    alpha: float
    beta: float
    fitted: bool  # False when the fallback strength was used

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        return self.alpha + self.beta


def fit_beta_prior(
    groups: list[tuple[int, int]], *, centre: float | None = None, fallback_strength=None
) -> BetaPrior:
    """Method-of-moments Beta prior from (successes, trials) of several groups.

    Mean m: the pooled rate Σs / Σn (or ``centre`` when given, e.g. a parent level's rate).
    Between-group variance: the trials-weighted variance of the raw rates minus the part that
    binomial noise explains, V = Σ n_i (r_i − m)² / Σ n_i − m (1 − m) · k / Σ n_i where k is the
    number of groups. Then α + β = m (1 − m) / V − 1, clipped to [2, 1000]. When fewer than two
    groups have trials or V ≤ 0, the prior strength falls back to FALLBACK_PRIOR_STRENGTH.
    """
    fallback_strength = fallback_strength or FALLBACK_PRIOR_STRENGTH
    groups = [(s, n) for s, n in groups if n > 0]
    total_n = sum(n for _, n in groups)
    total_s = sum(s for s, _ in groups)
    if centre is None:
        centre = total_s / total_n if total_n else 0.5
    # Keep the prior proper even when every trial so far succeeded (or failed).
    m = min(max(centre, 0.01), 0.99)
    strength, fitted = fallback_strength, False
    if len(groups) >= 2:
        weighted = sum(n * (s / n - m) ** 2 for s, n in groups) / total_n
        variance = weighted - m * (1 - m) * len(groups) / total_n
        if variance > 0:
            strength = min(max(m * (1 - m) / variance - 1, MIN_PRIOR_STRENGTH), MAX_PRIOR_STRENGTH)
            fitted = True
    return BetaPrior(alpha=m * strength, beta=(1 - m) * strength, fitted=fitted)


def credible_interval(successes: int, trials: int, prior: BetaPrior, level=CREDIBLE_LEVEL):
    a = successes + prior.alpha
    b = trials - successes + prior.beta
    tail = (1 - level) / 2
    low, high = beta_distribution.ppf([tail, 1 - tail], a, b)
    return float(low), float(high)


@dataclass
class ManagerStageCell:
    manager_id: int
    stage_id: int
    successes: int
    trials: int
    raw_rate: float | None
    shrunken_rate: float
    low: float
    high: float


@dataclass
class Effectiveness:
    stages: list[Stage]
    managers: list[User]
    cells: dict[tuple[int, int], ManagerStageCell]  # (manager id, stage id)
    priors: dict[int, BetaPrior]  # per stage


SUCCESS = Q(outcome__in=[VisitOutcome.ADVANCED, VisitOutcome.WON])
CLOSED = ~Q(outcome="")


def stage_manager_counts(visits) -> dict[tuple[int, int], tuple[int, int]]:
    """(owner id, stage id) -> (successes, closed stays): one GROUP BY over the visits."""
    rows = (
        visits.filter(CLOSED)
        .values("owner_id", "stage_id")
        .annotate(trials=Count("id"), successes=Count("id", filter=SUCCESS))
        .order_by()
    )
    return {(r["owner_id"], r["stage_id"]): (r["successes"], r["trials"]) for r in rows}


def shrink(counts: dict[tuple[int, int], tuple[int, int]], stage_ids: list[int]):
    """Fit the prior per stage over managers; return priors and shrunken cells."""
    priors: dict[int, BetaPrior] = {}
    cells: dict[tuple[int, int], ManagerStageCell] = {}
    for stage_id in stage_ids:
        groups = [value for (owner, stage), value in counts.items() if stage == stage_id]
        priors[stage_id] = fit_beta_prior(groups)
    for (owner_id, stage_id), (successes, trials) in counts.items():
        if stage_id not in priors:
            continue
        prior = priors[stage_id]
        low, high = credible_interval(successes, trials, prior)
        cells[(owner_id, stage_id)] = ManagerStageCell(
            manager_id=owner_id,
            stage_id=stage_id,
            successes=successes,
            trials=trials,
            raw_rate=successes / trials if trials else None,
            shrunken_rate=(successes + prior.alpha) / (trials + prior.strength),
            low=low,
            high=high,
        )
    return priors, cells


def pipeline_trials(pipeline) -> dict[tuple[int, int], tuple[int, int]]:
    """(seller id, stage id) -> (successes, closed stays) over every stay in the pipeline.

    From the stage summary once it is built (tens of thousands of rows instead of millions of
    stays at 1M deals), from the stays themselves until then.
    """
    counts = summary_pipeline_trials(pipeline.pk)
    if counts is None:
        counts = stage_manager_counts(StageVisit.objects.filter(pipeline=pipeline))
    return counts


def manager_effectiveness(analytics_filter: AnalyticsFilter, user) -> Effectiveness:
    stages = analytics_filter.stages()
    if summary_serves(analytics_filter):
        counts = summary_trials(analytics_filter, user)
    else:
        counts = stage_manager_counts(analytics_filter.visits(user))
    priors, cells = shrink(counts, [stage.pk for stage in stages])
    manager_ids = {owner_id for owner_id, _ in counts}
    managers = list(User.objects.filter(pk__in=manager_ids).order_by("last_name", "first_name"))
    return Effectiveness(stages=stages, managers=managers, cells=cells, priors=priors)


# --- Reassignment advice -------------------------------------------------------------------


def load_factor(open_deals: int, capacity: int) -> float:
    """1 − LOAD_PENALTY · (open / capacity)²; 0 at or over capacity (no capacity left)."""
    if capacity <= 0 or open_deals >= capacity:
        return 0.0
    return 1 - LOAD_PENALTY * (open_deals / capacity) ** 2


@dataclass
class Candidate:
    manager: User
    shrunken_rate: float
    trials: int
    open_deals: int
    capacity: int
    expected_rate: float  # shrunken rate × load factor


@dataclass
class StalledDeal:
    deal: Deal
    days_in_stage: int
    current_rate: float | None  # the current owner's expected rate at the stage
    candidates: list[Candidate] = field(default_factory=list)


def stalled_deals(user, pipeline, now: datetime | None = None, limit=ADVICE_MAX_DEALS):
    """Open deals of the pipeline idle in their stage longer than its rotting_days."""
    now = now or timezone.now()
    rotting = Q(pk__in=[])
    for stage in pipeline.stages.filter(rotting_days__isnull=False):
        rotting |= Q(
            stage_id=stage.pk, stage_entered_at__lt=now - timedelta(days=stage.rotting_days)
        )
    return (
        visible_deals(user)
        .filter(rotting, pipeline=pipeline, status=DealStatus.OPEN)
        .select_related("owner", "stage", "company")
        .order_by("stage_entered_at", "pk")[:limit]
    )


def reassignment_advice(
    analytics_filter: AnalyticsFilter, user, now: datetime | None = None
) -> list[StalledDeal]:
    """For each stalled visible deal: the top managers by load-adjusted shrunken rate at its stage.

    Candidates are the active managers and heads the user may see (``visible_users``), other than
    the current owner, with closed stays of their own at the stage, open deals below capacity and
    a higher expected rate than the owner's. Their effectiveness is computed over every
    closed stay in the pipeline (all history, not only the cohort: advice needs the most data;
    see ``pipeline_trials``).
    """
    now = now or timezone.now()
    deals = list(stalled_deals(user, analytics_filter.pipeline, now))
    if not deals:
        return []
    stage_ids = [stage.pk for stage in analytics_filter.stages()]
    people = list(visible_users(user).filter(role__in=[Role.MANAGER, Role.HEAD]))
    people_ids = [person.pk for person in people]
    # Priors from everyone's stays at the stage, not only the visible team; the candidates'
    # own records are their rows of the same counts.
    all_counts = pipeline_trials(analytics_filter.pipeline)
    priors, _ = shrink(all_counts, stage_ids)
    visible_ids = set(people_ids)
    counts = {key: value for key, value in all_counts.items() if key[0] in visible_ids}
    load = dict(
        Deal.objects.filter(owner_id__in=people_ids, status=DealStatus.OPEN)
        .values_list("owner_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    result = []
    for deal in deals:
        prior = priors.get(deal.stage_id) or fit_beta_prior([])
        scored = []
        current_rate = None
        for person in people:
            successes, trials = counts.get((person.pk, deal.stage_id), (0, 0))
            rate = (successes + prior.alpha) / (trials + prior.strength)
            open_deals = load.get(person.pk, 0)
            expected = rate * load_factor(open_deals, person.capacity)
            if person.pk == deal.owner_id:
                current_rate = expected
                continue
            if open_deals >= person.capacity:
                continue
            if trials == 0:
                # Never worked this stage: only the prior speaks for them, not their record.
                continue
            scored.append(
                Candidate(
                    manager=person,
                    shrunken_rate=rate,
                    trials=trials,
                    open_deals=open_deals,
                    capacity=person.capacity,
                    expected_rate=expected,
                )
            )
        if current_rate is not None:
            # Only someone expected to do better than the owner (load included) is worth a move.
            scored = [c for c in scored if c.expected_rate > current_rate]
        scored.sort(key=lambda c: (-c.expected_rate, c.open_deals, c.manager.pk))
        result.append(
            StalledDeal(
                deal=deal,
                days_in_stage=deal.days_in_stage_at(now),
                current_rate=current_rate,
                candidates=scored[:ADVICE_CANDIDATES],
            )
        )
    return result
