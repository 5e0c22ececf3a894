from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from voronka.activities.models import ActivityKind
from voronka.pipeline.models import DocumentKind
from voronka.plans.models import PlanDimension, PlanPeriod

from .common import VISIBLE_TEXT, Boolean, DecimalAmount, Id, Input, Integer, Text
from .deals import Day, Moment

ActivityKindValue = Literal[tuple(ActivityKind.values)]
DocumentKindValue = Literal[tuple(DocumentKind.values)]
PlanPeriodValue = Literal[tuple(PlanPeriod.values)]
PlanDimensionValue = Literal[tuple(PlanDimension.values)]
Subject = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=VISIBLE_TEXT)]
Target = DecimalAmount(whole_digits=14)


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    deal_id: int | None
    contact_id: int | None
    company_id: int | None
    stage_id: int | None
    owner_id: int
    due_at: datetime | None
    done_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ActivityIn(Input):
    kind: ActivityKindValue
    subject: Subject
    body: Text(20000) = ""
    deal_id: Id | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    due_at: Moment | None = None
    done: Boolean | None = Field(
        None,
        description="Defaults to done for calls, meetings, emails and notes without a due date.",
    )


class ActivityPatch(Input):
    subject: Subject = None
    body: Text(20000) = None
    due_at: Moment | None = None
    done: Boolean = None


class DocumentOut(Schema):
    id: int
    deal_id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    stage_id: int
    uploaded_by_id: int
    uploaded_at: datetime


class PlanOut(Schema):
    id: int
    period: str
    period_start: date
    dimension: str
    user_id: int | None
    department_id: int | None
    product_id: int | None
    direction_id: int | None
    company_id: int | None
    target_amount: Decimal
    target_count: int | None
    created_at: datetime


class PlanIn(Input):
    period: PlanPeriodValue
    period_start: Day
    dimension: PlanDimensionValue
    user_id: Id | None = None
    department_id: Id | None = None
    product_id: Id | None = None
    direction_id: Id | None = None
    company_id: Id | None = None
    target_amount: Target
    target_count: Integer(0, 2**31 - 1) | None = None


class PlanPatch(Input):
    target_amount: Target = None
    target_count: Integer(0, 2**31 - 1) | None = None


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    full_name: str
    email: str
    role: str
    department_id: int | None
    is_active: bool

    @staticmethod
    def resolve_full_name(user) -> str:
        return str(user)
