"""Importing companies, contacts and deals from a table: the wizard's steps and job control.

The wizard and the `import_data` command share these functions:
`import_job_create` (store the file, guess or recall the column mapping) →
`import_job_set_mapping` → `unknown_values` / `import_job_set_values` (map stages, owners,
sources, lost reasons the database does not know) → `import_check_start` (dry run, per-row
report) → `import_job_start` → `running.import_run`.

The jobs live in their own modules, each depending only on those below it:
`parsing` (bytes → cells) → `resolving` (a word → a record) → `reading` (cells → a Row) →
`checking` (the dry run) and `writing` / `writing_parties` (rows → database) → `running`
(one import from start to end) → `tasks` (the worker's entry points) → this module.

Rules: bad rows are reported with line, column and reason; they are skipped only when the
user asked for "valid rows only", otherwise nothing is imported. A row is all or nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.catalog.models import Product
from voronka.core.errors import DomainError, NotPermitted
from voronka.crm.models import LeadSource
from voronka.pipeline.models import LostReason, Pipeline, Stage

from .checking import import_check, scan_values
from .errors import FileTooLarge, ImportNotReady, InvalidRowsPresent
from .fields import VALUE_FIELDS, fields_for, guess_mapping
from .models import ImportJob, ImportKind, ImportMapping, ImportStatus, OnMatch
from .parsing import UnreadableFile, header_hash, read_table
from .people import departments_for_new_owners
from .resolving import NEW, Resolver, owner_candidates
from .rollback import created_deal_count, roll_back_now, written_rows
from .running import import_run, running_written_message
from .tasks import run_check, run_import, run_roll_back

__all__ = [  # re-exported for the views, the command and the tests
    "NEW", "FileTooLarge", "ImportNotReady", "InvalidRowsPresent", "import_check", "import_run",
    "written_rows",
]  # fmt: skip


def max_upload_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024)


def background_threshold() -> int:
    """Files with more rows than this are imported by a task worker."""
    return getattr(settings, "IMPORT_BACKGROUND_ROWS", 2000)


def inline_bytes() -> int:
    """Files up to this size are read and checked in the request; larger ones only by a task
    worker (the upload itself reads no more than the header row and a few sample rows)."""
    return getattr(settings, "IMPORT_INLINE_BYTES", 64 * 1024)


def _is_small(job: ImportJob) -> bool:
    return len(job.content) <= inline_bytes()


def can_import(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_admin or user.is_head))


def _require_importer(user: User) -> None:
    if not can_import(user):
        raise NotPermitted()


# ------------------------------------------------------------------------------ wizard steps
def import_job_create(*, user: User, kind: str, file_name: str, data: bytes) -> ImportJob:
    """Store an uploaded file and propose a column mapping from its header and first rows.

    The mapping used last time for the same header row is offered first; otherwise it is
    guessed from the header names. Raises NotPermitted, FileTooLarge, UnreadableFile.
    """
    _require_importer(user)
    if kind not in ImportKind.values:
        raise DomainError(_("Choose what the file contains."), field="kind")
    if kind == ImportKind.USERS and not user.is_admin:
        raise NotPermitted(_("Only administrators may import users."), field="kind")
    limit = max_upload_bytes()
    if len(data) > limit:
        raise FileTooLarge(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(len(data) / 2**20, 1), "limit": round(limit / 2**20)},
            field="file",
        )
    table = read_table(data)
    samples = _samples(table, len(table.headers))
    if not any(samples):
        raise UnreadableFile(_("The file has no rows below the header row."), field="file")
    remembered = ImportMapping.objects.filter(
        kind=kind, header_hash=header_hash(table.headers)
    ).first()
    mapping = remembered.mapping if remembered else guess_mapping(kind, table.headers, samples)
    return ImportJob.objects.create(
        kind=kind,
        created_by=user,
        file_name=file_name[:255],
        content=data,
        encoding=table.encoding,
        delimiter=table.delimiter,
        headers=table.headers,
        row_count=0,  # counted by the check, in the background for a large file
        mapping={key: index for key, index in mapping.items() if index < len(table.headers)},
    )


def import_job_set_mapping(*, job: ImportJob, mapping: dict[str, int]) -> ImportJob:
    """Save the column mapping and remember it for files with the same header row.

    Raises DomainError when a required field has no column or a column index is invalid.
    """
    known = {item.key: item for item in fields_for(job.kind)}
    clean = {}
    for key, index in mapping.items():
        if key not in known or index is None or index == "":
            continue
        index = int(index)
        if not 0 <= index < len(job.headers):
            raise DomainError(_("Unknown column."), field=key)
        clean[key] = index
    missing = [
        str(item.label)
        for item in known.values()
        if item.required and item.key not in clean and not _updates_only(job.kind, item.key, clean)
    ]
    if job.kind == ImportKind.CONTACTS and not {"contact_name", "first_name", "last_name"} & set(
        clean
    ):
        missing.append(str(_("Contact name")))
    if missing:
        raise DomainError(
            _("Choose a column for: %(fields)s.") % {"fields": ", ".join(missing)}, field="mapping"
        )
    job.mapping = clean
    job.status = ImportStatus.UPLOADED
    job.report = {}
    job.save(update_fields=["mapping", "status", "report"])
    ImportMapping.objects.update_or_create(
        kind=job.kind,
        header_hash=header_hash(job.headers),
        defaults={"headers": job.headers, "mapping": clean},
    )
    return job


def _updates_only(kind: str, key: str, mapping: dict[str, int]) -> bool:
    """A deals file with external ids needs no title: its rows may only update deals."""
    return kind == ImportKind.DEALS and key == "title" and "external_id" in mapping


@dataclass
class UnknownValue:
    value: str
    rows: int
    chosen: str = ""  # the current choice from the job's value map ("" = none yet)


def unknown_values(job: ImportJob) -> dict[str, list[UnknownValue]]:
    """Values of stage/owner/source/lost-reason/pipeline columns the database does not know.

    A large file is read for them only by the check (in the background); before that it has
    none to show, and its check report names the unknown values row by row.
    """
    scan = _value_scan(job)
    value_map = job.value_map or {}
    return {
        key: [
            UnknownValue(value, count, str(value_map.get(key, {}).get(value, "")))
            for value, count in sorted(counts.items())
        ]
        for key, counts in scan["unknown"].items()
        if counts
    }


def _value_scan(job: ImportJob) -> dict:
    if "unknown" in (job.report or {}):
        return job.report
    if not _is_small(job):
        return {"unknown": {}, "outcomes": False}
    return scan_values(job)


def import_job_set_values(
    *, job: ImportJob, value_map: dict[str, dict[str, str]], options: dict | None = None
) -> ImportJob:
    """Save how unknown values map: to an existing record's id, NEW (sources, lost reasons),
    or an outcome ("won"/"lost", stage values); and the wizard's options for closed deals whose
    file does not say their stage (`CLOSING_OPTIONS`).

    Stages and owners map only to existing ones. Raises DomainError on a bad choice.
    """
    resolver = Resolver(job, use_value_map=False)
    clean: dict[str, dict[str, str]] = {}
    for key, choices in value_map.items():
        if key not in VALUE_FIELDS:
            continue
        for raw, choice in choices.items():
            choice = str(choice or "")
            if not choice:
                continue
            if choice == NEW and key not in {"owner", "lead_source", "lost_reason", "product_name"}:
                raise DomainError(_("Map «%(value)s» to an existing record.") % {"value": raw})
            if choice != NEW and not resolver.valid_choice(key, choice):
                raise DomainError(_("Unknown choice for «%(value)s».") % {"value": raw})
            clean.setdefault(key, {})[raw] = choice
    job.value_map = clean
    if options is not None:
        job.options = {**(job.options or {}), **_clean_options(options, resolver)}
    job.status = ImportStatus.UPLOADED
    # What the file holds stays known (the values step of a large file shows it again).
    job.report = {key: job.report[key] for key in ("unknown", "outcomes") if key in job.report}
    job.save(update_fields=["value_map", "options", "status", "report"])
    return job


# Where a closed deal ended when the file does not say: besides a stage id.
CLOSING_OPTIONS = {"won_stage": ("last",), "lost_stage": ("column", "first")}


def _clean_options(options: dict, resolver: Resolver) -> dict:
    clean = {}
    department = str(options.get("owner_department") or "")
    if department:
        allowed = departments_for_new_owners(resolver.job.created_by)
        if not department.isdigit() or not allowed.filter(pk=int(department)).exists():
            raise DomainError(
                _("Choose a department for the new owners."), field="owner_department"
            )
        clean["owner_department"] = int(department)
    for key, named in CLOSING_OPTIONS.items():
        value = str(options.get(key) or "")
        if not value:
            continue
        is_stage = value.isdigit() and resolver.valid_choice("stage", value)
        if value not in named and not is_stage:
            raise DomainError(_("Choose a stage for closed deals."), field=key)
        clean[key] = value
    return clean


def closing_choices(job: ImportJob) -> dict[str, list[tuple[str, str]]]:
    """Choices for "where did a closed deal end" (the values step of a deals file)."""
    stages = [(str(pk), label) for pk, label in value_options(job)["stage"] if pk.isdigit()]
    return {
        "won_stage": [("last", _("It passed every stage (won at the last one)")), *stages],
        "lost_stage": [
            ("column", _("At the stage in the «Stage when closed» column, else the first")),
            ("first", _("At the first stage")),
            *stages,
        ],
    }


def new_owner_departments(job: ImportJob) -> list[tuple[str, str]]:
    """Departments new owners may be put in (the values step's choice)."""
    return [
        (str(department.pk), department.name)
        for department in departments_for_new_owners(job.created_by)
    ]


def asks_about_closing(job: ImportJob) -> bool:
    """Whether the values step asks where closed deals ended: a deals file with a status
    column, a «Stage when closed» column, or outcomes among its stage values."""
    if job.kind != ImportKind.DEALS:
        return False
    if {"status", "closed_stage"} & set(job.mapping):
        return True
    return "stage" in job.mapping and bool(_value_scan(job)["outcomes"])


def value_options(job: ImportJob) -> dict[str, list[tuple[str, str]]]:
    """Choices for the value-mapping step: (id, label) per value field."""
    user = job.created_by
    stages = Stage.objects.select_related("pipeline").order_by(
        "pipeline__order", "pipeline__name", "order"
    )
    stage_choices = [(str(s.pk), f"{s.pipeline.name} · {s.name}") for s in stages]
    return {
        "pipeline": [(str(p.pk), p.name) for p in Pipeline.objects.all()],
        "stage": [
            ("won", _("Outcome: won")),
            ("lost", _("Outcome: lost")),
            *stage_choices,
        ],
        "closed_stage": stage_choices,
        "owner": [(str(u.pk), str(u)) for u in owner_candidates(user)],
        "lead_source": [(str(s.pk), s.name) for s in LeadSource.objects.all()],
        "lost_reason": [(str(r.pk), r.name) for r in LostReason.objects.all()],
        "product_name": [(str(p.pk), f"{p.name} ({p.sku})") for p in Product.objects.all()],
    }


def column_samples(job: ImportJob, count: int = 3) -> list[list[str]]:
    """The first non-empty values of each column, to help the user map it."""
    return _samples(read_table(bytes(job.content)), len(job.headers), count)


def _samples(table, columns: int, count: int = 3) -> list[list[str]]:
    samples: list[list[str]] = [[] for _column in range(columns)]
    for number, (_line, cells) in enumerate(table.rows):
        for index, value in enumerate(cells[:columns]):
            if value and len(samples[index]) < count:
                samples[index].append(value[:60])
        if number >= 50 or all(len(column) >= count for column in samples):
            break
    return samples


def import_check_start(*, job: ImportJob) -> bool:
    """Run the dry run now for small files (`inline_bytes`), through a task worker otherwise.

    Returns True when the check was queued (the job shows CHECKING until it is done).
    """
    if not _is_small(job):
        job.status = ImportStatus.CHECKING
        job.report = {}
        job.save(update_fields=["status", "report"])
        transaction.on_commit(lambda: run_check.enqueue(job.pk))
        return True
    import_check(job=job)
    return False


# ------------------------------------------------------------------------------ import
def import_job_start(
    *,
    job: ImportJob,
    user: User,
    valid_only: bool,
    on_match: str,
    in_background: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportJob:
    """Import a checked file: now for small files, through a task worker for large ones
    (`in_background` decides instead, e.g. False for the command, which is its own worker).

    Raises NotPermitted, ImportNotReady (not checked yet), InvalidRowsPresent (errors and not
    valid_only).
    """
    _require_owner(job, user)
    if job.status != ImportStatus.CHECKED:
        raise ImportNotReady()
    if job.report.get("invalid") and not valid_only:
        raise InvalidRowsPresent()
    if on_match not in OnMatch.values:
        raise DomainError(_("Choose what to do with rows that match existing records."))
    job.valid_only = valid_only
    job.on_match = on_match
    job.status = ImportStatus.QUEUED
    job.processed = 0
    job.save(update_fields=["valid_only", "on_match", "status", "processed"])
    if in_background is None:
        in_background = job.row_count > background_threshold()
    if in_background:
        transaction.on_commit(lambda: run_import.enqueue(job.pk))
    else:
        import_run(job=job, progress=progress)
        job.refresh_from_db()
    return job


def import_job_cancel(*, job: ImportJob, user: User) -> ImportJob:
    """Cancel an import: an upload not started is dropped; a running one stops after the batch
    it is writing (rows already written stay, the job lists their lines); a job whose worker
    died is marked cancelled at once. Raises NotPermitted."""
    _require_owner(job, user)
    if job.status in {ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.CHECKING}:
        job.status = ImportStatus.CANCELLED
        job.save(update_fields=["status"])
    elif job.is_stalled or job.status == ImportStatus.QUEUED:
        job.status = ImportStatus.CANCELLED
        job.message = running_written_message(job.written_lines)
        job.save(update_fields=["status", "message"])
    elif job.status == ImportStatus.RUNNING:
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
    return job


def import_job_resume(*, job: ImportJob, user: User) -> ImportJob:
    """Queue again a job whose worker died; it skips the lines already written.

    Raises NotPermitted, and ImportNotReady when the job is not stalled.
    """
    _require_owner(job, user)
    if not job.is_stalled:
        raise ImportNotReady(_("Only an import whose worker stopped can be resumed."))
    job.status = ImportStatus.QUEUED
    job.cancel_requested = False
    job.save(update_fields=["status", "cancel_requested"])
    transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


ROLLBACK_STATUSES = {ImportStatus.DONE, ImportStatus.CANCELLED, ImportStatus.FAILED}


def can_roll_back(job: ImportJob) -> bool:
    """Whether the job may be rolled back: an import of any kind (deals, companies and contacts
    point to their job; the products and users kinds record what they create on it) that is
    over (done, cancelled, failed) or whose worker died, and that wrote something; or one whose
    rollback worker died (the rollback is one transaction: nothing of it stayed)."""
    if not job.written_lines:
        return False
    if job.status == ImportStatus.ROLLING_BACK:
        return job.is_silent
    return job.status in ROLLBACK_STATUSES or job.is_stalled


def import_job_roll_back(
    *, job: ImportJob, user: User, in_background: bool | None = None
) -> ImportJob:
    """Remove what the import created — its deals with their whole history, the companies,
    contacts, owners, lead sources, lost reasons, products, product lines, people and
    departments it made, those unused — and nothing that existed before it; changes it made to
    existing records stay (see `rollback`). The analytics summary, returning-customer flags and
    win probabilities are recomputed. Now for small imports, through a task worker when the job
    created more deals than `background_threshold()` (`in_background` decides instead).

    Raises NotPermitted (a users import is rolled back by an administrator only, as it is
    imported), and ImportNotReady for a job still running or queued, or one that wrote nothing.
    """
    _require_owner(job, user)
    if job.kind == ImportKind.USERS and not user.is_admin:
        raise NotPermitted(_("Only administrators may roll back an import of users."))
    if not can_roll_back(job):
        raise ImportNotReady(
            _("Only a finished, cancelled or stopped import that wrote rows can be rolled back.")
        )
    if in_background is None:
        in_background = created_deal_count(job) > background_threshold()
    if not in_background:
        return roll_back_now(job.pk)
    job.status = ImportStatus.ROLLING_BACK
    job.heartbeat_at = timezone.now()
    job.cancel_requested = True
    job.save(update_fields=["status", "heartbeat_at", "cancel_requested"])
    transaction.on_commit(lambda: run_roll_back.enqueue(job.pk))
    return job


def _require_owner(job: ImportJob, user: User) -> None:
    _require_importer(user)
    if job.created_by_id != user.pk and not user.is_admin:
        raise NotPermitted()
