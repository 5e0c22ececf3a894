"""The plans report: plan, fact and potential of each plan in force. One definition serves
the plans page's table, its CSV/XLSX export and the API's report endpoint (analytics lists it
among its reports)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from voronka.core.report_columns import Column, Report, Row

from .selectors import plan_progress, plan_rollups, plans_active_on, visible_plans

PLAN_COLUMNS = (
    Column(gettext_lazy("Period"), "text", grouped=True),
    Column(gettext_lazy("Period start"), "date", grouped=True),
    Column(gettext_lazy("Plan for"), "text", grouped=True),
    Column(gettext_lazy("Target"), "text"),
    Column(gettext_lazy("Target amount"), "amount"),
    Column(gettext_lazy("Fact (won)"), "amount"),
    Column(gettext_lazy("Fact, share of target"), "rate", digits=0),
    Column(gettext_lazy("Won deals")),
    Column(gettext_lazy("Target deal count")),
    Column(gettext_lazy("Weighted open pipeline"), "amount"),
    Column(gettext_lazy("Potential"), "amount"),
    Column(gettext_lazy("Potential, share of target"), "rate", digits=0),
    Column(gettext_lazy("Still to win"), "amount"),
)


def plan_rows(progress) -> list[Row]:
    """The plans in the page's order: per period and dimension (a row group), the best first."""
    return [
        Row(
            [
                item.plan.get_period_display(),
                item.plan.period_start,
                item.plan.get_dimension_display(),
                item.target_name,
                item.plan.target_amount,
                item.fact_amount,
                item.fact_share,
                item.fact_count,
                item.plan.target_count,
                item.weighted_open,
                item.potential,
                item.potential_share,
                item.gap,
            ],
            source=item,
            continued=index > 0,
        )
        for rollup in plan_rollups(progress)
        for index, item in enumerate(rollup.items)
    ]


def plans_in_force(analytics_filter, user):
    """Plans in force on the last day of the period (the filter's dimensions do not apply)."""
    return plan_progress(plans_active_on(visible_plans(user), analytics_filter.date_to), user)


PLANS = Report(plans_in_force, PLAN_COLUMNS, plan_rows)
