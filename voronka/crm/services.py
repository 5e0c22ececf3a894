"""Writes of companies and contacts: pages, API and importer all create and edit through here.

Rules: the INN (Russian tax id) is 10 digits for an organisation or 12 for a sole trader and is
unique among companies; an external id is unique per model; emails must be well formed; an
owner must be an active non-viewer; only editors write; a company or contact that takes part in
deals is never deleted (deals keep their history). Each rule broken raises a `DomainError`
naming the field.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Role, User
from voronka.core import hooks
from voronka.core.errors import DomainError, InvalidOwner, NotPermitted
from voronka.customfields.services import custom_values_clean

from .models import Company, Contact, CustomerType

COMPANY_FIELDS = frozenset(
    {
        "name",
        "inn",
        "customer_type",
        "industry",
        "size",
        "phone",
        "email",
        "website",
        "address",
        "notes",
        "owner",
        "external_id",
        "custom_fields",
    }
)
CONTACT_FIELDS = frozenset(
    {
        "company",
        "first_name",
        "last_name",
        "position",
        "phone",
        "mobile",
        "email",
        "notes",
        "owner",
        "external_id",
    }
)


class InvalidInn(DomainError):
    code = "invalid_inn"
    default_message = _("The INN must be 10 digits (organisation) or 12 digits (sole trader).")


class DuplicateInn(DomainError):
    code = "duplicate_inn"
    default_message = _("Another company already has this INN.")


class DuplicateExternalId(DomainError):
    code = "duplicate_external_id"
    default_message = _("Another record already has this external id.")


class CompanyHasDeals(DomainError):
    code = "company_has_deals"
    status = 409
    default_message = _("The company has deals, so it cannot be deleted.")


class ContactHasDeals(DomainError):
    code = "contact_has_deals"
    status = 409
    default_message = _("The contact takes part in deals, so it cannot be deleted.")


class InvalidEmail(DomainError):
    code = "invalid_email"
    default_message = _("Enter a valid email address, like name@example.com.")


def _require_editor(user: User | None) -> None:
    if user is not None and not user.can_edit:
        raise NotPermitted()


def _check_owner(owner: User) -> None:
    if not owner.is_active or owner.role == Role.VIEWER:
        raise InvalidOwner(field="owner")


def _clean_inn(inn: str, *, company: Company | None = None) -> str:
    inn = "".join((inn or "").split())
    if not inn:
        return ""
    if not inn.isdigit() or len(inn) not in (10, 12):
        raise InvalidInn(field="inn")
    others = Company.objects.filter(inn=inn)
    if company is not None and company.pk:
        others = others.exclude(pk=company.pk)
    if others.exists():
        raise DuplicateInn(field="inn")
    return inn


def _check_external_id(model, instance, external_id: str) -> None:
    others = model.objects.filter(external_id=external_id)
    if instance.pk:
        others = others.exclude(pk=instance.pk)
    if external_id and others.exists():
        raise DuplicateExternalId(field="external_id")


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            raise InvalidEmail(field="email") from error
    return email


def _clean_required(value: str, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    return value


def _unknown_fields(fields: dict, allowed: frozenset) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}")


def _save_company(company: Company) -> Company:
    _check_external_id(Company, company, company.external_id)
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError as error:
        # Two people saving the same INN at once: the unique constraint decides.
        raise DuplicateInn(field="inn") from error
    return company


@transaction.atomic
def company_create(*, user: User | None, owner: User, name: str, **fields) -> Company:
    """Create a company. Raises InvalidInn, DuplicateInn, InvalidEmail, InvalidOwner, NotPermitted."""
    _require_editor(user)
    _unknown_fields({"name": name, "owner": owner, **fields}, COMPANY_FIELDS)
    _check_owner(owner)
    if "custom_fields" in fields:
        fields["custom_fields"] = custom_values_clean(
            entity="company", values=fields["custom_fields"]
        )
    company = Company(owner=owner, **fields)
    company.name = _clean_required(name, "name", _("Enter the company's name."))
    company.inn = _clean_inn(fields.get("inn", ""))
    company.email = _clean_email(fields.get("email", ""))
    company.customer_type = fields.get("customer_type") or CustomerType.SMALL
    return _save_company(company)


@transaction.atomic
def company_update(*, company: Company, user: User | None, **fields) -> Company:
    """Edit a company's fields. Raises the same errors as `company_create`."""
    _require_editor(user)
    _unknown_fields(fields, COMPANY_FIELDS)
    if "owner" in fields:
        _check_owner(fields["owner"])
    if "name" in fields:
        fields["name"] = _clean_required(fields["name"], "name", _("Enter the company's name."))
    if "inn" in fields:
        fields["inn"] = _clean_inn(fields["inn"], company=company)
    if "email" in fields:
        fields["email"] = _clean_email(fields["email"])
    if "custom_fields" in fields:  # checked by kind; keys not sent keep their values
        fields["custom_fields"] = custom_values_clean(
            entity="company", values=fields["custom_fields"], current=company.custom_fields
        )
    retyped = "customer_type" in fields and fields["customer_type"] != company.customer_type
    for name, value in fields.items():
        setattr(company, name, value)
    company = _save_company(company)
    if retyped:  # its deals move to other rows of the analytics channel summary
        hooks.run(hooks.customer_type_changed, [company.pk])
    return company


@transaction.atomic
def contact_create(*, user: User | None, owner: User, first_name: str, **fields) -> Contact:
    """Create a contact person. Raises InvalidEmail, InvalidOwner, NotPermitted."""
    _require_editor(user)
    _unknown_fields({"first_name": first_name, "owner": owner, **fields}, CONTACT_FIELDS)
    _check_owner(owner)
    contact = Contact(owner=owner, **fields)
    contact.first_name = _clean_required(first_name, "first_name", _("Enter the person's name."))
    contact.email = _clean_email(fields.get("email", ""))
    _check_external_id(Contact, contact, contact.external_id)
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, user: User | None, **fields) -> Contact:
    """Edit a contact's fields. Raises InvalidEmail, InvalidOwner, NotPermitted."""
    _require_editor(user)
    _unknown_fields(fields, CONTACT_FIELDS)
    if "owner" in fields:
        _check_owner(fields["owner"])
    if "first_name" in fields:
        fields["first_name"] = _clean_required(
            fields["first_name"], "first_name", _("Enter the person's name.")
        )
    if "email" in fields:
        fields["email"] = _clean_email(fields["email"])
    for name, value in fields.items():
        setattr(contact, name, value)
    _check_external_id(Contact, contact, contact.external_id)
    contact.save()
    return contact


@transaction.atomic
def company_delete(*, company: Company, user: User | None) -> None:
    """Delete a company without deals. Raises CompanyHasDeals, NotPermitted."""
    _require_editor(user)
    if company.deals.exists():
        raise CompanyHasDeals()
    company.delete()


@transaction.atomic
def contact_delete(*, contact: Contact, user: User | None) -> None:
    """Delete a contact that takes part in no deal. Raises ContactHasDeals, NotPermitted."""
    _require_editor(user)
    if contact.deals.exists():
        raise ContactHasDeals()
    contact.delete()
