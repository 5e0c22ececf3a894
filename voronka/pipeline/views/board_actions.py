"""The board's JSON actions: move, win and lose a deal dropped on a column or a drop zone.

Moves answer JSON for board.js: the re-rendered card and fresh column totals, or the reason
the move was refused (the card then snaps back).
"""

from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from voronka.accounts.visibility import visible_deals
from voronka.core.control_characters import ControlCharacterGuard
from voronka.core.errors import DomainError
from voronka.core.formatting import currency_symbol
from voronka.pipeline import services
from voronka.pipeline.board_selector import (
    BadFilter,
    board_filterset,
    column_totals,
    decorate_cards,
    filtered_deals,
    request_organisation,
)
from voronka.pipeline.models import Deal, DealStatus, LostReason, Stage

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
        queryset=LostReason.objects.all(),  # `deal_lose` refuses an archived one
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
    filterset = board_filterset(request, deal.pipeline)
    try:
        totals = column_totals(filtered_deals(filterset))
    except BadFilter:
        totals = column_totals(
            visible_deals(request.user).filter(pipeline=deal.pipeline, status=DealStatus.OPEN)
        )
    organisation = request_organisation(request)
    symbol = currency_symbol(organisation.currency)
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
        decorate_cards([deal], {stage.pk: stage})
        card = render_to_string(
            "pipeline/board_card_list.html",
            {
                "cards": [deal],
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
