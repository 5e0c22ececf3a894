"""Import wizard (upload → columns → values → check → import with progress), exports, backup.

Only admins and heads import (others get 403); a head sees only own import jobs (another's is a
404). Views only adapt: the services read the file, check it and write the rows.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core.errors import DomainError
from voronka.core.tabular_export import EXPORT_FORMATS, tabular_response

from . import services
from .checking import assumption_counts
from .exports import EXPORTS
from .fields import fields_for
from .forms import MappingForm, StartForm, UploadForm, ValuesForm
from .models import ImportJob, ImportKind, ImportStatus

RECENT_JOBS = 10
# A job past these statuses no longer goes back to the wizard's steps.
STARTED = {
    ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DONE, ImportStatus.ROLLING_BACK,
    ImportStatus.ROLLED_BACK,
}  # fmt: skip


def _require_importer(user) -> None:
    if not services.can_import(user):
        raise PermissionDenied(_("Only admins and heads of sales may import data."))


def _jobs_for(user):
    jobs = ImportJob.objects.defer("content").select_related("created_by")
    return jobs if user.is_admin else jobs.filter(created_by=user)


def _job(request, pk: int, *, with_content: bool = True) -> ImportJob:
    _require_importer(request.user)
    jobs = ImportJob.objects.select_related("created_by")
    if not request.user.is_admin:
        jobs = jobs.filter(created_by=request.user)
    if not with_content:
        jobs = jobs.defer("content")
    return get_object_or_404(jobs, pk=pk)


def _steps(current: str) -> list[dict]:
    names = [
        ("upload", _("Upload")),
        ("columns", _("Columns")),
        ("values", _("Values")),
        ("check", _("Check")),
        ("import", _("Import")),
    ]
    order = [key for key, _label in names]
    return [
        {"key": key, "label": label, "current": key == current,
         "done": order.index(key) < order.index(current)}
        for key, label in names
    ]  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def start(request):
    """Upload a file; below it the recent imports, the exports and (admins) the backup."""
    user = request.user
    _require_importer(user)
    status = 200
    form = UploadForm(
        request.POST or None, request.FILES or None, max_bytes=services.max_upload_bytes()
    )
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.import_job_create(
                    user=user,
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name,
                    data=upload.read(),
                )
            except DomainError as error:
                form.add_error("file" if error.field in (None, "file") else None, error.message)
                status = error.status
            else:
                return redirect("imports:columns", job.pk)
        else:
            status = 413 if form.too_large else 400
    context = {
        "form": form,
        "jobs": _jobs_for(user)[:RECENT_JOBS],
        "exports": EXPORTS.values(),
        "steps": _steps("upload"),
    }
    return render(request, "imports/start.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def columns(request, pk: int):
    """Map the file's columns to fields; the mapping is remembered for the same header row."""
    job = _job(request, pk)
    if job.status in STARTED:
        return redirect("imports:job", job.pk)
    try:
        samples = services.column_samples(job)
    except DomainError:
        samples = [[] for _header in job.headers]
    form = MappingForm(request.POST or None, job=job, samples=samples)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.import_job_set_mapping(job=job, mapping=form.mapping())
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = error.status
        else:
            if services.unknown_values(job) or services.asks_about_closing(job):
                return redirect("imports:values", job.pk)
            return _check_and_show(job)
    elif request.method == "POST":
        status = 400
    context = {"job": job, "form": form, "steps": _steps("columns")}
    return render(request, "imports/columns.html", context, status=status)


