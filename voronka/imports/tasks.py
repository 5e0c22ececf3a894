"""Background work: large imports and their rollbacks run in a task worker (django-tasks;
inline in tests)."""

from django_tasks import task


@task()
def run_import(job_id: int) -> dict:
    from .models import ImportJob, ImportStatus
    from .running import import_run

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportStatus.QUEUED:  # cancelled meanwhile, or another worker has it
        return {"status": job.status}
    job = import_run(job=job)
    return {"status": job.status, "created": job.created_count, "failed": job.failed_count}


@task()
def run_check(job_id: int) -> dict:
    from voronka.core.errors import DomainError

    from .checking import import_check
    from .models import ImportJob, ImportStatus

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportStatus.CHECKING:
        return {"status": job.status}
    try:
        report = import_check(job=job)
    except DomainError:  # an unreadable file: the job says why
        return {"status": ImportStatus.FAILED}
    return {"status": ImportStatus.CHECKED, "valid": report["valid"], "invalid": report["invalid"]}


@task()
def run_roll_back(job_id: int) -> dict:
    from .models import ImportJob, ImportStatus
    from .rollback import roll_back_now

    if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.ROLLING_BACK).exists():
        return {"status": "skipped"}
    job = roll_back_now(job_id)
    return {"status": job.status, "removed": job.rollback_report.get("removed", {})}
