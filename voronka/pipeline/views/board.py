"""The pipeline board: a column per stage, cards dragged between columns, Won/Lost drop zones.

Reads start from `visible_deals(user)` and go through the shared `DealFilterSet`. Column
totals are one GROUP BY over the whole filtered column; the first cards of every column come
from one windowed query; more cards load per column as the user scrolls. So the page costs a
fixed number of queries whether the pipeline holds ten deals or ten thousand.

Moves answer JSON for board.js: the re-rendered card and fresh column totals, or the reason
the move was refused (the card then snaps back).
"""

from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, FloatField, Sum, Value, Window
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from voronka.accounts.visibility import visible_deals
from voronka.core.control_characters import ControlCharacterGuard
from voronka.core.errors import DomainError
from voronka.core.models import Organisation
from voronka.pipeline import services
from voronka.pipeline.filters import DealFilterSet
from voronka.pipeline.models import Deal, DealStatus, LostReason, Pipeline, Stage

CARDS_PER_PAGE = 30
CURRENCY_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "CNY": "¥"}
# Filters the board offers; pipeline, stage and status are the board's own axes.
BOARD_FILTERS = ("q", "owner", "department", "lead_source", "product", "created", "only_rotting")


# --- reading -------------------------------------------------------------------------------


def _currency_symbol(code: str) -> str:
    return CURRENCY_SYMBOLS.get(code, code)


def _organisation(request) -> Organisation:
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


def _board_filterset(request, pipeline: Pipeline) -> DealFilterSet:
    deals = visible_deals(request.user).filter(pipeline=pipeline, status=DealStatus.OPEN)
    data = request.GET.copy()
    for name in ("pipeline", "stage", "status", "lost_reason", "offset"):
        data.pop(name, None)
    return DealFilterSet(data, queryset=deals, request=request)


def _filtered_deals(filterset: DealFilterSet):
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
    probability = Coalesce(
        F("win_probability"),
        Cast(F("stage__probability"), FloatField()) / Value(100.0),
        output_field=FloatField(),
    )
    return Sum(Cast(F("amount"), FloatField()) * probability, output_field=FloatField())


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


def _card_order():
    return [F("stage_entered_at").desc(), F("pk").desc()]


def _decorate(deals: list[Deal], stages_by_id: dict[int, Stage]) -> list[Deal]:
    """Attach what a card shows, computed from the deal's row and its (already loaded) stage."""
    now = timezone.now()
    url_pattern = _deal_url_pattern()
    for deal in deals:
        stage = stages_by_id[deal.stage_id]
        deal.stage = stage
        deal.board_days = (now - deal.stage_entered_at).days
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
    """The first `CARDS_PER_PAGE` cards of every column, in one query.

    The window ranks only narrow rows (id, stage, date) inside a subquery; the wide card rows
    and their company and owner are read for the chosen ids alone, so a column of thousands
    costs a sort of small rows rather than of whole deals.
    """
    first_ids = (
        deals.annotate(
            board_rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=_card_order())
        )
        .filter(board_rank__lte=CARDS_PER_PAGE)
        .values("pk")
    )
    ranked = (
        Deal.objects.filter(pk__in=first_ids)
        .select_related("company", "owner")
        .order_by("stage_id", *_card_order())
    )
    stages_by_id = {stage.pk: stage for stage in stages}
    cards: dict[int, list[Deal]] = {stage.pk: [] for stage in stages}
    for deal in _decorate(list(ranked), stages_by_id):
        cards.setdefault(deal.stage_id, []).append(deal)
    return cards


def _querystring(filterset: DealFilterSet) -> str:
    data = filterset.data.copy()
    for name in list(data):
        if not data.get(name):
            data.pop(name)
    return data.urlencode()


def _board_context(request, pipeline: Pipeline, filterset: DealFilterSet) -> dict:
    deals = _filtered_deals(filterset)
    stages = list(pipeline.stages.order_by("order"))
    totals = column_totals(deals)
    cards = first_cards(deals, stages)
    empty = {"count": 0, "amount": Decimal(0), "weighted": Decimal(0)}
    organisation = _organisation(request)
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
        "currency_symbol": _currency_symbol(organisation.currency),
        "querystring": _querystring(filterset),
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
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id, is_active=True)
    filterset = _board_filterset(request, pipeline)
    try:
        context = _board_context(request, pipeline, filterset)
    except BadFilter as error:
        if request.htmx:
            return _bad_request(str(error))
        # The page still opens, without filters, with the message at the filter bar.
        context = _board_context(request, pipeline, _board_filterset_empty(request, pipeline))
        context["filter_error"] = str(error)
    context["filterset"] = filterset
    context["filter_fields"] = [filterset.form[name] for name in BOARD_FILTERS if name != "q"]
    if request.htmx and request.htmx.target == "board":
        return render(request, "pipeline/board_columns.html", context)
    context["pipelines"] = list(Pipeline.objects.filter(is_active=True))
    context["lost_reasons"] = list(LostReason.objects.filter(is_active=True))
    context["active_filters"] = sum(
        1 for name in BOARD_FILTERS if name in filterset.form.data and filterset.data.get(name)
    ) + (1 if filterset.data.get("created_after") or filterset.data.get("created_before") else 0)
    return render(request, "pipeline/board.html", context)


