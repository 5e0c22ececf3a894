"""Deals: read, create and edit through the pipeline services, plus the actions (move, win,
lose, reopen, reassign, amount), line items and the read-only history. Deals are never
deleted: a deal that went nowhere is closed as lost."""

from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from voronka.accounts.visibility import visible_companies, visible_contacts, visible_deals
from voronka.catalog.models import Product
from voronka.core.errors import InvalidMoment, PastMomentNotPermitted
from voronka.crm.models import LeadSource
from voronka.pipeline import services
from voronka.pipeline.filters import DealFilterSet
from voronka.pipeline.models import DealLineItem, LostReason, Pipeline, Stage

from ..auth import require_editor, require_team_manager
from ..errors import ITEM_ERRORS, READ_ERRORS, WRITE_ERRORS, error_responses
from ..schemas.common import Id, Pagination, order
from ..schemas.deals import (
    DEAL_ORDERING,
    AmountChangeOut,
    DealAmountIn,
    DealFilters,
    DealIn,
    DealLoseIn,
    DealMoveIn,
    DealOut,
    DealPatch,
    DealReassignIn,
    DealVersionIn,
    DealWinIn,
    LineItemIn,
    LineItemOut,
    LineItemPatch,
    OwnerChangeOut,
    StageChangeOut,
)
from .common import InvalidReference, filtered, owner_reference, reference, visible_or_404

router = Router(tags=["Deals"])

ACTION_DOC = "Runs the pipeline service; a stale `expected_version` is a 409 `stale_version`."


def _deals(user):
    return visible_deals(user).prefetch_related("contacts")


def _deal(request, deal_id: int):
    return visible_or_404(_deals(request.user).select_related("stage", "furthest_stage"), deal_id)


def _editable_deal(request, deal_id: int):
    require_editor(request.user)
    return _deal(request, deal_id)


def _past_moment(user, deal, at: datetime | None) -> datetime | None:
    """An administrator's past moment for an action, checked against the deal's history.

    Not in the future, not before the deal was created, not before it entered its current stage
    (the open stage visit would end before it began). Raises PastMomentNotPermitted (403) or
    InvalidMoment (409, like every business rule).
    """
    if at is None:
        return None
    if not user.is_admin:
        raise PastMomentNotPermitted(field="at")
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now():
        raise InvalidMoment(_("The moment is in the future."), field="at")
    for bound, message in (
        (deal.created_at, _("The moment is before the deal was created (%(moment)s).")),
        (
            deal.stage_entered_at,
            _("The moment is before the deal entered its current stage (%(moment)s)."),
        ),
    ):
        if at < bound:
            moment = formats.date_format(timezone.localtime(bound), "DATETIME_FORMAT")
            raise InvalidMoment(message % {"moment": moment}, field="at")
    return at


def _filter(request, deals, filters: DealFilters):
    """The deal list page's DealFilterSet, every filter included (search in title and company,
    Cyrillic-aware on SQLite; pipeline, archived ones too; company; close and created dates)."""
    return filtered(
        DealFilterSet,
        deals,
        request,
        {
            "q": filters.search,
            "pipeline": filters.pipeline_id,
            "stage": filters.stage_id,
            "status": filters.status,
            "owner": filters.owner_id,
            "company": filters.company_id,
            "lead_source": filters.lead_source_id,
            "created_after": filters.created_from,
            "created_before": filters.created_to,
            "expected_close_after": filters.close_from,
            "expected_close_before": filters.close_to,
        },
        api_names={
            "q": "search",
            "pipeline": "pipeline_id",
            "stage": "stage_id",
            "owner": "owner_id",
            "company": "company_id",
            "lead_source": "lead_source_id",
            "created": "created_from",
            "expected_close": "close_from",
        },
    )


@router.get(
    "/deals",
    response={200: list[DealOut], **error_responses(*READ_ERRORS)},
    summary="List deals",
    description=f"Ordering: {', '.join(DEAL_ORDERING)} (prefix `-` to reverse).",
)
@paginate(Pagination)
def deal_list(request, filters: Query[DealFilters]):
    deals = _filter(request, _deals(request.user), filters)
    return order(deals, filters.ordering, DEAL_ORDERING)


