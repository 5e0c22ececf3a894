"""The stage summary: velocity, transitions and managers without joining every stage visit.

At a million deals those pages joined about 1.1M stage visits to the period's deals (2 s even
as hand-written SQL). `StageDaySummary` holds the same counts grouped by (pipeline, cohort day,
deal owner, stage): a page sums the rows of its period and visible owners instead.

Exactness. A *region* is every deal of some pipelines, some owners and a range of cohort days;
it is a union of whole summary cells. Refreshing a region deletes its summary rows and
recomputes them from the raw history of the deals in it, so the result is exact whatever
changed inside. The pipeline services refresh the region of the deal they write (old and new
cell) in their own transaction (the `deal_write` hook, `keep_deal_cells`); the bulk writer
(`pipeline.bulk`, used by the importer) adds the rows of the new deals it wrote (the
`deals_added` hook); the demo generator and `manage.py rebuild_analytics_summary` rebuild
everything. `summary_reads.summary_is_built()` stays false until the first rebuild, and the pages
compute from raw rows until then.

Open stays are not stored: their age depends on "now", and there are few of them, so velocity
reads them raw.

`ChannelDaySummary` is kept the same way, over the same cells (every refresh, rebuild and
new-deal batch writes both), for the channels page: deals per lead source, customer type and
maturity without joining every deal of the period to its company (0.9 s of 1.1 at 1M). Two
more things move a deal between its rows without touching its cell: a company's new customer
type (`customer_type_changed` hook, run by `crm.services.company_update`), which refreshes the
cells of its deals, and a returning-customer flag flipped by
`pipeline.bulk.refresh_returning_customers` (`deals_changed` hook), which moves each flipped
deal from the row of its old flag to the row of its new one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from voronka.core.local_time import local_trunc
from voronka.crm.models import Company
from voronka.pipeline.models import (
    Deal,
    DealStatus,
    StageChange,
    StageChangeKind,
    StageVisit,
    VisitOutcome,
)

from .filters import day_start
from .models import ChannelDaySummary, StageDaySummary, SummaryMeasure, SummaryState

EXIT_WON = -1
EXIT_LOST = -2
EXIT_KEYS = {StageChangeKind.WON: EXIT_WON, StageChangeKind.LOST: EXIT_LOST}
EXIT_KINDS = {StageChangeKind.MOVED, StageChangeKind.WON, StageChangeKind.LOST}


@dataclass(frozen=True)
class SummaryRegion:
    """Deals of these pipelines and owners whose cohort day is in [day_from, day_to]."""

    pipeline_ids: frozenset[int]
    owner_ids: frozenset[int]
    day_from: date
    day_to: date

    def deals(self) -> QuerySet[Deal]:
        return Deal.objects.filter(
            pipeline_id__in=self.pipeline_ids,
            owner_id__in=self.owner_ids,
            first_contact_at__gte=day_start(self.day_from),
            first_contact_at__lt=day_start(self.day_to + timedelta(days=1)),
        )

    def rows(self, model=StageDaySummary) -> QuerySet:
        return model.objects.filter(
            pipeline_id__in=self.pipeline_ids,
            owner_id__in=self.owner_ids,
            cohort_day__gte=self.day_from,
            cohort_day__lte=self.day_to,
        )


def cohort_day(deal: Deal) -> date:
    return timezone.localtime(deal.first_contact_at).date()


def deal_cell(deal: Deal) -> tuple[int, int, date]:
    """(pipeline id, owner id, cohort day) of a deal as it is in memory."""
    return deal.pipeline_id, deal.owner_id, cohort_day(deal)


def _region_of_cells(cells: Iterable[tuple[int, int, date]]) -> SummaryRegion | None:
    cells = list(cells)
    if not cells:
        return None
    return SummaryRegion(
        pipeline_ids=frozenset(cell[0] for cell in cells),
        owner_ids=frozenset(cell[1] for cell in cells),
        day_from=min(cell[2] for cell in cells),
        day_to=max(cell[2] for cell in cells),
    )


# --- Building rows from raw history --------------------------------------------------------


def _cell_fields(prefix: str = "") -> dict:
    # The local day through SQLite's own date() where the zone keeps one offset (exact for
    # every row; Django's TruncDate calls Python per row there: 8 of the 9 s a 100k-deal
    # import spent refreshing the channel rows of its returning customers).
    now = timezone.now()
    return {
        "pipeline_ref": F(f"{prefix}pipeline_id"),
        "owner_ref": F(f"{prefix}owner_id"),
        "day": local_trunc("day", f"{prefix}first_contact_at", now, now),
    }


def _measure_queries(
    deals: QuerySet[Deal] | None,
) -> list[tuple[str, QuerySet, str, str, str, str]]:
    """(measure, grouped query, key, count, successes, amount expressions over its columns).

    The same GROUP BYs the pages ran over raw rows, per cell: each query's first four columns
    are pipeline_ref, owner_ref, day, stage_ref.
    """
    from .velocity import whole_days  # velocity reads this module; import it late

    # None: every deal (a rebuild), without the IN (subquery) that a subset needs.
    every = {} if deals is None else {"deal__in": deals.values("pk")}
    visits = StageVisit.objects.filter(pipeline_id=F("deal__pipeline_id"), **every)
    cell = _cell_fields("deal__")
    columns = ("pipeline_ref", "owner_ref", "day", "stage_ref")
    stays = (
        visits.filter(left_at__isnull=False)
        .annotate(**cell, stage_ref=F("stage_id"), days=whole_days(F("entered_at"), F("left_at")))
        .values(*columns, "days")
        .annotate(n=Count("id"))
        .order_by()
    )
    entered = (
        visits.annotate(**cell, stage_ref=F("stage_id"))
        .values(*columns)
        .annotate(n=Count("deal_id", distinct=True))
        .order_by()
    )
    trials = (
        visits.exclude(outcome="")
        .annotate(**cell, stage_ref=F("stage_id"), seller=F("owner_id"))
        .values(*columns, "seller")
        .annotate(
            n=Count("id"),
            ok=Count("id", filter=Q(outcome__in=[VisitOutcome.ADVANCED, VisitOutcome.WON])),
        )
        .order_by()
    )
    lost = (
        (Deal.objects.all() if deals is None else deals)
        .filter(status=DealStatus.LOST)
        .annotate(**_cell_fields(), stage_ref=F("stage_id"))
        .values(*columns)
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    exits = (
        StageChange.objects.filter(
            **every,
            kind__in=[StageChangeKind.MOVED, StageChangeKind.WON, StageChangeKind.LOST],
            from_stage__isnull=False,
        )
        .annotate(**cell, stage_ref=F("from_stage_id"))
        .values(*columns, "kind", "to_stage_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    exit_key = (
        f"CASE WHEN q.kind = '{StageChangeKind.WON.value}' THEN {EXIT_WON} "
        f"WHEN q.kind = '{StageChangeKind.LOST.value}' THEN {EXIT_LOST} ELSE q.to_stage_id END"
    )
    return [
        (SummaryMeasure.STAY, stays, "COALESCE(q.days, 0)", "q.n", "0", "0"),
        (SummaryMeasure.ENTERED, entered, "0", "q.n", "0", "0"),
        (SummaryMeasure.TRIAL, trials, "q.seller", "q.n", "q.ok", "0"),
        (SummaryMeasure.LOST, lost, "0", "q.n", "0", "COALESCE(q.total, 0)"),
        (SummaryMeasure.EXIT, exits, exit_key, "q.n", "0", "0"),
    ]


def _insert_rows(deals: QuerySet[Deal] | None) -> int:
    """INSERT … SELECT every measure of these deals: no row travels through Python."""
    quote = connection.ops.quote_name
    table = quote(StageDaySummary._meta.db_table)
    target = ", ".join(
        quote(StageDaySummary._meta.get_field(name).column)
        for name in (
            "pipeline",
            "owner",
            "cohort_day",
            "stage",
            "measure",
            "key",
            "count",
            "successes",
            "amount",
        )
    )
    written = 0
    with connection.cursor() as cursor:
        for measure, query, key, count, successes, amount in _measure_queries(deals):
            sql, params = query.query.sql_with_params()
            cursor.execute(
                f"INSERT INTO {table} ({target}) "
                f"SELECT q.pipeline_ref, q.owner_ref, q.day, q.stage_ref, %s, {key}, {count}, "
                f"{successes}, {amount} FROM ({sql}) q",
                (str(measure.value), *params),
            )
            written += max(cursor.rowcount, 0)
    return written


WON = Q(status=DealStatus.WON)


def _channel_query(deals: QuerySet[Deal] | None) -> QuerySet:
    """The channels page's grouped scan of these deals (None: every deal), per cell."""
    return (
        (Deal.objects.all() if deals is None else deals)
        .annotate(
            **_cell_fields(),
            source_ref=F("lead_source_id"),
            type_ref=Coalesce("company__customer_type", Value("")),
            returning_ref=F("is_returning_customer"),
        )
        .values("pipeline_ref", "owner_ref", "day", "source_ref", "type_ref", "returning_ref")
        .annotate(
            n=Count("id"),
            won=Count("id", filter=WON),
            lost=Count("id", filter=Q(status=DealStatus.LOST)),
            open=Count("id", filter=Q(status=DealStatus.OPEN)),
            revenue=Sum("amount", filter=WON),
        )
        .order_by()
    )


