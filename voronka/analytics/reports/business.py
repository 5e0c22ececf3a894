"""Reports of the business pages: inflow, channels, forecast, demand, repeat purchases and
plans (see `columns` for how a definition serves page, export and API)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.report_columns import Column, Report
from voronka.plans.reports import PLANS  # noqa: F401  (plans owns its report; listed here)

from ..channels import channels
from ..forecast import product_demand, repeat_purchases, weighted_forecast
from ..inflow import inflow_vs_conversion, inflow_weeks

# --- Inflow vs conversion: weekly cohorts and managers --------------------------------------

INFLOW_COLUMNS = (
    Column(gettext_lazy("Week"), "date"),
    Column(gettext_lazy("Inbound deals")),
    Column(gettext_lazy("Won")),
    Column(gettext_lazy("Lost")),
    Column(gettext_lazy("Open")),
    Column(gettext_lazy("Conversion to won"), "rate"),
    Column(gettext_lazy("Open share"), "rate", digits=0),
    Column(gettext_lazy("Settled"), "yesno"),
)


def inflow_rows(weeks) -> list[list]:
    return [
        [
            week.week,
            week.inbound,
            week.won,
            week.lost,
            week.open,
            week.conversion,
            week.open_share,
            week.settled,
        ]
        for week in weeks
    ]


INFLOW = Report(inflow_weeks, INFLOW_COLUMNS, inflow_rows)

INFLOW_MANAGER_COLUMNS = (
    Column(gettext_lazy("Manager"), "text"),
    Column(gettext_lazy("New deals")),
    Column(gettext_lazy("Won")),
    Column(gettext_lazy("Conversion"), "rate"),
    Column(gettext_lazy("Average open load"), "number", digits=1),
)


def inflow_manager_rows(result) -> list[list]:
    return [
        [manager.name, manager.deals, manager.won, manager.conversion, manager.average_load]
        for manager in result.managers
    ]


INFLOW_MANAGERS = Report(inflow_vs_conversion, INFLOW_MANAGER_COLUMNS, inflow_manager_rows)

# --- Channels: one column per customer type, then new and returning customers ---------------


def channel_columns(result) -> list[Column]:
    columns = [
        Column(_("Lead source"), "text"),
        Column(_("Deals")),
        Column(_("Won")),
        Column(_("Lost")),
        Column(_("Open")),
        Column(_("Conversion to won"), "rate"),
        Column(_("Revenue"), "amount"),
        Column(_("Median cycle, days"), "quantity"),
        Column(_("Cost"), "amount"),
        Column(_("Cost per won deal"), "amount"),
    ]
    columns += [
        Column(_("Conversion: %(type)s") % {"type": label}, "rate")
        for _key, label in result.customer_types
    ]
    return columns + [
        Column(_("Conversion: new customers"), "rate"),
        Column(_("Conversion: returning customers"), "rate"),
    ]


def _conversion(split):
    return split.conversion if split else None


def channel_rows(result) -> list[list]:
    rows = []
    for row in result.rows:
        line = [
            row.name or _("No source"),
            row.deals,
            row.won,
            row.lost,
            row.open,
            row.conversion,
            row.revenue,
            row.median_cycle_days,
            row.cost,
            row.cost_per_won,
        ]
        line += [_conversion(row.by_type.get(key)) for key, _label in result.customer_types]
        line += [_conversion(row.by_maturity.get(returning)) for returning in (False, True)]
        rows.append(line)
    return rows


CHANNELS = Report(channels, channel_columns, channel_rows)

CHANNEL_TREND_COLUMNS = (
    Column(gettext_lazy("Lead source"), "text"),
    Column(gettext_lazy("Month"), "month"),
    Column(gettext_lazy("Deals")),
    Column(gettext_lazy("Won")),
    Column(gettext_lazy("Conversion to won"), "rate"),
)


def channel_trend_rows(result) -> list[list]:
    return [
        [row.name or _("No source"), month, split.deals, split.won, split.conversion]
        for row in result.rows
        for month, split in sorted(row.trend.items())
    ]


CHANNELS_TREND = Report(channels, CHANNEL_TREND_COLUMNS, channel_trend_rows)

# --- Forecast, demand and repeat purchases -------------------------------------------------

FORECAST_COLUMNS = (
    Column(gettext_lazy("Expected close month"), "month", missing=gettext_lazy("No expected date")),
    Column(gettext_lazy("Open deals")),
    Column(gettext_lazy("Amount"), "amount"),
    Column(gettext_lazy("Weighted amount"), "amount"),
)


def forecast_rows(result) -> list[list]:
    return [[m.month, m.deals, m.amount, m.weighted] for m in result.months]


FORECAST = Report(weighted_forecast, FORECAST_COLUMNS, forecast_rows)

DEMAND_COLUMNS = (
    Column(gettext_lazy("Product"), "text"),
    Column(gettext_lazy("Product line"), "text"),
    Column(gettext_lazy("Open deals")),
    Column(gettext_lazy("Quantity"), "quantity"),
    Column(gettext_lazy("Unit"), "text"),
    Column(gettext_lazy("Revenue"), "amount"),
    Column(gettext_lazy("Weighted revenue"), "amount"),
)


def demand_rows(products) -> list[list]:
    return [
        [p.name, p.direction, p.deals, p.quantity, p.unit, p.revenue, p.weighted] for p in products
    ]


DEMAND = Report(product_demand, DEMAND_COLUMNS, demand_rows)

REPEAT_COLUMNS = (
    Column(gettext_lazy("First purchase month"), "month"),
    Column(gettext_lazy("New customers")),
    Column(gettext_lazy("Bought again")),
    Column(gettext_lazy("Repeat rate"), "rate"),
)


def repeat_rows(result) -> list[list]:
    """One row per month of first purchase, then the total."""
    rows = [
        [month, customers, repeat, repeat / customers if customers else None]
        for month, (customers, repeat) in result.by_month.items()
    ]
    rows.append([_("Total"), result.customers, result.repeat_customers, result.repeat_rate])
    return rows


REPEAT = Report(repeat_purchases, REPEAT_COLUMNS, repeat_rows)
