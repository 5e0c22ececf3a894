"""Background tasks of the analytics app (django-tasks) and the events that enqueue them."""

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from django_tasks import default_task_backend, task

from voronka.core import events

# A burst of wins and losses (a busy afternoon, an import) triggers one recomputation per
# pipeline, run this long after the first of them, instead of one per closed deal.
RECOMPUTE_DELAY = timedelta(minutes=2)


@task()
def recompute_win_probabilities_task(pipeline_id: int | None = None) -> int:
    """Refresh every open deal's cached win probability (nightly, or after won/lost deals)."""
    from voronka.pipeline.models import Pipeline

    from .win_probability import recompute_win_probabilities

    if pipeline_id is None:
        return recompute_win_probabilities(None)
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first()
    return recompute_win_probabilities(pipeline) if pipeline is not None else 0


def on_deal_closed(event: str, payload: dict) -> None:
    """After a deal is won or lost the history changed: schedule a recomputation of its pipeline.

    Runs after commit (``core.events``). The first closing in a pipeline sets a cache key for
    ``RECOMPUTE_DELAY`` and enqueues one task, to run that much later when the backend can defer
    (at once otherwise); further closings meanwhile (a busy day, an import) add nothing.
    """
    pipeline_id = payload.get("pipeline_id")
    if pipeline_id is None:
        return
    key = f"analytics:win-probability-recompute:{pipeline_id}"
    if not cache.add(key, 1, timeout=int(RECOMPUTE_DELAY.total_seconds())):
        return
    task = recompute_win_probabilities_task
    if default_task_backend.supports_defer:
        task = task.using(run_after=timezone.now() + RECOMPUTE_DELAY)
    task.enqueue(pipeline_id)


def on_deal_changed(event: str, payload: dict) -> None:
    """A deal moved, changed budget, closed or reopened: its own probability is refreshed in the
    same request (after commit), so the card never shows the figure of the previous stage."""
    from .win_probability import deal_refresh_win_probability

    deal_id = payload.get("deal_id")
    if deal_id is not None:
        deal_refresh_win_probability(deal_id)


DEAL_CHANGES = (
    events.DEAL_CREATED,
    events.DEAL_STAGE_CHANGED,
    events.DEAL_AMOUNT_CHANGED,
    events.DEAL_WON,
    events.DEAL_LOST,
    events.DEAL_REOPENED,
)


def subscribe_to_deal_events() -> None:
    for event in DEAL_CHANGES:
        events.subscribe(event, on_deal_changed)
    events.subscribe(events.DEAL_WON, on_deal_closed)
    events.subscribe(events.DEAL_LOST, on_deal_closed)