CHANNEL_COLUMNS = (
    "pipeline_id", "owner_id", "cohort_day", "lead_source_id", "customer_type", "is_returning",
    "deals", "won", "lost", "open", "revenue",
)  # fmt: skip


def _insert_channel_rows(deals: QuerySet[Deal] | None) -> int:
    quote = connection.ops.quote_name
    target = ", ".join(quote(name) for name in CHANNEL_COLUMNS)
    sql, params = _channel_query(deals).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(ChannelDaySummary._meta.db_table)} ({target}) "
            "SELECT q.pipeline_ref, q.owner_ref, q.day, q.source_ref, q.type_ref, "
            "q.returning_ref, q.n, q.won, q.lost, q.open, COALESCE(q.revenue, 0) "
            f"FROM ({sql}) q",
            params,
        )
        return max(cursor.rowcount, 0)


def _replace(region: SummaryRegion | None, *, stages: bool = True) -> int:
    """Recompute the rows of a region (None: everything) from raw rows: the stage summary's
    (unless ``stages`` is false) and the channel summary's."""
    deals = None if region is None else region.deals()
    written = 0
    with transaction.atomic():
        if stages:
            (StageDaySummary.objects.all() if region is None else region.rows()).delete()
            written += _insert_rows(deals)
        channel_rows = region.rows(ChannelDaySummary) if region else ChannelDaySummary.objects
        channel_rows.all().delete()
        written += _insert_channel_rows(deals)
    return written


