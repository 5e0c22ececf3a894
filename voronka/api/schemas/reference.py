from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from .common import VISIBLE_TEXT, Boolean, Id, Input, Integer, Money, Text

ShortName = Annotated[str, StringConstraints(min_length=1, max_length=150, pattern=VISIBLE_TEXT)]
Percent = Integer(0, 100)
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Order = Integer(0, 32767)


class DirectionOut(Schema):
    id: int
    name: str


class DirectionIn(Input):
    name: ShortName


class ProductOut(Schema):
    id: int
    name: str
    sku: str
    direction_id: int
    unit: str
    price: Decimal
    is_active: bool


class ProductIn(Input):
    name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=200, pattern=VISIBLE_TEXT),
    ]
    sku: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64, pattern=VISIBLE_TEXT),
    ]
    direction_id: Id
    unit: Text(20) = "шт."
    price: Money
    is_active: Boolean = True


class ProductPatch(Input):
    name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=200, pattern=VISIBLE_TEXT),
    ] = None
    sku: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64, pattern=VISIBLE_TEXT),
    ] = None
    direction_id: Id = None
    unit: Text(20) = None
    price: Money = None
    is_active: Boolean = None


class LostReasonOut(Schema):
    id: int
    name: str
    order: int
    is_active: bool


class LostReasonIn(Input):
    name: ShortName
    order: Order = 0
    is_active: Boolean = True


class LostReasonPatch(Input):
    name: ShortName = None
    order: Order = None
    is_active: Boolean = None


class PipelineOut(Schema):
    id: int
    name: str
    order: int
    is_default: bool
    is_active: bool


class PipelineIn(Input):
    name: ShortName
    is_default: Boolean = False


class PipelinePatch(Input):
    name: ShortName = None
    is_default: Boolean = Field(
        None, description="`true` makes it the default; `false` is ignored."
    )
    is_active: Boolean = Field(None, description="`false` archives the pipeline.")


class StageOut(Schema):
    id: int
    pipeline_id: int
    name: str
    order: int
    probability: int
    expected_conversion: int | None
    rotting_days: int | None
    color: str


class StageIn(Input):
    pipeline_id: Id
    name: ShortName
    probability: Percent = 10
    expected_conversion: Percent | None = None
    rotting_days: Integer(0, 32767) | None = None
    color: Color = "#5b8def"


class StagePatch(Input):
    name: ShortName = None
    probability: Percent = None
    expected_conversion: Percent | None = None
    rotting_days: Integer(0, 32767) | None = None
    color: Color = None
