"""Reads of companies and contacts: lists, the company's purchase history, the global search.

Every function starts from the user's visible rows (`voronka.accounts.visibility`).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.visibility import (
    visible_activities,
    visible_companies,
    visible_contacts,
    visible_deals,
)
from voronka.activities.models import Activity
from voronka.core.text_search import text_match
from voronka.pipeline.models import Deal, DealStatus

from .listing import cached_for_user
from .models import Company, Contact, LeadSource, LeadSourceCost

# How many rows the company/contact timelines and deal lists show; older rows stay in the database.
DETAIL_LIMIT = 100
# How many hits per group the search shows (the quick dropdown shows fewer).
SEARCH_LIMIT = 20
QUICK_SEARCH_LIMIT = 5
SEARCH_MIN_LENGTH = 2


class Maturity:
    """New vs returning customer, derived from the number of won deals, never typed in."""

    PROSPECT = "prospect"
    NEW = "new"
    RETURNING = "returning"
    CHOICES = (
        (PROSPECT, _("Prospect (no purchase yet)")),
        (NEW, _("New customer (one purchase)")),
        (RETURNING, _("Returning customer")),
    )
    LABELS = {
        PROSPECT: _("Prospect"),
        NEW: _("New customer"),
        RETURNING: _("Returning customer"),
    }

    @classmethod
    def of(cls, won_count: int) -> str:
        if won_count >= 2:
            return cls.RETURNING
        return cls.NEW if won_count == 1 else cls.PROSPECT

    @classmethod
    def filter_q(cls, value: str) -> Q:
        """A filter on a queryset annotated with `won_count`."""
        if value == cls.RETURNING:
            return Q(won_count__gte=2)
        if value == cls.NEW:
            return Q(won_count=1)
        return Q(won_count=0)


def company_list(*, user: User) -> QuerySet[Company]:
    """Visible companies with their owner and how many deals they have won (maturity).

    The figures are per-company subqueries, not a join grouped over every company: a page
    sorted by name computes them for its 50 rows only, and the count needs no deals at all."""
    won = Deal.objects.filter(company_id=OuterRef("pk"), status=DealStatus.WON).order_by()
    won_count = won.values("company_id").annotate(count=Count("pk")).values("count")
    last_purchase_at = won.values("company_id").annotate(last=Max("closed_at")).values("last")
    return (
        visible_companies(user)
        .select_related("owner")
        .annotate(
            won_count=Coalesce(Subquery(won_count), 0),
            last_purchase_at=Subquery(last_purchase_at),
        )
    )


def visible_industries(*, user: User, limit: int, data_stamp=None) -> list[str]:
    """The industries of the user's visible companies, alphabetically (the filter's choices);
    cached under `data_stamp` when given, as reading them scans every visible company."""

    def compute():
        return list(
            visible_companies(user)
            .exclude(industry="")
            .order_by("industry")
            .values_list("industry", flat=True)
            .distinct()[:limit]
        )

    if data_stamp is None:
        return compute()
    return cached_for_user(
        "company-industries", user=user, parts=limit, data_stamp=data_stamp, compute=compute
    )


def lead_sources_with_usage() -> QuerySet[LeadSource]:
    """Every lead source with its number of deals and the sum of its monthly costs (settings).

    Two grouped subqueries: joining deals and costs together multiplied the rows (every deal
    × every month) and needed a DISTINCT over all deals of each source."""
    deals = Deal.objects.filter(lead_source=OuterRef("pk")).order_by().values("lead_source")
    costs = LeadSourceCost.objects.filter(source=OuterRef("pk")).order_by().values("source")
    return LeadSource.objects.annotate(
        deal_count=Coalesce(Subquery(deals.annotate(count=Count("pk")).values("count")), 0),
        total_cost=Subquery(costs.annotate(total=Sum("amount")).values("total")),
    )


def contact_list(*, user: User) -> QuerySet[Contact]:
    return visible_contacts(user).select_related("company", "owner")


def _latest_change(model) -> datetime | None:
    return model.objects.aggregate(stamp=Max("updated_at"))["stamp"]


def companies_data_stamp() -> tuple:
    """The latest change to a company or a deal, each read from an index: which companies a
    user sees and their maturity follow both, so the list's cached totals are keyed by them."""
    return _latest_change(Company), _latest_change(Deal)


def contacts_data_stamp() -> tuple:
    """The same for contacts, which a user sees through their owner, company or its deals."""
    return _latest_change(Contact), *companies_data_stamp()


