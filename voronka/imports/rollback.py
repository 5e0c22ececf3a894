"""Rolling an import back: removing what one import job created, and nothing else.

What goes: the deals whose `import_job` is the job, with everything attached to them (their
history — stage changes, stage visits, amount and owner changes —, line items, contact links,
playbook steps done, and the activities, documents and feedback added to them since); the
companies and contacts the job created, unless something that stays refers to them (a deal, a
contact, an activity or a plan made otherwise: those are kept and counted); the records the job
recorded creating (`ImportJob.created_records`): owners, lead sources, lost reasons, products
and product lines made for a deals file, and the products, product lines, people and
departments a products or users file created — each unless any row that stays points to it (a
deal line, a plan, a deal or activity it owns, a child department, …: every foreign key counts,
so a new one cannot be forgotten) or, for a person, someone has signed in as them or set their
password. Those are kept as they are and counted.

What stays: every row that existed before the job, and the changes the job made to them (an
existing deal it updated, closed or moved keeps those changes and their history rows: they are
that deal's history now, and undoing them would need the state before, which nothing records).
The job page says so before the user confirms.

Then the derived data is made exact again in the same transaction: the analytics summary cells
of the removed deals are recomputed from what remains, the returning-customer flags of the
companies that keep deals, and the win probabilities (the fitted model and the cached column)
of the pipelines concerned.

History is append-only everywhere else (`AppendOnlyQuerySet` refuses deletes): this module is
the one exception (docs/architecture.md), and only for deals the rolled-back job created.
Everything is removed with set-based DELETEs keyed by the job (a partial index on
`import_job`), so rolling back 100k deals never loads them into Python.
"""

from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from voronka.accounts.models import Department, User
from voronka.activities.models import Activity
from voronka.analytics.models import ChannelDaySummary, StageDaySummary
from voronka.analytics.summary import summary_refresh_cells
from voronka.analytics.win_probability import recompute_pipeline
from voronka.catalog.models import Direction, Product
from voronka.crm.models import Company, Contact, LeadSource
from voronka.documents.models import Document
from voronka.feedback.models import Feedback
from voronka.pipeline.bulk import refresh_returning_customers
from voronka.pipeline.models import (
    AmountChange,
    Deal,
    DealLineItem,
    LostReason,
    OwnerChange,
    Pipeline,
    PlaybookStepCompletion,
    StageChange,
    StageVisit,
)
from voronka.plans.models import Plan

from .models import ImportJob, ImportKind, ImportStatus

# Rows that point to a deal, removed with the deals the job created (a test checks that this
# is every relation to Deal, so a new one cannot be forgotten).
DEAL_DEPENDENTS: list[type[models.Model]] = [
    StageChange,
    StageVisit,
    AmountChange,
    OwnerChange,
    DealLineItem,
    PlaybookStepCompletion,
    Activity,
    Document,
    Feedback,
    Deal.contacts.through,
]
# Things added to the job's deals after the import, removed with them (the page counts them).
ADDED_SINCE = {"activity": Activity, "document": Document, "feedback": Feedback}
# Records the job may have created, by the key of `ImportJob.created_records`, in the order
# they are removed: people before their departments, products before their product lines.
CREATED_MODELS: dict[str, type[models.Model]] = {
    "user": User,
    "department": Department,
    "lead_source": LeadSource,
    "lost_reason": LostReason,
    "product": Product,
    "direction": Direction,
}
# Rows that point to a created record without making it "in use": removed with it. A person's
# permission links, and the analytics summary cells of an owner (derived from deals and stage
# visits, which themselves keep the person).
GOES_WITH: set[type[models.Model]] = {
    User.groups.through,
    User.user_permissions.through,
    StageDaySummary,
    ChannelDaySummary,
}
LINKED_MODELS = {"deal": Deal, "company": Company, "contact": Contact}
KINDS = [*LINKED_MODELS, *CREATED_MODELS]


def kind_label(kind: str, job_kind: str = ImportKind.DEALS) -> str:
    """«Deals», «Companies», … «New owners (users)» (of a deals file) for the job page."""
    if kind == "user" and job_kind != ImportKind.USERS:
        return _("New owners (users)")
    model = LINKED_MODELS.get(kind) or CREATED_MODELS[kind]
    return str(capfirst(model._meta.verbose_name_plural))


