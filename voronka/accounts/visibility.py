"""Row-level visibility: the one place that decides which rows a user may see.

A manager sees own rows, a head the rows owned by the members of the department and of every
department below it (office → team), admins and viewers everything. Every page, API endpoint
and analytics query starts from these helpers.
"""

from django.db.models import Q, QuerySet

from .departments import department_scope_ids
from .models import Role, User


def head_department_ids(user: User) -> set[int]:
    """The head's department and its sub-departments, read once per user object (per request)."""
    if user.department_id is None:
        return set()
    cached = getattr(user, "_head_department_scope", None)
    if cached is None or cached[0] != user.department_id:
        cached = (user.department_id, department_scope_ids(user.department_id))
        user._head_department_scope = cached
    return cached[1]


def owner_filter(user: User, owner_path: str = "owner") -> Q:
    """A Q object that keeps rows whose owner (reached through ``owner_path``) the user may see."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_everything:
        return Q()
    if user.role == Role.HEAD and user.department_id is not None:
        # The owner's id among the scope's members (a subquery on the few users), not a join
        # to users: the row's own owner column, so (owner, …) indexes serve it.
        members = User.objects.filter(department_id__in=head_department_ids(user)).values("pk")
        return Q(**{f"{owner_path}__in": members})
    return Q(**{owner_path: user})


def restrict(queryset: QuerySet, user: User, owner_path: str = "owner") -> QuerySet:
    return queryset.filter(owner_filter(user, owner_path))


def visible_users(user: User) -> QuerySet[User]:
    """Users whose work this user may see (and, for heads, reassign deals to)."""
    users = User.objects.filter(is_active=True)
    if not user.is_authenticated:
        return users.none()
    if user.sees_everything:
        return users
    if user.role == Role.HEAD and user.department_id is not None:
        return users.filter(department_id__in=head_department_ids(user))
    return users.filter(pk=user.pk)


def owner_choices_queryset(user: User) -> QuerySet[User]:
    """Users this user may make the owner of a record (a viewer owns nothing), by name."""
    return visible_users(user).exclude(role=Role.VIEWER).order_by("last_name", "first_name")


def visible_deals(user: User, queryset: QuerySet | None = None) -> QuerySet:
    from voronka.pipeline.models import Deal

    return restrict(Deal.objects.all() if queryset is None else queryset, user)


def visible_companies(user: User, queryset: QuerySet | None = None) -> QuerySet:
    """Companies the user owns (by the owner rule) or has a visible deal with."""
    from voronka.crm.models import Company
    from voronka.pipeline.models import Deal

    companies = Company.objects.all() if queryset is None else queryset
    if user.is_authenticated and user.is_active and user.sees_everything:
        return companies
    # An IN over the user's deals' company ids: both databases read the (few) visible deals
    # once; a correlated EXISTS ran one deal search per company (minutes at 45k companies).
    visible_deal_companies = Deal.objects.filter(owner_filter(user), company_id__isnull=False)
    return companies.filter(
        owner_filter(user) | Q(pk__in=visible_deal_companies.values("company_id"))
    )


def visible_contacts(user: User, queryset: QuerySet | None = None) -> QuerySet:
    """Contacts the user owns or that belong to a company the user can see."""
    from voronka.crm.models import Contact
    from voronka.pipeline.models import Deal

    contacts = Contact.objects.all() if queryset is None else queryset
    if user.is_authenticated and user.is_active and user.sees_everything:
        return contacts
    # visible_companies' rule spelled out on the contact's company (its owner, or a visible
    # deal with it): a nested `company IN (visible companies)` read every company first.
    visible_deal_companies = Deal.objects.filter(owner_filter(user), company_id__isnull=False)
    return contacts.filter(
        owner_filter(user)
        | owner_filter(user, "company__owner")
        | Q(company_id__in=visible_deal_companies.values("company_id"))
    )


def visible_activities(user: User, queryset: QuerySet | None = None) -> QuerySet:
    """Activities the user owns (by the owner rule) or that belong to a deal the user can see:
    a colleague's call on my deal is part of my deal's story. Pages and API share it."""
    from voronka.activities.models import Activity

    activities = Activity.objects.all() if queryset is None else queryset
    by_owner = owner_filter(user)
    if by_owner == Q():  # admins and viewers: everything; `Q() | other` would narrow to other
        return activities
    # The deal's owner through a join, not `deal IN (every visible deal)`: a card's few
    # activities then look their deals up by key instead of hashing a third of all deals.
    return activities.filter(by_owner | owner_filter(user, "deal__owner"))


def visible_documents(user: User, queryset: QuerySet | None = None) -> QuerySet:
    """Documents attached to deals the user can see."""
    from voronka.documents.models import Document

    documents = Document.objects.all() if queryset is None else queryset
    return documents.filter(deal__in=visible_deals(user).values("pk"))


def visible_feedback(user: User, queryset: QuerySet | None = None) -> QuerySet:
    """Customer feedback requests and answers on deals the user can see."""
    from voronka.feedback.models import Feedback

    feedback = Feedback.objects.all() if queryset is None else queryset
    return feedback.filter(deal__in=visible_deals(user).values("pk"))
