"""Writes of sales plans: create, change, delete. Only heads of sales and administrators set plans.

A plan covers one whole calendar period (a month, a quarter or a year); ``period_start`` is the
first day of that period. A head sets plans only for the department they manage, its members and
the customers they can see; product and product-line plans are open to every head.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.visibility import head_department_ids, visible_companies, visible_users
from voronka.core.errors import DomainError

from .models import Plan, PlanDimension, PlanPeriod

TARGET_FIELDS = {
    PlanDimension.EMPLOYEE: "user",
    PlanDimension.DEPARTMENT: "department",
    PlanDimension.PRODUCT: "product",
    PlanDimension.DIRECTION: "direction",
    PlanDimension.CUSTOMER: "company",
}


class PlanNotAllowed(DomainError):
    code = "plan_not_allowed"
    status = 403
    default_message = _("Only heads of sales and administrators set plans.")


class InvalidPlan(DomainError):
    code = "invalid_plan"
    default_message = _("The plan is not valid.")


class PlanExists(DomainError):
    code = "plan_exists"
    status = 409
    default_message = _("A plan for this period and target already exists.")


def period_start_of(period: str, day: date) -> date:
    """The first day of the month, quarter or year that contains ``day``."""
    if period == PlanPeriod.MONTH:
        return day.replace(day=1)
    if period == PlanPeriod.QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def period_end_of(period: str, start: date) -> date:
    """The first day after the period that starts on ``start`` (exclusive end)."""
    months = {PlanPeriod.MONTH: 1, PlanPeriod.QUARTER: 3, PlanPeriod.YEAR: 12}[period]
    month_index = start.year * 12 + start.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def _check_plan(*, user: User, period: str, period_start: date, dimension: str, target, amount):
    if not user.can_manage_team:
        raise PlanNotAllowed()
    if period not in PlanPeriod.values:
        raise InvalidPlan(_("Choose a month, a quarter or a year."), field="period")
    if dimension not in PlanDimension.values:
        raise InvalidPlan(_("Choose what the plan is for."), field="dimension")
    if period_start != period_start_of(period, period_start):
        raise InvalidPlan(_("A plan starts on the first day of its period."), field="period_start")
    if target is None:
        raise InvalidPlan(_("Choose the plan's target."), field=TARGET_FIELDS[dimension])
    if amount is None or Decimal(amount) < 0:
        raise InvalidPlan(_("The target amount must be zero or positive."), field="target_amount")
    if not user.sees_everything:
        if dimension == PlanDimension.EMPLOYEE and not visible_users(user).filter(pk=target.pk):
            raise PlanNotAllowed(_("You can set plans only for your department's members."))
        if dimension == PlanDimension.DEPARTMENT and target.pk not in head_department_ids(user):
            raise PlanNotAllowed(_("You can set a plan only for your own department."))
        if dimension == PlanDimension.CUSTOMER and not visible_companies(user).filter(pk=target.pk):
            raise PlanNotAllowed(_("You can set plans only for customers you can see."))


def _check_unique(plan_fields: dict, exclude_pk=None) -> None:
    duplicates = Plan.objects.filter(**plan_fields)
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    if duplicates.exists():
        raise PlanExists()


@transaction.atomic
def plan_create(
    *,
    user: User,
    period: str,
    period_start: date,
    dimension: str,
    target,
    target_amount: Decimal,
    target_count: int | None = None,
) -> Plan:
    """Create a plan. Raises PlanNotAllowed, InvalidPlan, PlanExists."""
    _check_plan(
        user=user,
        period=period,
        period_start=period_start,
        dimension=dimension,
        target=target,
        amount=target_amount,
    )
    key = {
        "period": period,
        "period_start": period_start,
        "dimension": dimension,
        TARGET_FIELDS[dimension]: target,
    }
    _check_unique(key)
    return Plan.objects.create(
        **key, target_amount=target_amount, target_count=target_count, created_by=user
    )


@transaction.atomic
def plan_update(
    *, plan: Plan, user: User, target_amount: Decimal, target_count: int | None = None
) -> Plan:
    """Change a plan's targets (its period and target stay). Raises PlanNotAllowed, InvalidPlan."""
    _check_plan(
        user=user,
        period=plan.period,
        period_start=plan.period_start,
        dimension=plan.dimension,
        target=getattr(plan, TARGET_FIELDS[plan.dimension]),
        amount=target_amount,
    )
    plan.target_amount = target_amount
    plan.target_count = target_count
    plan.save(update_fields=["target_amount", "target_count", "updated_at"])
    return plan


@transaction.atomic
def plan_delete(*, plan: Plan, user: User) -> None:
    """Delete a plan. Raises PlanNotAllowed."""
    _check_plan(
        user=user,
        period=plan.period,
        period_start=plan.period_start,
        dimension=plan.dimension,
        target=getattr(plan, TARGET_FIELDS[plan.dimension]),
        amount=plan.target_amount,
    )
    plan.delete()
