"""Companies, contacts and lead sources."""

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from voronka.accounts.visibility import visible_companies, visible_contacts
from voronka.administration.services import lead_source_save
from voronka.crm import services as crm_services
from voronka.crm.filters import CompanyFilterSet, ContactFilterSet
from voronka.crm.models import LeadSource

from ..auth import require_admin, require_editor
from ..errors import ITEM_ERRORS, READ_ERRORS, WRITE_ERRORS, error_responses
from ..schemas.common import Id, Ordering, Pagination, Text, order
from ..schemas.crm import (
    CompanyIn,
    CompanyOut,
    CompanyPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
    CustomerTypeValue,
    LeadSourceIn,
    LeadSourceOut,
    LeadSourcePatch,
)
from .common import filtered, owner_reference, reference, unique_on, visible_or_404

router = Router()

COMPANY_ORDERING = ("name", "created_at", "updated_at")
CONTACT_ORDERING = ("last_name", "first_name", "created_at", "updated_at")


class CompanyFilters(Schema):
    search: Text(100) | None = None
    customer_type: CustomerTypeValue | None = None
    owner_id: Id | None = None
    ordering: Ordering(COMPANY_ORDERING) | None = None


@router.get(
    "/companies",
    response={200: list[CompanyOut], **error_responses(*READ_ERRORS)},
    tags=["Companies"],
    summary="List companies",
    description=f"Ordering: {', '.join(COMPANY_ORDERING)} (prefix `-` to reverse).",
)
@paginate(Pagination)
def company_list(request, filters: Query[CompanyFilters]):
    companies = filtered(
        CompanyFilterSet,
        visible_companies(request.user),
        request,
        {"q": filters.search, "customer_type": filters.customer_type, "owner": filters.owner_id},
        user=request.user,
        offer_industries=False,
        api_names={"q": "search", "owner": "owner_id"},
    )
    return order(companies, filters.ordering, COMPANY_ORDERING)


@router.post(
    "/companies",
    response={201: CompanyOut, **error_responses(*WRITE_ERRORS)},
    tags=["Companies"],
    summary="Create a company",
)
def company_create(request, payload: CompanyIn):
    require_editor(request.user)
    data = payload.dict()
    owner = owner_reference(request.user, data.pop("owner_id")) or request.user
    company = crm_services.company_create(user=request.user, owner=owner, **data)
    return Status(201, company)


@router.get(
    "/companies/{company_id}",
    response={200: CompanyOut, **error_responses(*ITEM_ERRORS)},
    tags=["Companies"],
    summary="Read a company",
)
def company_read(request, company_id: Id):
    return visible_or_404(visible_companies(request.user), company_id)


@router.patch(
    "/companies/{company_id}",
    response={200: CompanyOut, **error_responses(*WRITE_ERRORS)},
    tags=["Companies"],
    summary="Change a company",
)
def company_update(request, company_id: Id, payload: CompanyPatch):
    require_editor(request.user)
    company = visible_or_404(visible_companies(request.user), company_id)
    data = payload.dict(exclude_unset=True)
    owner = owner_reference(request.user, data.pop("owner_id", None))
    if owner is not None:
        data["owner"] = owner
    return crm_services.company_update(company=company, user=request.user, **data)


@router.delete(
    "/companies/{company_id}",
    response={204: None, **error_responses(*WRITE_ERRORS)},
    tags=["Companies"],
    summary="Delete a company without deals",
    description="A company with deals is kept (409 `company_has_deals`).",
)
def company_destroy(request, company_id: Id):
    require_editor(request.user)
    company = visible_or_404(visible_companies(request.user), company_id)
    crm_services.company_delete(company=company, user=request.user)
    return Status(204, None)


class ContactFilters(Schema):
    search: Text(100) | None = None
    company_id: Id | None = None
    owner_id: Id | None = None
    ordering: Ordering(CONTACT_ORDERING) | None = None


