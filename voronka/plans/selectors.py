"""Reads of sales plans: which plans a user sees, and plan vs fact vs potential.

* Fact: deals won in the plan's period (``closed_at`` in the period, site time zone) that match
  the plan's dimension: the owner (employee), the owner's department, the customer; for a
  product or a product line, the won deals' line items of it (quantity × price), so a deal
  selling two products counts towards each with its own share.
* Potential: fact + weighted open pipeline expected to close in the period
  (``expected_close_date`` in the period; weight = the deal's win probability now, else the
  stage's manual probability).
* Only deals the viewer may see count (``visible_deals``): a head sees the department's share.

One grouped query per dimension for fact and one for potential, whatever the number of plans
and deals: periods are whole months, so facts are grouped by (target, month) and summed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from voronka.accounts.departments import department_scope_ids, department_scopes
from voronka.accounts.models import Role, User
from voronka.accounts.visibility import (
    head_department_ids,
    restrict,
    visible_companies,
    visible_deals,
    visible_users,
)
from voronka.core.local_time import local_trunc, month_of_date
from voronka.pipeline.models import DealLineItem, DealStatus
from voronka.pipeline.probability import effective_probability

from .models import Plan, PlanDimension, PlanPeriod
from .services import period_end_of, period_start_of

# For each dimension: the path from a deal to the plan's target, and whether the figure comes
# from line items (products) rather than whole deals.
DEAL_PATHS = {
    PlanDimension.EMPLOYEE: ("owner_id", False),
    PlanDimension.DEPARTMENT: ("owner__department_id", False),
    PlanDimension.CUSTOMER: ("company_id", False),
    PlanDimension.PRODUCT: ("product_id", True),
    PlanDimension.DIRECTION: ("product__direction_id", True),
}
PLAN_KEYS = {
    PlanDimension.EMPLOYEE: "user_id",
    PlanDimension.DEPARTMENT: "department_id",
    PlanDimension.CUSTOMER: "company_id",
    PlanDimension.PRODUCT: "product_id",
    PlanDimension.DIRECTION: "direction_id",
}


def visible_plans(user: User) -> QuerySet[Plan]:
    """Admins and viewers see every plan; a head the plans of the department, its members, the
    products and product lines, and the customers the head can see; a manager only own plans."""
    plans = Plan.objects.select_related("user", "department", "product", "direction", "company")
    if not user.is_authenticated or not user.is_active:
        return plans.none()
    if user.sees_everything:
        return plans
    if user.role == Role.HEAD and user.department_id is not None:
        return plans.filter(
            Q(dimension=PlanDimension.EMPLOYEE, user__in=visible_users(user))
            | Q(dimension=PlanDimension.DEPARTMENT, department_id__in=head_department_ids(user))
            | Q(dimension__in=[PlanDimension.PRODUCT, PlanDimension.DIRECTION])
            | Q(dimension=PlanDimension.CUSTOMER, company__in=visible_companies(user))
        )
    return plans.filter(dimension=PlanDimension.EMPLOYEE, user=user)


def plans_of_department(plans: QuerySet[Plan], department_id: int) -> QuerySet[Plan]:
    """Plans of a department and its sub-departments, and of the people who work in them."""
    scope = department_scope_ids(department_id)
    return plans.filter(
        Q(dimension=PlanDimension.DEPARTMENT, department_id__in=scope)
        | Q(dimension=PlanDimension.EMPLOYEE, user__department_id__in=scope)
    )


def plans_active_on(plans: QuerySet[Plan], day: date) -> QuerySet[Plan]:
    """Plans whose period contains ``day`` (this month's, this quarter's and this year's)."""
    return plans.filter(
        Q(period=PlanPeriod.MONTH, period_start=period_start_of(PlanPeriod.MONTH, day))
        | Q(period=PlanPeriod.QUARTER, period_start=period_start_of(PlanPeriod.QUARTER, day))
        | Q(period=PlanPeriod.YEAR, period_start=period_start_of(PlanPeriod.YEAR, day))
    )


@dataclass
class PlanProgress:
    plan: Plan
    target_name: str
    period_end: date  # exclusive
    fact_amount: Decimal = Decimal(0)
    fact_count: int = 0
    weighted_open: Decimal = Decimal(0)
    open_count: int = 0

    @property
    def potential(self) -> Decimal:
        return self.fact_amount + self.weighted_open

    @property
    def fact_share(self) -> float | None:
        """Fact / target (None for a zero target)."""
        target = self.plan.target_amount
        return float(self.fact_amount / target) if target else None

    @property
    def potential_share(self) -> float | None:
        target = self.plan.target_amount
        return float(self.potential / target) if target else None

    @property
    def gap(self) -> Decimal:
        """What is still missing to the target (0 once reached)."""
        return max(self.plan.target_amount - self.fact_amount, Decimal(0))


@dataclass
class RollUp:
    """All plans of one period kind, period and dimension added up."""

    period: str
    period_start: date
    dimension: str
    plans: int = 0
    target_amount: Decimal = Decimal(0)
    fact_amount: Decimal = Decimal(0)
    potential: Decimal = Decimal(0)
    items: list[PlanProgress] = field(default_factory=list)

    @property
    def label(self) -> str:
        return period_label(self.period, self.period_start)

    @property
    def fact_share(self) -> float | None:
        return float(self.fact_amount / self.target_amount) if self.target_amount else None

    @property
    def potential_share(self) -> float | None:
        return float(self.potential / self.target_amount) if self.target_amount else None


def period_label(period: str, start: date) -> str:
    """ "May 2026", "Q2 2026" or "2026"."""
    from django.utils.dateformat import format as date_format

    if period == PlanPeriod.MONTH:
        return date_format(start, "F Y")
    if period == PlanPeriod.QUARTER:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return str(start.year)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _months(start: date, end: date) -> list[int]:
    return list(range(_month_index(start), _month_index(end)))


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _money(value) -> Decimal:
    if value is None:
        return Decimal(0)
    return Decimal(str(round(float(value), 2))).quantize(Decimal("0.01"))


def _target_name(plan: Plan) -> str:
    target = {
        PlanDimension.EMPLOYEE: plan.user,
        PlanDimension.DEPARTMENT: plan.department,
        PlanDimension.PRODUCT: plan.product,
        PlanDimension.DIRECTION: plan.direction,
        PlanDimension.CUSTOMER: plan.company,
    }[plan.dimension]
    return str(target)


def _grouped(viewer: User, dimension: str, keys: set, start: date, end: date):
    """{(key, month index): (fact amount, fact count, weighted open, open count)}."""
    path, by_line = DEAL_PATHS[dimension]
    figures: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0, Decimal(0), 0])
    if by_line:
        items = restrict(DealLineItem.objects.all(), viewer, "deal__owner").filter(
            **{f"{path}__in": keys}
        )
        line_total = Cast(F("quantity"), FloatField()) * Cast(F("unit_price"), FloatField())
        won = items.filter(
            deal__status=DealStatus.WON,
            deal__closed_at__gte=_aware(start),
            deal__closed_at__lt=_aware(end),
        ).annotate(month=local_trunc("month", "deal__closed_at", _aware(start), _aware(end)))
        won_rows = won.values(path, "month").annotate(
            total=Sum(line_total), n=Count("deal_id", distinct=True)
        )
        pending = items.filter(
            deal__status=DealStatus.OPEN,
            deal__expected_close_date__gte=start,
            deal__expected_close_date__lt=end,
        ).annotate(month=month_of_date("deal__expected_close_date"))
        open_rows = pending.values(path, "month").annotate(
            total_weighted=Sum(line_total * effective_probability("deal__")),
            n=Count("deal_id", distinct=True),
        )
    else:
        deals = visible_deals(viewer).filter(**{f"{path}__in": keys})
        won = deals.filter(
            status=DealStatus.WON, closed_at__gte=_aware(start), closed_at__lt=_aware(end)
        ).annotate(month=local_trunc("month", "closed_at", _aware(start), _aware(end)))
        won_rows = won.values(path, "month").annotate(total=Sum("amount"), n=Count("pk"))
        pending = deals.filter(
            status=DealStatus.OPEN, expected_close_date__gte=start, expected_close_date__lt=end
        ).annotate(month=month_of_date("expected_close_date"))
        weighted = Cast("amount", FloatField()) * effective_probability()
        open_rows = pending.values(path, "month").annotate(
            total_weighted=Sum(weighted), n=Count("pk")
        )
    for r in won_rows.order_by():
        month = r["month"].date() if hasattr(r["month"], "date") else r["month"]
        cell = figures[(r[path], _month_index(month))]
        cell[0] += _money(r["total"]) if by_line else (r["total"] or Decimal(0))
        cell[1] += r["n"]
    for r in open_rows.order_by():
        month = r["month"].date() if hasattr(r["month"], "date") else r["month"]
        cell = figures[(r[path], _month_index(month))]
        cell[2] += _money(r["total_weighted"])
        cell[3] += r["n"]
    return figures