# --- Keeping it exact ----------------------------------------------------------------------


def summary_rebuild() -> int:
    """Recompute every row from raw history (after bulk loads or a restore); returns the count.

    Also marks the summary as built, so pages start reading it.
    """
    with transaction.atomic():
        count = _replace(None)
        SummaryState.objects.all().delete()
        SummaryState.objects.create(built_at=timezone.now())
        _gather_statistics()
    return count


def _gather_statistics() -> None:
    """Planner statistics of the rewritten tables: without them PostgreSQL took the channel
    summary's 119k rows of a year for 8 and sorted them on disk (autovacuum may be off or
    late after a rebuild)."""
    with connection.cursor() as cursor:
        for model in (StageDaySummary, ChannelDaySummary):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def summary_refresh_cells(cells: Iterable[tuple[int, int, date]]) -> None:
    """Recompute the region covering these (pipeline id, owner id, cohort day) cells."""
    region = _region_of_cells(cells)
    if region is not None:
        _replace(region)


def summary_refresh_for_deals(deal_ids: Iterable[int], *, previous_cells=()) -> None:
    """Recompute the cells of these deals as they are now, and ``previous_cells`` (the cells
    the deals were in before a change of owner, pipeline or first contact).

    The importer calls this after writing deals; the services call it for each deal they
    write. Runs in the caller's transaction.
    """
    cells = set(previous_cells)
    deal_ids = list(deal_ids)
    for start in range(0, len(deal_ids), 5000):
        for pipeline_id, owner_id, first_contact_at in Deal.objects.filter(
            pk__in=deal_ids[start : start + 5000]
        ).values_list("pipeline_id", "owner_id", "first_contact_at"):
            cells.add((pipeline_id, owner_id, timezone.localtime(first_contact_at).date()))
    summary_refresh_cells(cells)


# Cells refreshed one by one up to this many; more are refreshed as their bounding region.
SEPARATE_CELLS = 20


def _deal_cells(deals: QuerySet[Deal]) -> set[tuple[int, int, date]]:
    return {
        (pipeline_id, owner_id, timezone.localtime(first_contact_at).date())
        for pipeline_id, owner_id, first_contact_at in deals.values_list(
            "pipeline_id", "owner_id", "first_contact_at"
        )
    }


def _refresh_channel_cells(cells: set[tuple[int, int, date]]) -> None:
    """Recompute the channel rows of these cells (the stage rows did not change)."""
    if len(cells) <= SEPARATE_CELLS:
        regions = [_region_of_cells([cell]) for cell in cells]
    else:
        regions = [_region_of_cells(cells)]
    for region in regions:
        _replace(region, stages=False)