@router.get(
    "/contacts",
    response={200: list[ContactOut], **error_responses(*READ_ERRORS)},
    tags=["Contacts"],
    summary="List contacts",
    description=f"Ordering: {', '.join(CONTACT_ORDERING)} (prefix `-` to reverse).",
)
@paginate(Pagination)
def contact_list(request, filters: Query[ContactFilters]):
    contacts = filtered(
        ContactFilterSet,
        visible_contacts(request.user),
        request,
        {"q": filters.search, "company": filters.company_id, "owner": filters.owner_id},
        user=request.user,
        api_names={"q": "search", "company": "company_id", "owner": "owner_id"},
    )
    return order(contacts, filters.ordering, CONTACT_ORDERING)


@router.post(
    "/contacts",
    response={201: ContactOut, **error_responses(*WRITE_ERRORS)},
    tags=["Contacts"],
    summary="Create a contact",
)
def contact_create(request, payload: ContactIn):
    require_editor(request.user)
    data = payload.dict()
    owner = owner_reference(request.user, data.pop("owner_id"))
    owner = owner or request.user
    company = reference(visible_companies(request.user), data.pop("company_id"), "company_id")
    contact = crm_services.contact_create(user=request.user, owner=owner, company=company, **data)
    return Status(201, contact)


@router.get(
    "/contacts/{contact_id}",
    response={200: ContactOut, **error_responses(*ITEM_ERRORS)},
    tags=["Contacts"],
    summary="Read a contact",
)
def contact_read(request, contact_id: Id):
    return visible_or_404(visible_contacts(request.user), contact_id)


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, **error_responses(*WRITE_ERRORS)},
    tags=["Contacts"],
    summary="Change a contact",
)
def contact_update(request, contact_id: Id, payload: ContactPatch):
    require_editor(request.user)
    contact = visible_or_404(visible_contacts(request.user), contact_id)
    data = payload.dict(exclude_unset=True)
    owner = owner_reference(request.user, data.pop("owner_id", None))
    if owner is not None:
        data["owner"] = owner
    if "company_id" in data:
        data["company"] = reference(
            visible_companies(request.user), data.pop("company_id"), "company_id"
        )
    return crm_services.contact_update(contact=contact, user=request.user, **data)


@router.delete(
    "/contacts/{contact_id}",
    response={204: None, **error_responses(*WRITE_ERRORS)},
    tags=["Contacts"],
    summary="Delete a contact that takes part in no deal",
)
def contact_destroy(request, contact_id: Id):
    require_editor(request.user)
    contact = visible_or_404(visible_contacts(request.user), contact_id)
    crm_services.contact_delete(contact=contact, user=request.user)
    return Status(204, None)


# Lead sources: everyone reads, administrators write --------------------------------------------


@router.get(
    "/lead-sources",
    response={200: list[LeadSourceOut], **error_responses(*READ_ERRORS)},
    tags=["Lead sources"],
    summary="List lead sources",
)
@paginate(Pagination)
def lead_source_list(request, is_active: bool | None = None):
    sources = LeadSource.objects.all()
    return sources if is_active is None else sources.filter(is_active=is_active)


@router.post(
    "/lead-sources",
    response={201: LeadSourceOut, **error_responses(*WRITE_ERRORS)},
    tags=["Lead sources"],
    summary="Create a lead source (administrators)",
)
def lead_source_create(request, payload: LeadSourceIn):
    require_admin(request.user)
    with unique_on("name"):
        source = lead_source_save(**payload.dict())
    return Status(201, source)


@router.get(
    "/lead-sources/{source_id}",
    response={200: LeadSourceOut, **error_responses(*ITEM_ERRORS)},
    tags=["Lead sources"],
    summary="Read a lead source",
)
def lead_source_read(request, source_id: Id):
    return visible_or_404(LeadSource.objects.all(), source_id)


@router.patch(
    "/lead-sources/{source_id}",
    response={200: LeadSourceOut, **error_responses(*WRITE_ERRORS)},
    tags=["Lead sources"],
    summary="Change a lead source (administrators)",
)
def lead_source_update(request, source_id: Id, payload: LeadSourcePatch):
    require_admin(request.user)
    source = visible_or_404(LeadSource.objects.all(), source_id)
    data = {"name": source.name, "is_active": source.is_active, **payload.dict(exclude_unset=True)}
    with unique_on("name"):
        return lead_source_save(source=source, **data)
