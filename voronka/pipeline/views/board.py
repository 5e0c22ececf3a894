"""The pipeline board page: a column per stage, cards dragged between columns, Won/Lost drop
zones.

Reads come from `pipeline/board_selector.py` (visible deals through the shared `DealFilterSet`);
the JSON actions a drop posts live in `board_actions.py`.
"""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from voronka.core.formatting import currency_symbol
from voronka.pipeline.board_selector import (
    BOARD_FILTERS,
    CARDS_PER_PAGE,
    BadFilter,
    board_filterset,
    board_filterset_unfiltered,
    card_order,
    column_totals,
    decorate_cards,
    filter_querystring,
    filtered_deals,
    first_cards,
    request_organisation,
)
from voronka.pipeline.filters import DealFilterSet
from voronka.pipeline.models import LostReason, Pipeline, Stage


def _board_context(request, pipeline: Pipeline, filterset: DealFilterSet) -> dict:
    deals = filtered_deals(filterset)
    stages = list(pipeline.stages.order_by("order"))
    totals = column_totals(deals)
    cards = first_cards(deals, stages)
    empty = {"count": 0, "amount": Decimal(0), "weighted": Decimal(0)}
    organisation = request_organisation(request)
    columns = []
    for stage in stages:
        total = totals.get(stage.pk, empty)
        columns.append(
            {
                "stage": stage,
                "total": total,
                "cards": cards.get(stage.pk, []),
                "has_more": total["count"] > CARDS_PER_PAGE,
                "next_offset": CARDS_PER_PAGE,
            }
        )
    return {
        "pipeline": pipeline,
        "columns": columns,
        "board_total": {
            "count": sum(c["total"]["count"] for c in columns),
            "amount": sum((c["total"]["amount"] for c in columns), Decimal(0)),
            "weighted": sum((c["total"]["weighted"] for c in columns), Decimal(0)),
        },
        "currency": organisation.currency,
        "currency_symbol": currency_symbol(organisation.currency),
        "querystring": filter_querystring(filterset),
        "can_move": request.user.can_edit,
    }


def _bad_request(message: str):
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def board_default(request):
    """/board/ opens the default pipeline (or the first active one)."""
    pipeline = (
        Pipeline.objects.filter(is_active=True).order_by("-is_default", "order", "name").first()
    )
    if pipeline is None:
        return render(request, "pipeline/board_empty.html")
    url = reverse("pipeline:board", args=[pipeline.pk])
    if request.GET:
        url += "?" + request.GET.urlencode()
    return redirect(url)


@login_required
@require_GET
def board(request, pipeline_id: int):
    # The switcher's list of active pipelines also finds this one: one query, not two.
    pipelines = list(Pipeline.objects.filter(is_active=True))
    pipeline = next((item for item in pipelines if item.pk == pipeline_id), None)
    if pipeline is None:
        raise Http404(_("No such pipeline."))
    filterset = board_filterset(request, pipeline)
    try:
        context = _board_context(request, pipeline, filterset)
    except BadFilter as error:
        if request.htmx:
            return _bad_request(str(error))
        # The page still opens, without filters, with the message at the filter bar.
        context = _board_context(request, pipeline, board_filterset_unfiltered(request, pipeline))
        context["filter_error"] = str(error)
    context["filterset"] = filterset
    context["filter_fields"] = [filterset.form[name] for name in BOARD_FILTERS if name != "q"]
    if request.htmx and request.htmx.target == "board":
        return render(request, "pipeline/board_columns.html", context)
    context["pipelines"] = pipelines
    context["lost_reasons"] = list(LostReason.objects.filter(is_active=True))
    context["active_filters"] = sum(
        1 for name in BOARD_FILTERS if name in filterset.form.data and filterset.data.get(name)
    ) + (1 if filterset.data.get("created_after") or filterset.data.get("created_before") else 0)
    return render(request, "pipeline/board.html", context)


@login_required
@require_GET
def board_column(request, pipeline_id: int, stage_id: int):
    """More cards of one column (htmx, loaded when the last card scrolls into view)."""
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id, is_active=True)
    stage = get_object_or_404(Stage, pk=stage_id, pipeline=pipeline)
    try:
        offset = int(request.GET.get("offset", CARDS_PER_PAGE))
    except ValueError:
        return _bad_request(_("The offset must be a whole number."))
    if offset < 0:
        return _bad_request(_("The offset must be a whole number."))
    filterset = board_filterset(request, pipeline)
    try:
        deals = filtered_deals(filterset)
    except BadFilter as error:
        return _bad_request(str(error))
    page = list(
        deals.filter(stage=stage)
        .select_related("company", "owner")
        .order_by(*card_order())[offset : offset + CARDS_PER_PAGE + 1]
    )
    has_more = len(page) > CARDS_PER_PAGE
    organisation = request_organisation(request)
    return render(
        request,
        "pipeline/board_cards.html",
        {
            "pipeline": pipeline,
            "column": {
                "stage": stage,
                "cards": decorate_cards(page[:CARDS_PER_PAGE], {stage.pk: stage}),
                "has_more": has_more,
                "next_offset": offset + CARDS_PER_PAGE,
            },
            "querystring": filter_querystring(filterset),
            "currency": organisation.currency,
            "currency_symbol": currency_symbol(organisation.currency),
            "can_move": request.user.can_edit,
        },
    )
