"""Exports of each entity as a table (CSV or XLSX), limited to the rows the user may see.

Each export is one query (`values_list` over the visible queryset, streamed with `iterator`),
so a download costs the same number of queries whatever the size of the database.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.visibility import (
    restrict,
    visible_activities,
    visible_companies,
    visible_contacts,
    visible_deals,
    visible_users,
)
from voronka.catalog.models import Product
from voronka.crm.models import LeadSource
from voronka.customfields.services import custom_field_targets
from voronka.pipeline.models import StageChange


@dataclass(frozen=True)
class EntityExport:
    key: str
    label: str
    columns: tuple[tuple[str, str], ...]  # (header, values_list path)
    rows: Callable[[User], QuerySet]
    custom_fields_of: str = ""  # "deal" or "company": a column per active custom field

    def all_columns(self) -> list[tuple[str, str]]:
        columns = list(self.columns)
        if self.custom_fields_of:
            columns += [
                (definition.label, f"custom_fields__{definition.code}")
                for definition in custom_field_targets(self.custom_fields_of)
            ]
        return columns

    def headers(self) -> list[str]:
        return [str(header) for header, _path in self.all_columns()]

    def values(self, user: User) -> Iterable[tuple]:
        paths = [path for _header, path in self.all_columns()]
        return self.rows(user).order_by("pk").values_list(*paths).iterator(chunk_size=2000)


EXPORTS: dict[str, EntityExport] = {
    export.key: export
    for export in (
        EntityExport(
            "deals",
            _("Deals"),
            (
                (_("Id"), "pk"),
                (_("External id"), "external_id"),
                (_("Deal title"), "title"),
                (_("Company"), "company__name"),
                (_("Company INN"), "company__inn"),
                (_("Pipeline"), "pipeline__name"),
                (_("Stage"), "stage__name"),
                (_("Status"), "status"),
                (_("Amount"), "amount"),
                (_("Currency"), "currency"),
                (_("Owner"), "owner__username"),
                (_("Lead source"), "lead_source__name"),
                (_("Created"), "created_at"),
                (_("First contact"), "first_contact_at"),
                (_("Expected close date"), "expected_close_date"),
                (_("Closed"), "closed_at"),
                (_("Lost reason"), "lost_reason__name"),
            ),  # fmt: skip
            visible_deals,
            custom_fields_of="deal",
        ),
        EntityExport(
            "companies",
            _("Companies"),
            (
                (_("Id"), "pk"),
                (_("External id"), "external_id"),
                (_("Company"), "name"),
                (_("INN"), "inn"),
                (_("Customer type"), "customer_type"),
                (_("Industry"), "industry"),
                (_("Owner"), "owner__username"),
                (_("Created"), "created_at"),
            ),  # fmt: skip
            visible_companies,
            custom_fields_of="company",
        ),
        EntityExport(
            "contacts",
            _("Contacts"),
            (
                (_("Id"), "pk"),
                (_("External id"), "external_id"),
                (_("First name"), "first_name"),
                (_("Last name"), "last_name"),
                (_("Company"), "company__name"),
                (_("Position"), "position"),
                (_("Phone"), "phone"),
                (_("Email"), "email"),
                (_("Owner"), "owner__username"),
                (_("Created"), "created_at"),
            ),  # fmt: skip
            visible_contacts,
        ),
        EntityExport(
            "activities",
            _("Activities"),
            (
                (_("Id"), "pk"),
                (_("Kind"), "kind"),
                (_("Subject"), "subject"),
                (_("Deal id"), "deal_id"),
                (_("Deal"), "deal__title"),
                (_("Company"), "company__name"),
                (_("Owner"), "owner__username"),
                (_("Due"), "due_at"),
                (_("Done"), "done_at"),
                (_("Created"), "created_at"),
            ),  # fmt: skip
            visible_activities,
        ),
        EntityExport(
            "stage_history",
            _("Stage history"),
            (
                (_("Deal id"), "deal_id"),
                (_("Deal"), "deal__title"),
                (_("Change"), "kind"),
                (_("From"), "from_stage__name"),
                (_("To"), "to_stage__name"),
                (_("Amount"), "amount"),
                (_("When"), "changed_at"),
                (_("Who"), "changed_by__username"),
            ),  # fmt: skip
            lambda user: restrict(StageChange.objects.all(), user, "deal__owner"),
        ),
        EntityExport(
            "products",
            _("Products"),
            (
                (_("Id"), "pk"),
                (_("SKU"), "sku"),
                (_("Product"), "name"),
                (_("Direction"), "direction__name"),
                (_("Unit"), "unit"),
                (_("Price"), "price"),
                (_("Active"), "is_active"),
            ),  # fmt: skip
            lambda user: Product.objects.all(),
        ),
        EntityExport(
            "users",
            _("Users"),
            (
                (_("Id"), "pk"),
                (_("Username"), "username"),
                (_("First name"), "first_name"),
                (_("Last name"), "last_name"),
                (_("Email"), "email"),
                (_("Role"), "role"),
                (_("Department"), "department__name"),
                (_("Active"), "is_active"),
            ),  # fmt: skip
            visible_users,
        ),
        EntityExport(
            "lead_sources",
            _("Lead sources"),
            ((_("Id"), "pk"), (_("Lead source"), "name"), (_("Active"), "is_active")),
            lambda user: LeadSource.objects.all(),
        ),
    )
}