def summary_refresh_channels_for_deals(deal_ids: Iterable[int]) -> None:
    """The `deals_changed` hook: these deals' returning-customer flag was just flipped.

    Each deal moves from the channel row of its old flag to the row of its new one: the rows
    of the keys it left and entered are merged with the moves applied, and nothing else is
    read (recomputing the cells from their deals rescanned a whole 100k-deal import, 2.3 s,
    after a file sorted newest first). Should a row not hold a deal it is said to leave, the
    cells are recomputed from their deals instead.
    """
    deal_ids = list(deal_ids)
    moves: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0)])
    position = {DealStatus.WON: 1, DealStatus.LOST: 2, DealStatus.OPEN: 3}
    zone = timezone.get_current_timezone()
    for start in range(0, len(deal_ids), 5000):
        for *fields, returning, status, amount in Deal.objects.filter(
            pk__in=deal_ids[start : start + 5000]
        ).values_list(
            "pipeline_id", "owner_id", "first_contact_at", "lead_source_id",
            "company__customer_type", "is_returning_customer", "status", "amount",
        ):  # fmt: skip
            pipeline_id, owner_id, first_contact_at, source_id, customer_type = fields
            cell = (pipeline_id, owner_id, first_contact_at.astimezone(zone).date())
            for flag, sign in ((returning, 1), (not returning, -1)):
                counts = moves[(*cell, source_id, customer_type or "", flag)]
                counts[0] += sign
                counts[position[status]] += sign
                if status == DealStatus.WON:
                    counts[4] += sign * amount
    if moves:
        _apply_channel_moves(moves)


def _apply_channel_moves(moves: dict[tuple, list]) -> None:
    """Replace the channel rows of the moved keys by one row each, moves applied."""
    totals: dict[tuple, list] = {key: list(counts) for key, counts in moves.items()}
    replaced: list[int] = []
    rows = ChannelDaySummary.objects.filter(
        pipeline_id__in={key[0] for key in moves},
        owner_id__in={key[1] for key in moves},
        cohort_day__in={key[2] for key in moves},
    ).values_list("pk", *CHANNEL_COLUMNS)
    for pk, *key, deals, won, lost, still_open, revenue in rows.iterator(chunk_size=10_000):
        total = totals.get(tuple(key))
        if total is not None:
            replaced.append(pk)
            for index, value in enumerate((deals, won, lost, still_open, revenue)):
                total[index] += value
    if any(value < 0 for total in totals.values() for value in total):
        _refresh_channel_cells({key[:3] for key in moves})
        return
    for start in range(0, len(replaced), 5000):
        ChannelDaySummary.objects.filter(pk__in=replaced[start : start + 5000]).delete()
    _write_channel_rows([(*key, *total) for key, total in totals.items() if total[0]])


def summary_refresh_channels_for_companies(company_ids: Iterable[int]) -> None:
    """The `customer_type_changed` hook: the deals of these companies changed customer type."""
    _refresh_channel_cells(_deal_cells(Deal.objects.filter(company_id__in=list(company_ids))))


def summary_add_new_deals(deals: Iterable[Deal], visits: Iterable, stage_changes: Iterable) -> int:
    """Add the rows of deals that were never counted (just created with their history).

    Every measure is a sum over deals, so the new deals' rows are simply inserted beside the
    existing ones (pages sum them; the next refresh of a cell or a rebuild merges them). No
    existing row is read or locked, which keeps a large import linear. The bulk writer calls
    this for every batch it writes, with the rows it has just written (saved ``deals`` with
    their ``visits`` and ``stage_changes``, tuples with the model's attribute names): the
    counts are the GROUP BYs of `_measure_queries` computed in Python, so nothing is read back.
    Returns the number of summary rows written.
    """
    deals = list(deals)
    return _write_summary_rows(
        _summary_rows_of_new_deals(deals, visits, stage_changes)
    ) + _write_channel_rows(_channel_rows_of_new_deals(deals))