def written_counts(job: ImportJob) -> dict[str, int]:
    """How many rows of each kind the job created: deals, companies and contacts that still
    point to it (one COUNT each, served by the partial index), and the reference records it
    recorded making (no query: the page's query count never depends on the job)."""
    counts = {
        kind: model.objects.filter(import_job=job).count() for kind, model in LINKED_MODELS.items()
    }
    for kind, pks in (job.created_records or {}).items():
        if kind in CREATED_MODELS:
            counts[kind] = len(pks)
    return {kind: counts[kind] for kind in KINDS if counts.get(kind)}


def added_since(job: ImportJob) -> dict[str, int]:
    """Activities, documents and feedback added to the job's deals since: they go with them."""
    deals = Deal.objects.filter(import_job=job).values("pk")
    counts = {
        kind: model.objects.filter(deal_id__in=deals).count() for kind, model in ADDED_SINCE.items()
    }
    return {kind: count for kind, count in counts.items() if count}


@dataclass
class WrittenRows:
    """What the job page shows of an import that wrote rows: (label, count) per kind."""

    created: list[tuple[str, int]]  # rows it created that still exist
    added_since: list[tuple[str, int]]  # rows others added to its deals since (go with them)
    removed: list[tuple[str, int]]  # after a rollback: what it removed …
    kept: list[tuple[str, int]]  # … and what it kept because something else uses it


def written_rows(job: ImportJob) -> WrittenRows:
    report = job.rollback_report or {}

    def labelled(counts: dict[str, int]) -> list[tuple[str, int]]:
        return [(kind_label(kind, job.kind), counts[kind]) for kind in KINDS if counts.get(kind)]

    if report:
        return WrittenRows([], [], labelled(report["removed"]), labelled(report["kept"]))
    since = added_since(job)
    return WrittenRows(
        labelled(written_counts(job)),
        [
            (str(capfirst(ADDED_SINCE[kind]._meta.verbose_name_plural)), n)
            for kind, n in since.items()
        ],
        [],
        [],
    )


def remember_created(job: ImportJob, made: dict[str, list[int]]) -> None:
    """Record on the job the records it created that have no `import_job` column (products,
    product lines, people, departments, lead sources, lost reasons), merged with those recorded
    before. Called in the transaction that created them, so what is recorded is exactly what
    was committed."""
    if not any(made.values()):
        return
    records = dict(job.created_records or {})
    for key, pks in made.items():
        if pks:
            records[key] = sorted({*records.get(key, []), *pks})
    ImportJob.objects.filter(pk=job.pk).update(created_records=records)
    job.created_records = records


def roll_back_now(job_id: int) -> ImportJob:
    """Remove what the job created and mark it rolled back, in one transaction that holds the
    job's row: a second request waits, then finds it rolled back and does nothing more."""
    from voronka.core.planner_statistics import planner_statistics_refresh

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status == ImportStatus.ROLLED_BACK:
            return job
        job.rollback_report = remove_written(job)
        job.status = ImportStatus.ROLLED_BACK
        # A worker that was only slow, not dead, stops before its next batch.
        job.cancel_requested = True
        job.message = ""
        job.save(update_fields=["rollback_report", "status", "cancel_requested", "message"])
    planner_statistics_refresh(rows_written=sum(job.rollback_report["removed"].values()))
    return job


def created_deal_count(job: ImportJob) -> int:
    return Deal.objects.filter(import_job=job).count()


