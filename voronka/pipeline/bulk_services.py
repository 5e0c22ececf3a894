"""Bulk actions on deals from the deal list: reassign or move many deals, one service call each.

Each deal goes through `deal_reassign` / `deal_move_stage` in its own transaction, so history
and rules are those of a single change; a deal a rule refuses is reported, the others change.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.core.errors import DomainError, NotPermitted

from . import services
from .models import Deal, Stage

# A bulk action touches at most this many deals: each one is its own transaction with history.
BULK_LIMIT = 500
BULK_ACTIONS = ("reassign", "move")


class TooManyDeals(DomainError):
    code = "too_many_deals"
    default_message = _("At most %(limit)s deals at once: narrow the filters and repeat.")


@dataclass
class BulkResult:
    applied: int = 0
    refused: list[tuple[Deal, str]] = field(default_factory=list)


def deals_bulk_change(
    *,
    deals: list[Deal],
    action: str,
    user: User,
    owner: User | None = None,
    stage: Stage | None = None,
) -> BulkResult:
    """Reassign the deals to `owner` or move them to `stage`. Heads and admins only
    (NotPermitted); at most BULK_LIMIT deals (TooManyDeals). Refusals are collected per deal."""
    if not user.can_manage_team:
        raise NotPermitted(_("Only heads of sales and admins change deals in bulk."))
    if action not in BULK_ACTIONS:
        raise DomainError(_("Choose an action."), field="action")
    if len(deals) > BULK_LIMIT:
        raise TooManyDeals(TooManyDeals.default_message % {"limit": BULK_LIMIT})
    result = BulkResult()
    for deal in deals:
        try:
            if action == "reassign":
                services.deal_reassign(deal=deal, new_owner=owner, user=user)
            else:
                services.deal_move_stage(deal=deal, stage=stage, user=user)
        except DomainError as error:
            result.refused.append((deal, str(error.message)))
        else:
            result.applied += 1
    return result