def _channel_rows_of_new_deals(deals: list[Deal]) -> list[tuple]:
    """`_channel_query`'s groups of new deals, counted in Python (their companies' types are
    read, one query per 5,000 companies)."""
    company_ids = sorted({deal.company_id for deal in deals if deal.company_id is not None})
    types = {}
    for start in range(0, len(company_ids), 5000):
        types.update(
            Company.objects.filter(pk__any_of=company_ids[start : start + 5000]).values_list(
                "pk", "customer_type"
            )
        )
    zone = timezone.get_current_timezone()
    cells: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0)])
    position = {DealStatus.WON: 1, DealStatus.LOST: 2, DealStatus.OPEN: 3}
    for deal in deals:
        counts = cells[
            (
                deal.pipeline_id,
                deal.owner_id,
                deal.first_contact_at.astimezone(zone).date(),
                deal.lead_source_id,
                types.get(deal.company_id, ""),
                deal.is_returning_customer,
            )
        ]
        counts[0] += 1
        counts[position[deal.status]] += 1
        if deal.status == DealStatus.WON:
            counts[4] += deal.amount
    return [(*cell, *counts) for cell, counts in cells.items()]


def _write_channel_rows(rows: list[tuple]) -> int:
    from voronka.core.row_copy import RowWriter

    return RowWriter(ChannelDaySummary, CHANNEL_COLUMNS, now=timezone.now()).write(rows)


def _summary_rows_of_new_deals(deals, visits, stage_changes) -> list[tuple]:
    from .velocity import whole_days_function  # velocity reads this module; import it late

    whole_days = whole_days_function(connection.vendor)
    zone = timezone.get_current_timezone()  # of `cohort_day`, looked up once
    cells = {}
    lost: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for deal in deals:
        day = deal.first_contact_at.astimezone(zone).date()
        cell = cells[deal.pk] = (deal.pipeline_id, deal.owner_id, day)
        if deal.status == DealStatus.LOST:
            counts = lost[(*cell, deal.stage_id)]
            counts[0] += 1
            counts[1] += deal.amount
    stays: Counter = Counter()
    entered: dict[tuple, set] = defaultdict(set)
    trials: dict[tuple, list] = defaultdict(lambda: [0, 0])
    succeeded = {VisitOutcome.ADVANCED.value, VisitOutcome.WON.value}
    # Tuples unpacked, not read by attribute name: a 100k-deal import goes through 1.5M.
    for deal_id, pipeline_id, stage_id, seller_id, entered_at, left_at, outcome in visits:
        cell = cells[deal_id]
        if pipeline_id != cell[0]:  # as the raw queries: stays in the deal's pipeline
            continue
        entered[(*cell, stage_id)].add(deal_id)
        if left_at is not None:
            stays[(*cell, stage_id, whole_days(entered_at, left_at))] += 1
        if outcome:
            counts = trials[(*cell, stage_id, seller_id)]
            counts[0] += 1
            counts[1] += outcome in succeeded
    exits: Counter = Counter()
    for deal_id, kind, from_stage_id, to_stage_id, *_rest in stage_changes:
        if kind in EXIT_KINDS and from_stage_id is not None:
            exits[(*cells[deal_id], from_stage_id, EXIT_KEYS.get(kind, to_stage_id))] += 1
    stay, enter, trial = (
        SummaryMeasure.STAY.value, SummaryMeasure.ENTERED.value, SummaryMeasure.TRIAL.value
    )  # fmt: skip
    zero = Decimal(0)
    rows = [(*cell, stay, days, n, 0, zero) for (*cell, days), n in stays.items()]
    rows += [(*cell, enter, 0, len(ids), 0, zero) for cell, ids in entered.items()]
    rows += [(*cell, trial, seller, n, ok) + (zero,) for (*cell, seller), (n, ok) in trials.items()]
    rows += [
        (*cell, SummaryMeasure.LOST.value, 0, n, 0, total) for cell, (n, total) in lost.items()
    ]
    rows += [
        (*cell, SummaryMeasure.EXIT.value, key, n, 0, zero) for (*cell, key), n in exits.items()
    ]
    return rows


SUMMARY_COLUMNS = (
    "pipeline_id", "owner_id", "cohort_day", "stage_id", "measure", "key", "count", "successes",
    "amount",
)  # fmt: skip


def _write_summary_rows(rows: list[tuple]) -> int:
    from voronka.core.row_copy import RowWriter

    return RowWriter(StageDaySummary, SUMMARY_COLUMNS, now=timezone.now()).write(rows)


def keep_deal_cells(before: Deal | None):
    """The `deal_write` hook (core/hooks.py), run inside every deal service's transaction: the
    summary cells of the deal as it was and as written are recomputed."""
    previous = [deal_cell(before)] if before is not None else []

    def after(written: Deal) -> None:
        summary_refresh_for_deals([written.pk], previous_cells=previous)

    return after