def remove_written(job: ImportJob) -> dict[str, dict[str, int]]:
    """Remove what the job created (see the module docstring); returns {"removed": {kind: n},
    "kept": {kind: n}}. Runs in one transaction: all or nothing."""
    removed: dict[str, int] = {}
    kept: dict[str, int] = {}
    with transaction.atomic():
        deals = Deal.objects.filter(import_job=job).order_by()
        cells = set(
            deals.annotate(day=TruncDate("first_contact_at"))
            .values_list("pipeline_id", "owner_id", "day")
            .distinct()
        )
        pipeline_ids = set(deals.values_list("pipeline_id", flat=True).distinct())
        company_ids = set(
            deals.exclude(company=None).values_list("company_id", flat=True).distinct()
        )
        removed["deal"] = _remove_deals(deals)
        removed["contact"], kept["contact"] = _remove_unused(
            Contact.objects.filter(import_job=job),
            Q(Exists(Deal.contacts.through.objects.filter(contact_id=OuterRef("pk"))))
            | Q(Exists(Activity.objects.filter(contact_id=OuterRef("pk")))),
        )
        removed["company"], kept["company"] = _remove_unused(
            Company.objects.filter(import_job=job),
            Q(Exists(Deal.objects.filter(company_id=OuterRef("pk"))))
            | Q(Exists(Contact.objects.filter(company_id=OuterRef("pk"))))
            | Q(Exists(Activity.objects.filter(company_id=OuterRef("pk"))))
            | Q(Exists(Plan.objects.filter(company_id=OuterRef("pk")))),
        )
        for kind in CREATED_MODELS:
            if (job.created_records or {}).get(kind):
                removed[kind], kept[kind] = _remove_created(job, kind)
        # Derived data, exact again: what the removed deals counted in is recomputed.
        summary_refresh_cells(cells)
        refresh_returning_customers(
            Company.objects.filter(pk__in=company_ids).values_list("pk", flat=True)
        )
        for pipeline in Pipeline.objects.filter(pk__in=pipeline_ids):
            recompute_pipeline(pipeline)
    return {
        "removed": {kind: count for kind, count in removed.items() if count},
        "kept": {kind: count for kind, count in kept.items() if count},
    }


def _remove_deals(deals) -> int:
    ids = deals.values("pk")
    files = list(
        Document.objects.filter(deal_id__in=ids).exclude(file="").values_list("file", flat=True)
    )
    for model in DEAL_DEPENDENTS:
        # A plain DELETE … WHERE deal_id IN (the job's deals): the append-only history's
        # queryset refuses `.delete()` on purpose; this is its one documented exception.
        queryset = model._base_manager.filter(deal_id__in=ids)
        queryset._raw_delete(queryset.db)
    count = deals._raw_delete(deals.db)
    if files:
        transaction.on_commit(lambda: _delete_files(files))
    return count


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


def _remove_unused(rows, in_use: Q) -> tuple[int, int]:
    """Delete the rows nothing that stays refers to; returns (removed, kept)."""
    kept = rows.filter(in_use).count()
    unused = rows.exclude(in_use)
    return unused._raw_delete(unused.db), kept


def _remove_created(job: ImportJob, kind: str) -> tuple[int, int]:
    """Delete the records of `kind` the job created that nothing uses, set-based whatever their
    number; returns (removed, kept). A department is removed once the departments under it
    are: one more pass per level of the tree."""
    model = CREATED_MODELS[kind]
    rows = model._base_manager.filter(pk__in=_created_pks(job, kind))
    relations = _relations(model)
    in_use = Q(
        *(
            Exists(
                relation.related_model._base_manager.filter(**{relation.field.name: OuterRef("pk")})
            )
            for relation in relations
            if relation.related_model not in GOES_WITH
        ),
        _connector=Q.OR,
    )
    if model is User:
        in_use |= Q(last_login__isnull=False) | ~Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    tree = any(relation.related_model is model for relation in relations)
    removed = 0
    while True:
        unused = rows.exclude(in_use)
        for relation in relations:
            if relation.related_model in GOES_WITH:
                going = relation.related_model._base_manager.filter(
                    **{f"{relation.field.name}__in": unused.values("pk")}
                )
                going._raw_delete(going.db)
        count = unused._raw_delete(unused.db)
        removed += count
        if not (tree and count):
            return removed, rows.count()


def _relations(model: type[models.Model]) -> list:
    """Every foreign key that points to `model`, those of many-to-many links included."""
    return [
        field
        for field in model._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one)
    ]


def _created_pks(job: ImportJob, kind: str) -> RawSQL:
    """The pks the job recorded under `kind`, read by the database from the job's row: one
    statement for any number (a products file may create more than a statement can take as
    parameters)."""
    table = connection.ops.quote_name(ImportJob._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT (jsonb_array_elements_text(created_records -> %s))::bigint "
            f"FROM {table} WHERE id = %s"
        )
        return RawSQL(sql, [kind, job.pk])
    sql = f"SELECT value FROM {table}, json_each({table}.created_records, %s) WHERE {table}.id = %s"
    return RawSQL(sql, [f"$.{kind}", job.pk])