def plan_progress(plans, viewer: User) -> list[PlanProgress]:
    """Fact and potential for each plan, counted over the deals the viewer may see.

    One deal may count in several plans (its owner's and the department's): each plan reads
    its own slice. A deal closes in one month only, so summing months never counts it twice.
    """
    plans = list(plans)
    result = [
        PlanProgress(
            plan=plan,
            target_name=_target_name(plan),
            period_end=period_end_of(plan.period, plan.period_start),
        )
        for plan in plans
    ]
    by_dimension: dict[str, list[PlanProgress]] = defaultdict(list)
    for item in result:
        by_dimension[item.plan.dimension].append(item)
    for dimension, items in by_dimension.items():
        key_name = PLAN_KEYS[dimension]
        plan_keys = {getattr(item.plan, key_name) for item in items}
        # A department's plan counts its sub-departments' deals too (an office its teams).
        if dimension == PlanDimension.DEPARTMENT:
            scopes = department_scopes(plan_keys)
        else:
            scopes = {key: {key} for key in plan_keys}
        keys = set().union(*scopes.values())
        start = min(item.plan.period_start for item in items)
        end = max(item.period_end for item in items)
        figures = _grouped(viewer, dimension, keys, start, end)
        for item in items:
            for key in scopes[getattr(item.plan, key_name)]:
                for month in _months(item.plan.period_start, item.period_end):
                    cell = figures.get((key, month))
                    if cell is None:
                        continue
                    item.fact_amount += cell[0]
                    item.fact_count += cell[1]
                    item.weighted_open += cell[2]
                    item.open_count += cell[3]
    return result


def plan_rollups(progress: list[PlanProgress]) -> list[RollUp]:
    """Plans added up per period kind, period start and dimension (e.g. all employees' May)."""
    rollups: dict[tuple, RollUp] = {}
    for item in progress:
        plan = item.plan
        key = (plan.period, plan.period_start, plan.dimension)
        if key not in rollups:
            rollups[key] = RollUp(plan.period, plan.period_start, plan.dimension)
        rollup = rollups[key]
        rollup.plans += 1
        rollup.target_amount += plan.target_amount
        rollup.fact_amount += item.fact_amount
        rollup.potential += item.potential
        rollup.items.append(item)
    for rollup in rollups.values():  # best first
        rollup.items.sort(key=lambda item: (-(item.fact_share or 0), item.target_name))
    order = {value: index for index, value in enumerate(PlanPeriod.values)}
    dims = {value: index for index, value in enumerate(PlanDimension.values)}
    return sorted(
        rollups.values(),
        key=lambda r: (order[r.period], -_month_index(r.period_start), dims[r.dimension]),
    )
