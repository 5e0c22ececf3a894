"""The background task that writes a backup archive (django-tasks)."""

from django_tasks import task


@task()
def backup_run_task(job_id: int) -> str:
    # Imported here: services enqueue this task, so the module-level import goes one way only.
    from .services import backup_job_run

    job = backup_job_run(job_id)
    return job.status if job is not None else "skipped"