def _board_filterset_empty(request, pipeline):
    deals = visible_deals(request.user).filter(pipeline=pipeline, status=DealStatus.OPEN)
    return DealFilterSet({}, queryset=deals, request=request)


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
    filterset = _board_filterset(request, pipeline)
    try:
        deals = _filtered_deals(filterset)
    except BadFilter as error:
        return _bad_request(str(error))
    page = list(
        deals.filter(stage=stage)
        .select_related("company", "owner")
        .order_by(*_card_order())[offset : offset + CARDS_PER_PAGE + 1]
    )
    has_more = len(page) > CARDS_PER_PAGE
    organisation = _organisation(request)
    return render(
        request,
        "pipeline/board_cards.html",
        {
            "pipeline": pipeline,
            "column": {
                "stage": stage,
                "cards": _decorate(page[:CARDS_PER_PAGE], {stage.pk: stage}),
                "has_more": has_more,
                "next_offset": offset + CARDS_PER_PAGE,
            },
            "querystring": _querystring(filterset),
            "currency": organisation.currency,
            "currency_symbol": _currency_symbol(organisation.currency),
            "can_move": request.user.can_edit,
        },
    )


# --- moving ---------------------------------------------------------------------------------


class BoardMoveForm(ControlCharacterGuard, forms.Form):
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.all(),
        error_messages={"invalid_choice": gettext_lazy("Choose an existing stage.")},
    )
    version = forms.IntegerField(min_value=1)


class BoardWinForm(ControlCharacterGuard, forms.Form):
    version = forms.IntegerField(min_value=1)


class BoardLoseForm(ControlCharacterGuard, forms.Form):
    version = forms.IntegerField(min_value=1)
    reason = forms.ModelChoiceField(
        queryset=LostReason.objects.filter(is_active=True),
        error_messages={
            "required": gettext_lazy("Choose a reason why the deal was lost."),
            "invalid_choice": gettext_lazy("Choose a reason why the deal was lost."),
        },
    )
    comment = forms.CharField(required=False, max_length=2000)


def _json_error(message, status: int, *, code: str = "invalid", field: str | None = None):
    return JsonResponse(
        {"ok": False, "code": code, "message": str(message), "field": field}, status=status
    )


def _form_error(form: forms.Form):
    field, errors = next(iter(form.errors.items()))
    label = ""
    if field in form.fields:
        label = form.fields[field].label or field.capitalize()
    message = " ".join(errors)
    return _json_error(f"{label}: {message}" if label else message, 400, field=field)


def _money(value) -> str:
    return number_format(Decimal(value).quantize(Decimal(1)), decimal_pos=0, force_grouping=True)


def _moved_answer(request, deal: Deal):
    """The re-rendered card (for moves) and the totals of every column under the same filters."""
    filterset = _board_filterset(request, deal.pipeline)
    try:
        totals = column_totals(_filtered_deals(filterset))
    except BadFilter:
        totals = column_totals(
            visible_deals(request.user).filter(pipeline=deal.pipeline, status=DealStatus.OPEN)
        )
    organisation = _organisation(request)
    symbol = _currency_symbol(organisation.currency)
    columns = {
        str(stage_id): {
            "count": total["count"],
            "amount": _money(total["amount"]),
            "weighted": _money(total["weighted"]),
        }
        for stage_id, total in totals.items()
    }
    card = ""
    if deal.is_open:
        stage = deal.stage
        _decorate([deal], {stage.pk: stage})
        card = render_to_string(
            "pipeline/board_card.html",
            {
                "deal": deal,
                "currency": organisation.currency,
                "currency_symbol": symbol,
                "can_move": True,
            },
            request=request,
        )
    return JsonResponse(
        {
            "ok": True,
            "deal": deal.pk,
            "status": deal.status,
            "stage": deal.stage_id,
            "version": deal.version,
            "card": card,
            "columns": columns,
            "currency_symbol": symbol,
        }
    )


def _board_action(handler):
    """Login, POST, edit right and visibility for a board action; domain errors become 4xx JSON."""

    @login_required
    @require_POST
    def view(request, pk: int):
        if not request.user.can_edit:
            return _json_error(_("You do not have permission to do this."), 403, code="forbidden")
        deal = (
            visible_deals(request.user)
            .select_related("stage", "pipeline", "furthest_stage", "company", "owner")
            .filter(pk=pk)
            .first()
        )
        if deal is None:
            # Unknown and invisible look the same: nobody learns which deals exist.
            return _json_error(
                _("This deal does not exist or is not yours to see."), 404, code="not_found"
            )
        try:
            error = handler(request, deal)
        except DomainError as exc:
            return _json_error(exc.message, exc.status, code=exc.code, field=exc.field)
        if error is not None:
            return error
        deal.refresh_from_db()
        return _moved_answer(request, deal)

    view.__name__ = handler.__name__
    view.__doc__ = handler.__doc__
    return view


@_board_action
def board_move(request, deal: Deal):
    """Drop on another column: `deal_move_stage` with the version the card was rendered at."""
    form = BoardMoveForm(request.POST)
    if not form.is_valid():
        return _form_error(form)
    services.deal_move_stage(
        deal=deal,
        stage=form.cleaned_data["stage"],
        user=request.user,
        expected_version=form.cleaned_data["version"],
    )
    return None


@_board_action
def board_win(request, deal: Deal):
    """Drop on Won: `deal_win`."""
    form = BoardWinForm(request.POST)
    if not form.is_valid():
        return _form_error(form)
    services.deal_win(deal=deal, user=request.user, expected_version=form.cleaned_data["version"])
    return None


@_board_action
def board_lose(request, deal: Deal):
    """Drop on Lost, then the dialog: `deal_lose` with a required reason."""
    form = BoardLoseForm(request.POST)
    if not form.is_valid():
        return _form_error(form)
    services.deal_lose(
        deal=deal,
        user=request.user,
        reason=form.cleaned_data["reason"],
        comment=form.cleaned_data["comment"],
        expected_version=form.cleaned_data["version"],
    )
    return None