@router.post(
    "/deals",
    response={201: DealOut, **error_responses(*WRITE_ERRORS)},
    summary="Create a deal",
    description="Through `deal_create`: history and the first stage visit are written.",
)
def deal_create(request, payload: DealIn):
    user = request.user
    require_editor(user)
    pipeline = reference(
        Pipeline.objects.filter(is_active=True), payload.pipeline_id, "pipeline_id"
    )
    stage = reference(Stage.objects.all(), payload.stage_id, "stage_id")
    contacts = list(visible_contacts(user).filter(pk__in=payload.contact_ids))
    if len(contacts) != len(set(payload.contact_ids)):
        raise InvalidReference(field="contact_ids")
    deal = services.deal_create(
        title=payload.title.strip(),
        owner=owner_reference(user, payload.owner_id) or user,
        created_by=user,
        pipeline=pipeline,
        stage=stage,
        company=reference(visible_companies(user), payload.company_id, "company_id"),
        contacts=contacts,
        amount=payload.amount,
        currency=payload.currency or "",
        lead_source=reference(LeadSource.objects.all(), payload.lead_source_id, "lead_source_id"),
        expected_close_date=payload.expected_close_date,
        first_contact_at=payload.first_contact_at,
        description=payload.description,
        external_id=payload.external_id,
        custom_fields=payload.custom_fields,
    )
    return Status(201, _deal(request, deal.pk))


@router.get(
    "/deals/{deal_id}",
    response={200: DealOut, **error_responses(*ITEM_ERRORS)},
    summary="Read a deal",
)
def deal_read(request, deal_id: Id):
    return _deal(request, deal_id)


@router.patch(
    "/deals/{deal_id}",
    response={200: DealOut, **error_responses(*WRITE_ERRORS)},
    summary="Change a deal's plain fields",
    description="Through `deal_update`. Stage, amount, owner and status have their own actions. "
    + ACTION_DOC,
)
def deal_update(request, deal_id: Id, payload: DealPatch):
    user = request.user
    deal = _editable_deal(request, deal_id)
    data = payload.dict(exclude_unset=True)
    expected_version = data.pop("expected_version")
    if "company_id" in data:
        data["company"] = reference(visible_companies(user), data.pop("company_id"), "company_id")
    if "lead_source_id" in data:
        data["lead_source"] = reference(
            LeadSource.objects.all(), data.pop("lead_source_id"), "lead_source_id"
        )
    contacts = None
    if "contact_ids" in data:
        ids = data.pop("contact_ids")
        contacts = list(visible_contacts(user).filter(pk__in=ids))
        if len(contacts) != len(set(ids)):
            raise InvalidReference(field="contact_ids")
    services.deal_update(
        deal=deal, user=user, expected_version=expected_version, contacts=contacts, **data
    )
    return _deal(request, deal_id)


@router.post(
    "/deals/{deal_id}/move",
    response={200: DealOut, **error_responses(*WRITE_ERRORS)},
    summary="Move a deal to another stage",
    description=ACTION_DOC,
)
def deal_move(request, deal_id: Id, payload: DealMoveIn):
    deal = _editable_deal(request, deal_id)
    at = _past_moment(request.user, deal, payload.at)
    stage = reference(Stage.objects.all(), payload.stage_id, "stage_id")
    services.deal_move_stage(
        deal=deal,
        stage=stage,
        user=request.user,
        expected_version=payload.expected_version,
        at=at,
    )
    return _deal(request, deal_id)


@router.post(
    "/deals/{deal_id}/win",
    response={200: DealOut, **error_responses(*WRITE_ERRORS)},
    summary="Mark a deal won",
    description=ACTION_DOC,
)
def deal_win(request, deal_id: Id, payload: DealWinIn):
    deal = _editable_deal(request, deal_id)
    at = _past_moment(request.user, deal, payload.at)
    services.deal_win(
        deal=deal, user=request.user, expected_version=payload.expected_version, at=at
    )
    return _deal(request, deal_id)


@router.post(
    "/deals/{deal_id}/lose",
    response={200: DealOut, **error_responses(*WRITE_ERRORS)},
    summary="Mark a deal lost (a reason is required)",
    description=ACTION_DOC,
)
def deal_lose(request, deal_id: Id, payload: DealLoseIn):
    deal = _editable_deal(request, deal_id)
    at = _past_moment(request.user, deal, payload.at)
    reason = reference(LostReason.objects.all(), payload.lost_reason_id, "lost_reason_id")
    services.deal_lose(
        deal=deal,
        user=request.user,
        reason=reason,
        comment=payload.comment,
        expected_version=payload.expected_version,
        at=at,
    )
    return _deal(request, deal_id)