@dataclass(frozen=True)
class PurchaseHistory:
    """Repeat purchases of one company: counted over all its won deals (a company fact)."""

    won_count: int
    first_purchase_at: datetime | None
    latest_purchase_at: datetime | None
    # Revenue only over the deals the user may see.
    visible_won_amount: Decimal
    open_count: int
    lost_count: int

    @property
    def maturity(self) -> str:
        return Maturity.of(self.won_count)

    @property
    def maturity_label(self) -> str:
        return Maturity.LABELS[self.maturity]

    @property
    def is_returning(self) -> bool:
        return self.maturity == Maturity.RETURNING


def company_purchase_history(*, company: Company, user: User) -> PurchaseHistory:
    """Two aggregate queries whatever the number of deals."""
    won = Q(status=DealStatus.WON)
    facts = company.deals.aggregate(
        won_count=Count("pk", filter=won),
        first_purchase_at=Min("closed_at", filter=won),
        latest_purchase_at=Max("closed_at", filter=won),
    )
    visible = visible_deals(user).filter(company=company)
    amounts = visible.aggregate(
        visible_won_amount=Coalesce(
            Sum("amount", filter=won), Value(Decimal(0)), output_field=DecimalField()
        ),
        open_count=Count("pk", filter=Q(status=DealStatus.OPEN)),
        lost_count=Count("pk", filter=Q(status=DealStatus.LOST)),
    )
    return PurchaseHistory(**facts, **amounts)


def company_deals(*, company: Company, user: User) -> list:
    return list(
        visible_deals(user)
        .filter(company=company)
        .select_related("stage", "pipeline", "owner", "lost_reason")
        .order_by("-created_at", "-pk")[:DETAIL_LIMIT]
    )


def company_contacts(*, company: Company, user: User) -> list:
    return list(
        visible_contacts(user, company.contacts.all()).order_by("last_name", "first_name")[
            :DETAIL_LIMIT
        ]
    )


def company_timeline(*, company: Company, user: User) -> list:
    """Activities logged on the company, its deals or its people, newest first."""
    # A UNION of three index searches (on the company, its deals, its people): an OR across
    # joins read every activity, and SQLite walked the created_at index through all of them.
    branches = Activity.objects.order_by().values("pk")
    on_company = branches.filter(company=company)
    on_deals = branches.filter(deal_id__in=company.deals.order_by().values("pk"))
    on_people = branches.filter(contact_id__in=company.contacts.order_by().values("pk"))
    activities = visible_activities(user).filter(
        pk__in=on_company.union(on_deals, on_people, all=True)
    )
    return list(
        activities.select_related("owner", "deal", "contact").order_by("-created_at", "-pk")[
            :DETAIL_LIMIT
        ]
    )


def contact_deals(*, contact: Contact, user: User) -> list:
    return list(
        visible_deals(user)
        .filter(contacts=contact)
        .select_related("stage", "pipeline", "owner", "company")
        .order_by("-created_at", "-pk")[:DETAIL_LIMIT]
    )


def contact_timeline(*, contact: Contact, user: User) -> list:
    activities = visible_activities(user).filter(contact=contact)
    return list(
        activities.select_related("owner", "deal").order_by("-created_at", "-pk")[:DETAIL_LIMIT]
    )


@dataclass(frozen=True)
class SearchResults:
    query: str
    deals: list
    companies: list
    contacts: list

    @property
    def is_empty(self) -> bool:
        return not (self.deals or self.companies or self.contacts)

    @property
    def too_short(self) -> bool:
        return len(self.query) < SEARCH_MIN_LENGTH


def global_search(*, user: User, query: str, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Deals by title, companies by name or INN, contacts by name, phone or email.

    Three queries, each over visible rows only; a query shorter than two characters finds nothing.
    """
    query = " ".join(query.split())[:100]
    if len(query) < SEARCH_MIN_LENGTH:
        return SearchResults(query=query, deals=[], companies=[], contacts=[])
    deals = list(
        visible_deals(user)
        .filter(text_match("title", query))
        .select_related("company", "stage")
        .order_by("-created_at", "-pk")[:limit]
    )
    companies = list(
        visible_companies(user)
        .filter(text_match("name", query) | Q(inn__startswith=query))
        .order_by("name", "pk")[:limit]
    )
    contact_match = (
        text_match("first_name", query)
        | text_match("last_name", query)
        | Q(phone__icontains=query)
        | Q(mobile__icontains=query)
        | Q(email__icontains=query)
    )
    parts = query.split(" ", 1)
    if len(parts) == 2:
        # "Ivan Petrov" and "Petrov Ivan" both find the person.
        first, second = parts
        contact_match |= (text_match("first_name", first) & text_match("last_name", second)) | (
            text_match("first_name", second) & text_match("last_name", first)
        )
    contacts = list(
        visible_contacts(user)
        .filter(contact_match)
        .select_related("company")
        .order_by("last_name", "first_name", "pk")[:limit]
    )
    return SearchResults(query=query, deals=deals, companies=companies, contacts=contacts)
