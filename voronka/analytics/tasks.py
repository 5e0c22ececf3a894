"""Background tasks of the analytics app (django-tasks)."""

from django_tasks import task


@task()
def recompute_win_probabilities_task(pipeline_id: int | None = None) -> int:
    """Refresh every open deal's cached win probability (nightly, or after big imports)."""
    from voronka.pipeline.models import Pipeline

    from .win_probability import recompute_win_probabilities

    pipeline = Pipeline.objects.get(pk=pipeline_id) if pipeline_id is not None else None
    return recompute_win_probabilities(pipeline)