def _check_and_show(job: ImportJob):
    try:
        services.import_check_start(job=job)
    except DomainError:  # unreadable: the job page gives the reason
        return redirect("imports:job", job.pk)
    return redirect("imports:check", job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def values(request, pk: int):
    """Say which stage, owner, source or lost reason each unknown value of the file means."""
    job = _job(request, pk)
    if job.status in STARTED:
        return redirect("imports:job", job.pk)
    unknown = services.unknown_values(job)
    labels = {item.key: str(item.label) for item in fields_for(job.kind)}
    form = ValuesForm(
        request.POST or None,
        unknown=unknown,
        options=services.value_options(job),
        labels=labels,
        closing=services.closing_choices(job) if services.asks_about_closing(job) else None,
        closing_initial=job.options,
        departments=services.new_owner_departments(job),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.import_job_set_values(
                job=job, value_map=form.value_map(), options=form.options()
            )
        except DomainError as error:
            form.add_error(None, error.message)
            status = error.status
        else:
            return _check_and_show(job)
    elif request.method == "POST":
        status = 400
    groups = [(label, [form[name] for name in names]) for label, names in form.groups]
    context = {
        "job": job,
        "form": form,
        "groups": groups,
        "closing": [form[name] for name in form.closing_names if name != "owner_department"],
        "owner_department": form["owner_department"] if "owner_department" in form.fields else None,
        "steps": _steps("values"),
    }
    return render(request, "imports/values.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def check(request, pk: int):
    """The dry run's report (preview and per-row errors) and the button that imports."""
    job = _job(request, pk)
    if job.status in {*STARTED, ImportStatus.FAILED}:
        return redirect("imports:job", job.pk)
    if job.status in {ImportStatus.UPLOADED, ImportStatus.CANCELLED}:
        try:
            services.import_check_start(job=job)
        except DomainError:  # unreadable: the job page gives the reason
            return redirect("imports:job", job.pk)
    if job.status == ImportStatus.CHECKING:
        # A large file is checked by a task worker; the page polls until the report is ready.
        if request.htmx:
            return render(request, "imports/partials/checking.html", {"job": job})
        context = {"job": job, "steps": _steps("check")}
        return render(request, "imports/checking.html", context)
    if request.htmx and request.method == "GET":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = request.path
        return response
    form = StartForm(request.POST or None)
    unknown = services.unknown_values(job)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.import_job_start(
                job=job,
                user=request.user,
                valid_only=form.cleaned_data["valid_only"],
                on_match=form.cleaned_data["on_match"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
            status = error.status
        else:
            return redirect("imports:job", job.pk)
    elif request.method == "POST":
        status = 400
    context = {
        "job": job,
        "report": job.report,
        "form": form,
        # Unmapped values other than products (which are created unless mapped) fail rows.
        "has_unknown_values": any(
            not value.chosen
            for key, found in unknown.items()
            if key != "product_name"
            for value in found
        ),  # fmt: skip
        "has_values_step": bool(unknown) or bool(job.value_map) or services.asks_about_closing(job),
        "assumptions": assumption_counts(job.report),
        "steps": _steps("check"),
    }
    return render(request, "imports/check.html", context, status=status)


@login_required
@require_GET
def job_detail(request, pk: int):
    """The import's progress (polled by htmx while it runs) and its outcome."""
    job = _job(request, pk, with_content=False)
    template = "imports/partials/progress.html" if request.htmx else "imports/job.html"
    context = {"job": job, "steps": _steps("import")}
    if not job.is_running and job.written_lines:
        context["written"] = services.written_rows(job)
        context["can_roll_back"] = services.can_roll_back(job) and (
            job.kind != ImportKind.USERS or request.user.is_admin
        )
    return render(request, template, context)


@login_required
@require_GET
def job_errors(request, pk: int):
    """The rows that were not imported (or would not be), as a table to fix the file by."""
    job = _job(request, pk, with_content=False)
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        fmt = "csv"
    problems = job.errors or job.report.get("errors", [])
    rows = ((item["line"], item["column"], item["message"]) for item in problems)
    headers = [_("Line"), _("Column"), _("Problem")]
    return tabular_response(f"import-{job.pk}-errors", headers, rows, fmt)


@login_required
@require_POST
def job_cancel(request, pk: int):
    """Drop an upload, or stop a running import after its current batch."""
    job = _job(request, pk, with_content=False)
    was_running = job.status == ImportStatus.RUNNING and not job.is_stalled
    services.import_job_cancel(job=job, user=request.user)
    if was_running:
        messages.info(request, _("The import stops after the rows it is writing now."))
        return redirect("imports:job", job.pk)
    messages.success(request, _("The import was cancelled."))
    return redirect("imports:start")


@login_required
@require_POST
def job_resume(request, pk: int):
    """Queue again an import whose worker died; it continues after the rows already written."""
    job = _job(request, pk, with_content=False)
    try:
        services.import_job_resume(job=job, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("imports:job", job.pk)


@login_required
@require_POST
def job_roll_back(request, pk: int):
    """Remove what an import created (after the page's confirmation); its updates stay."""
    job = _job(request, pk, with_content=False)
    try:
        job = services.import_job_roll_back(job=job, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if job.status == ImportStatus.ROLLED_BACK:
            messages.success(request, _("The import was rolled back."))
    return redirect("imports:job", job.pk)


@login_required
@require_GET
def export(request, entity: str, fmt: str):
    """Every row of an entity the user may see, as CSV or XLSX."""
    _require_importer(request.user)
    spec = EXPORTS.get(entity)
    if spec is None or fmt not in EXPORT_FORMATS:
        raise Http404
    stem = f"{entity}-{timezone.localdate():%Y%m%d}"
    return tabular_response(stem, spec.headers(), spec.values(request.user), fmt)
