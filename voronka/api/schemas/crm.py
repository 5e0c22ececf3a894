from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from voronka.crm.models import CompanySize, CustomerType

from .common import (
    CUSTOM_FIELDS_DESCRIPTION,
    VISIBLE_TEXT,
    Boolean,
    CustomFieldValuesIn,
    Id,
    Input,
    Name,
    Text,
    custom_fields_input,
)

CustomerTypeValue = Literal[tuple(CustomerType.values)]
CompanySizeValue = Literal[tuple(["", *CompanySize.values])]
Email = Annotated[
    str,
    StringConstraints(
        max_length=254,
        pattern=r"^$|^[^@\x00-\x20\x7f-\x9f]+@[^@\x00-\x20\x7f-\x9f]+\.[^@\x00-\x20\x7f-\x9f]+$",
    ),
]


class CompanyOut(Schema):
    id: int
    name: str
    inn: str
    customer_type: str
    industry: str
    size: str
    phone: str
    email: str
    website: str
    address: str
    notes: str
    owner_id: int
    external_id: str
    custom_fields: dict[str, int | float | str] = Field(description=CUSTOM_FIELDS_DESCRIPTION)
    created_at: datetime
    updated_at: datetime


class CompanyIn(Input):
    name: Name
    inn: Text(12) = ""
    customer_type: CustomerTypeValue = CustomerType.SMALL.value
    industry: Text(120) = ""
    size: CompanySizeValue = ""
    phone: Text(40) = ""
    email: Email = ""
    website: Text(200) = ""
    address: Text(300) = ""
    notes: Text(10000) = ""
    external_id: Text(100) = ""
    owner_id: Id | None = Field(None, description="Defaults to the caller.")
    custom_fields: CustomFieldValuesIn = custom_fields_input(dict)


class CompanyPatch(Input):
    name: Name = None
    inn: Text(12) = None
    customer_type: CustomerTypeValue = None
    industry: Text(120) = None
    size: CompanySizeValue = None
    phone: Text(40) = None
    email: Email = None
    website: Text(200) = None
    address: Text(300) = None
    notes: Text(10000) = None
    external_id: Text(100) = None
    owner_id: Id = None
    custom_fields: CustomFieldValuesIn = custom_fields_input()


class ContactOut(Schema):
    id: int
    company_id: int | None
    first_name: str
    last_name: str
    position: str
    phone: str
    mobile: str
    email: str
    notes: str
    owner_id: int
    external_id: str
    created_at: datetime
    updated_at: datetime


class ContactIn(Input):
    first_name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=100, pattern=VISIBLE_TEXT),
    ]
    last_name: Text(100) = ""
    company_id: Id | None = None
    position: Text(150) = ""
    phone: Text(40) = ""
    mobile: Text(40) = ""
    email: Email = ""
    notes: Text(10000) = ""
    external_id: Text(100) = ""
    owner_id: Id | None = Field(None, description="Defaults to the caller.")


class ContactPatch(Input):
    first_name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=100, pattern=VISIBLE_TEXT),
    ] = None
    last_name: Text(100) = None
    company_id: Id | None = None
    position: Text(150) = None
    phone: Text(40) = None
    mobile: Text(40) = None
    email: Email = None
    notes: Text(10000) = None
    external_id: Text(100) = None
    owner_id: Id = None


class LeadSourceOut(Schema):
    id: int
    name: str
    is_active: bool


class LeadSourceIn(Input):
    name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=120, pattern=VISIBLE_TEXT),
    ]
    is_active: Boolean = True


class LeadSourcePatch(Input):
    name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=120, pattern=VISIBLE_TEXT),
    ] = None
    is_active: Boolean = None
