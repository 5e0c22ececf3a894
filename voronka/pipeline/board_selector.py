"""Reads for the pipeline board (a selector): the filtered open deals of a pipeline, column
totals and the first cards of every column.

Reads start from `visible_deals(user)` and go through the shared `DealFilterSet`. Column
totals are one GROUP BY over the whole filtered column; the first cards of every column come
from one windowed query; more cards load per column as the user scrolls. So the page costs a
fixed number of queries whether the pipeline holds ten deals or ten thousand.
"""

from decimal import Decimal

from django.db.models import Count, F, FloatField, Sum, Window
from django.db.models.functions import Cast, RowNumber
from django.template.defaultfilters import floatformat
from django.urls import NoReverseMatch, reverse
from django.utils.formats import localize
from django.utils.translation import ngettext

from voronka.accounts.visibility import visible_deals
from voronka.core.models import Organisation
from voronka.pipeline.filters import DealFilterSet
from voronka.pipeline.models import Deal, DealStatus, Pipeline, Stage
from voronka.pipeline.probability import effective_probability

CARDS_PER_PAGE = 30
# Filters the board offers; pipeline, stage and status are the board's own axes.
BOARD_FILTERS = ("q", "owner", "department", "lead_source", "product", "created", "only_rotting")


def request_organisation(request) -> Organisation:
    """The organisation, loaded once per request (the header's context processor reuses it)."""
    if getattr(request, "organisation", None) is None:
        request.organisation = Organisation.current()
    return request.organisation


def _deal_url_pattern() -> str:
    """The deal card's URL with a `{pk}` hole: one reverse() per page instead of one per card."""
    try:
        return reverse("pipeline:deal_detail", args=[987654321]).replace("987654321", "{pk}")
    except NoReverseMatch:  # the deal card ships separately; the board must not break
        return "/deals/{pk}/"


def board_filterset(request, pipeline: Pipeline) -> DealFilterSet:
    deals = visible_deals(request.user).filter(pipeline=pipeline, status=DealStatus.OPEN)
    data = request.GET.copy()
    for name in ("pipeline", "stage", "status", "lost_reason", "offset"):
        data.pop(name, None)
    return DealFilterSet(data, queryset=deals, request=request)


def filtered_deals(filterset: DealFilterSet):
    """The filtered open deals; an invalid filter value is a 400 with the field's message."""
    if not filterset.is_valid():
        messages = "; ".join(
            f"{filterset.form.fields[name].label}: {' '.join(errors)}"
            if name in filterset.form.fields
            else " ".join(errors)
            for name, errors in filterset.form.errors.items()
        )
        raise BadFilter(messages)
    return filterset.qs.order_by()


class BadFilter(Exception):
    pass


def _weighted_amount():
    """amount × the deal's estimated win probability, else the stage's manual probability."""
    return Sum(Cast(F("amount"), FloatField()) * effective_probability(), output_field=FloatField())


def column_totals(deals) -> dict[int, dict]:
    """Count, amount and weighted amount per stage for the whole filtered set, in one query."""
    rows = (
        deals.order_by()
        .values("stage_id")
        .annotate(
            column_count=Count("pk"),
            column_amount=Sum("amount"),
            column_weighted=_weighted_amount(),
        )
    )
    return {
        row["stage_id"]: {
            "count": row["column_count"],
            "amount": row["column_amount"] or Decimal(0),
            "weighted": Decimal(str(round(row["column_weighted"] or 0, 2))),
        }
        for row in rows
    }


def card_order():
    return [F("stage_entered_at").desc(), F("pk").desc()]


def decorate_cards(deals: list[Deal], stages_by_id: dict[int, Stage]) -> list[Deal]:
    """Attach what a card shows, computed from the deal's row and its (already loaded) stage.

    The amount and the days label are formatted here once per card: in the template they cost
    a filter and a plural translation per card, most of the board's rendering time (150
    cards)."""
    url_pattern = _deal_url_pattern()
    for deal in deals:
        stage = stages_by_id[deal.stage_id]
        deal.stage = stage
        deal.board_days = deal.days_in_stage
        deal.board_days_label = ngettext("%(days)s day", "%(days)s days", deal.board_days) % {
            "days": localize(deal.board_days)
        }
        deal.board_amount = floatformat(deal.amount, "0g")
        deal.board_rotting = stage.rotting_days is not None and deal.board_days > stage.rotting_days
        if deal.win_probability is not None:
            deal.board_probability = round(deal.win_probability * 100)
            deal.board_probability_manual = False
        else:
            deal.board_probability = stage.probability
            deal.board_probability_manual = True
        deal.board_url = url_pattern.format(pk=deal.pk)
    return deals


def first_cards(deals, stages: list[Stage]) -> dict[int, list[Deal]]:
    """The first `CARDS_PER_PAGE` cards of every column, in two queries.

    The window ranks only narrow rows (id, stage, date); the wide card rows and their company
    and owner are then read by primary key for the chosen ids alone. The ids are fetched first,
    not nested as a subquery: PostgreSQL cannot tell that the window keeps a few rows per
    column and hashed them against a full scan of every deal (90 ms at 100k deals).
    """
    first_ids = list(
        deals.annotate(
            board_rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=card_order())
        )
        .filter(board_rank__lte=CARDS_PER_PAGE)
        .values_list("pk", flat=True)
    )
    if not first_ids:
        return {stage.pk: [] for stage in stages}
    ranked = (
        Deal.objects.filter(pk__in=first_ids)
        .select_related("company", "owner")
        .order_by("stage_id", *card_order())
    )
    stages_by_id = {stage.pk: stage for stage in stages}
    cards: dict[int, list[Deal]] = {stage.pk: [] for stage in stages}
    for deal in decorate_cards(list(ranked), stages_by_id):
        cards.setdefault(deal.stage_id, []).append(deal)
    return cards


def filter_querystring(filterset: DealFilterSet) -> str:
    data = filterset.data.copy()
    for name in list(data):
        if not data.get(name):
            data.pop(name)
    return data.urlencode()


def board_filterset_unfiltered(request, pipeline):
    deals = visible_deals(request.user).filter(pipeline=pipeline, status=DealStatus.OPEN)
    return DealFilterSet({}, queryset=deals, request=request)
