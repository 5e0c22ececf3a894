from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from voronka.pipeline.models import DealStatus

from .common import (
    CUSTOM_FIELDS_DESCRIPTION,
    VISIBLE_TEXT,
    CustomFieldValuesIn,
    Day,
    Id,
    Input,
    Moment,
    Money,
    Ordering,
    Quantity,
    Text,
    Version,
    custom_fields_input,
)

Title = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=VISIBLE_TEXT)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
StatusValue = Literal[tuple(DealStatus.values)]


class DealOut(Schema):
    id: int
    title: str
    company_id: int | None
    contact_ids: list[int]
    owner_id: int
    pipeline_id: int
    stage_id: int
    furthest_stage_id: int
    stage_entered_at: datetime
    amount: Decimal
    initial_amount: Decimal
    currency: str
    lead_source_id: int | None
    expected_close_date: date | None
    first_contact_at: datetime
    status: str
    closed_at: datetime | None
    lost_reason_id: int | None
    lost_comment: str
    is_returning_customer: bool
    description: str
    win_probability: float | None
    external_id: str
    custom_fields: dict[str, int | float | str] = Field(description=CUSTOM_FIELDS_DESCRIPTION)
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Send it back as `expected_version` when changing the deal.")

    @staticmethod
    def resolve_contact_ids(deal) -> list[int]:
        return [contact.pk for contact in deal.contacts.all()]


class DealIn(Input):
    title: Title
    pipeline_id: Id | None = Field(None, description="Defaults to the default pipeline.")
    stage_id: Id | None = Field(None, description="Defaults to the pipeline's first stage.")
    owner_id: Id | None = Field(None, description="Defaults to the caller.")
    company_id: Id | None = None
    contact_ids: list[Id] = Field(default_factory=list, max_length=100)
    amount: Money = Decimal(0)
    currency: Currency | None = Field(None, description="Defaults to the organisation's.")
    lead_source_id: Id | None = None
    expected_close_date: Day | None = None
    first_contact_at: Moment | None = None
    description: Text(20000) = ""
    external_id: Text(100) = ""
    custom_fields: CustomFieldValuesIn = custom_fields_input(dict)


class DealPatch(Input):
    expected_version: Version
    title: Title = None
    company_id: Id | None = None
    contact_ids: list[Id] = Field(None, max_length=100)
    currency: Currency = None
    lead_source_id: Id | None = None
    expected_close_date: Day | None = None
    first_contact_at: Moment = None
    description: Text(20000) = None
    external_id: Text(100) = None
    custom_fields: CustomFieldValuesIn = custom_fields_input()


AT_DESCRIPTION = (
    "Administrators only: the past moment the action happened (not in the future, not before "
    "the deal's creation or its current stage's entry); written into the history like an import."
)


class DealMoveIn(Input):
    stage_id: Id
    expected_version: Version
    at: Moment | None = Field(None, description=AT_DESCRIPTION)


class DealVersionIn(Input):
    expected_version: Version | None = None


class DealWinIn(Input):
    expected_version: Version | None = None
    at: Moment | None = Field(None, description=AT_DESCRIPTION)


class DealLoseIn(Input):
    lost_reason_id: Id
    comment: Text(5000) = ""
    expected_version: Version | None = None
    at: Moment | None = Field(None, description=AT_DESCRIPTION)


class DealReassignIn(Input):
    owner_id: Id
    expected_version: Version | None = None


class DealAmountIn(Input):
    amount: Money
    expected_version: Version


class LineItemOut(Schema):
    id: int
    deal_id: int
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    total: Decimal


class LineItemIn(Input):
    product_id: Id
    quantity: Quantity = Decimal(1)
    unit_price: Money | None = Field(None, description="Defaults to the product's price.")


class LineItemPatch(Input):
    quantity: Quantity = None
    unit_price: Money = None


class StageChangeOut(Schema):
    id: int
    kind: str
    from_stage_id: int | None
    to_stage_id: int
    amount: Decimal
    changed_at: datetime
    changed_by_id: int | None


class AmountChangeOut(Schema):
    id: int
    stage_id: int
    old_amount: Decimal
    new_amount: Decimal
    changed_at: datetime
    changed_by_id: int | None


class OwnerChangeOut(Schema):
    id: int
    stage_id: int
    old_owner_id: int
    new_owner_id: int
    changed_at: datetime
    changed_by_id: int | None


DEAL_ORDERING = (
    "title",
    "amount",
    "created_at",
    "updated_at",
    "expected_close_date",
    "stage_entered_at",
    "closed_at",
    "first_contact_at",
)


class DealFilters(Schema):
    search: Text(100) | None = Field(None, description="Part of the title or the company name.")
    pipeline_id: Id | None = None
    stage_id: Id | None = None
    status: StatusValue | None = None
    owner_id: Id | None = None
    company_id: Id | None = None
    lead_source_id: Id | None = None
    created_from: Day | None = None
    created_to: Day | None = None
    close_from: Day | None = Field(None, description="Expected close date from.")
    close_to: Day | None = Field(None, description="Expected close date to.")
    ordering: Ordering(DEAL_ORDERING) | None = None