@router.post(
    "/deals/{deal_id}/reopen",
    response={200: DealOut, **error_responses(*WRITE_ERRORS)},
    summary="Reopen a won or lost deal",
    description=ACTION_DOC,
)
def deal_reopen(request, deal_id: Id, payload: DealVersionIn):
    deal = _editable_deal(request, deal_id)
    services.deal_reopen(deal=deal, user=request.user, expected_version=payload.expected_version)
    return _deal(request, deal_id)


@router.post(
    "/deals/{deal_id}/reassign",
    response={200: DealOut, **error_responses(*WRITE_ERRORS)},
    summary="Give a deal to another seller (heads and administrators)",
    description=ACTION_DOC,
)
def deal_reassign(request, deal_id: Id, payload: DealReassignIn):
    require_team_manager(request.user)
    deal = _editable_deal(request, deal_id)
    new_owner = owner_reference(request.user, payload.owner_id)
    services.deal_reassign(
        deal=deal, new_owner=new_owner, user=request.user, expected_version=payload.expected_version
    )
    return _deal(request, deal_id)


@router.post(
    "/deals/{deal_id}/amount",
    response={200: DealOut, **error_responses(*WRITE_ERRORS)},
    summary="Change a deal's amount",
    description=ACTION_DOC,
)
def deal_amount(request, deal_id: Id, payload: DealAmountIn):
    deal = _editable_deal(request, deal_id)
    services.deal_change_amount(
        deal=deal,
        amount=payload.amount,
        user=request.user,
        expected_version=payload.expected_version,
    )
    return _deal(request, deal_id)


# Line items ------------------------------------------------------------------------------------


@router.get(
    "/deals/{deal_id}/line-items",
    response={200: list[LineItemOut], **error_responses(*ITEM_ERRORS)},
    summary="List a deal's products",
)
def line_item_list(request, deal_id: Id):
    deal = _deal(request, deal_id)
    return list(deal.line_items.all())


@router.post(
    "/deals/{deal_id}/line-items",
    response={201: LineItemOut, **error_responses(*WRITE_ERRORS)},
    summary="Add a product to a deal",
    description="The deal's amount becomes the sum of its line items (recorded in amount history).",
)
def line_item_create(request, deal_id: Id, payload: LineItemIn):
    deal = _editable_deal(request, deal_id)
    product = reference(Product.objects.all(), payload.product_id, "product_id")
    item = services.line_item_add(
        deal=deal,
        product=product,
        quantity=payload.quantity,
        unit_price=payload.unit_price,
        user=request.user,
    )
    return Status(201, item)


def _line_item(request, deal_id: int, item_id: int) -> DealLineItem:
    deal = _editable_deal(request, deal_id)
    item = visible_or_404(deal.line_items.all(), item_id)
    item.deal = deal
    return item


@router.patch(
    "/deals/{deal_id}/line-items/{item_id}",
    response={200: LineItemOut, **error_responses(*WRITE_ERRORS)},
    summary="Change a line item's quantity or price",
)
def line_item_update(request, deal_id: Id, item_id: Id, payload: LineItemPatch):
    item = _line_item(request, deal_id, item_id)
    data = payload.dict(exclude_unset=True)
    quantity = data.get("quantity", item.quantity)
    unit_price = data.get("unit_price", item.unit_price)
    return services.line_item_update(
        item=item, quantity=quantity, unit_price=unit_price, user=request.user
    )


@router.delete(
    "/deals/{deal_id}/line-items/{item_id}",
    response={204: None, **error_responses(*WRITE_ERRORS)},
    summary="Remove a product from a deal",
)
def line_item_destroy(request, deal_id: Id, item_id: Id):
    services.line_item_remove(item=_line_item(request, deal_id, item_id), user=request.user)
    return Status(204, None)


# History (read-only) ---------------------------------------------------------------------------


@router.get(
    "/deals/{deal_id}/stage-history",
    response={200: list[StageChangeOut], **error_responses(*ITEM_ERRORS)},
    summary="Stage history of a deal (append-only)",
)
def stage_history(request, deal_id: Id):
    return list(_deal(request, deal_id).stage_changes.all())


@router.get(
    "/deals/{deal_id}/amount-history",
    response={200: list[AmountChangeOut], **error_responses(*ITEM_ERRORS)},
    summary="Amount history of a deal (append-only)",
)
def amount_history(request, deal_id: Id):
    return list(_deal(request, deal_id).amount_changes.all())


@router.get(
    "/deals/{deal_id}/owner-history",
    response={200: list[OwnerChangeOut], **error_responses(*ITEM_ERRORS)},
    summary="Owner history of a deal (append-only)",
)
def owner_history(request, deal_id: Id):
    return list(_deal(request, deal_id).owner_changes.all())
