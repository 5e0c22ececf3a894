"""The checks the deal services apply before they write, with their domain errors: owners,
amounts (one MAX_AMOUNT for deals and line items) and a stage's exit requirements.
`voronka.pipeline.services` re-exports the public names."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Role, User
from voronka.core.errors import (
    DomainError,
    InvalidAmount,
    InvalidOwner,
    StageExitRequirementMissing,
)

from .models import Deal, ExitRequirementKind, RequiredDealField, Stage, StageExitRequirement


def check_owner(owner: User) -> None:
    if not owner.is_active or owner.role == Role.VIEWER:
        raise InvalidOwner(field="owner")


# The one limit of every amount (deal, line price, line-item total): the columns hold 14 digits
# with 2 decimals, so an amount must stay below 10**12; a bigger one is a typo, not a deal.
MAX_AMOUNT = Decimal("1000000000000")


class AmountTooLarge(DomainError):
    code = "amount_too_large"
    default_message = _("The amount is too large.")


class NoDefaultPipeline(DomainError):
    code = "no_default_pipeline"
    default_message = _("There is no default pipeline; choose one.")


class LostReasonArchived(DomainError):
    code = "lost_reason_archived"
    default_message = _("This lost reason is archived; choose an active one.")


class ProductInactive(DomainError):
    code = "product_inactive"
    default_message = _("This product is no longer sold; choose an active one.")


def check_amount(amount: Decimal, *, field: str = "amount") -> Decimal:
    amount = Decimal(amount)
    if amount < 0 or not amount.is_finite():
        raise InvalidAmount(field=field)
    if amount >= MAX_AMOUNT:
        raise AmountTooLarge(field=field)
    return amount.quantize(Decimal("0.01"))


def unmet_exit_requirements(deal: Deal, stage: Stage | None = None) -> list[StageExitRequirement]:
    """The exit requirements of `stage` (default: the deal's stage) this deal does not meet yet."""
    stage = stage or deal.stage
    unmet = []
    for requirement in stage.exit_requirements.all():
        if requirement.kind == ExitRequirementKind.DOCUMENT:
            met = deal.documents.filter(kind=requirement.document_kind).exists()
        elif requirement.kind == ExitRequirementKind.FIELD:
            met = _deal_field_is_filled(deal, requirement.field_name)
        else:
            step_ids = set(stage.playbook_steps.values_list("pk", flat=True))
            done_ids = set(
                deal.playbook_completions.filter(step__stage=stage).values_list(
                    "step_id", flat=True
                )
            )
            met = step_ids <= done_ids
        if not met:
            unmet.append(requirement)
    return unmet


def _deal_field_is_filled(deal: Deal, field_name: str) -> bool:
    if field_name == RequiredDealField.AMOUNT:
        return deal.amount > 0
    if field_name == RequiredDealField.CONTACT:
        return deal.contacts.exists()
    if field_name == RequiredDealField.LINE_ITEMS:
        return deal.line_items.exists()
    return bool(getattr(deal, field_name, None))


def require_exit_requirements(deal: Deal) -> None:
    unmet = unmet_exit_requirements(deal)
    if unmet:
        raise StageExitRequirementMissing(
            StageExitRequirementMissing.default_message
            + " "
            + "; ".join(str(requirement) for requirement in unmet),
            details={"unmet": [str(requirement) for requirement in unmet]},
        )
