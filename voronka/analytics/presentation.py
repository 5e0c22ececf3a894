"""Presentation shared by the analytics pages: chart and table holders, the page loop
(filter, export or render) and the formatting of figures in tables."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from voronka.core import formatting
from voronka.core.models import Organisation
from voronka.core.report_columns import Table, report_table  # noqa: F401  (the pages import them here)
from voronka.core.tabular_export import EXPORT_FORMATS, tabular_response

from .filters import analytics_filter_from_request, empty_period_offer
from .grouping import GROUPED_TABS, group_dimension, grouped_funnel, grouped_outcomes
from .reports import REPORTS


@dataclass
class Chart:
    id: str
    figure: dict
    title: str = ""
    note: str = ""
    wide: bool = False  # spans the whole row (heatmaps with many columns)

    @property
    def data_id(self) -> str:
        return f"{self.id}-data"


def analytics_page(request, *, report: str, template: str, tab: str, title: str, build):
    """Parse the filter; answer ``?export=`` with the report, otherwise render the page.

    ``build(analytics_filter, user) -> dict`` adds the page's charts and tables to the context.
    """
    analytics_filter, form = analytics_filter_from_request(request)
    export = request.GET.get("export")
    if export is not None:
        if export not in EXPORT_FORMATS:
            return HttpResponse(
                _("Unknown export format: choose csv or xlsx."),
                status=400,
                content_type="text/plain",
            )
        if analytics_filter is None:
            raise Http404(_("There is no pipeline yet."))
        headers, rows = REPORTS[report](analytics_filter, request.user)
        stem = f"{report}-{analytics_filter.date_from:%Y%m%d}-{analytics_filter.date_to:%Y%m%d}"
        return tabular_response(stem, headers, rows, export)
    context = {
        "analytics_filter": analytics_filter,
        "filter_form": form,
        "filter_query": urlencode(analytics_filter.as_query()) if analytics_filter else "",
        "active_tab": tab,
        "page_title": title,
        "export_enabled": True,
        "period_offer": None,
    }
    if analytics_filter is not None:
        # An empty chosen period is said so, with a link to the latest one that holds deals.
        offer = empty_period_offer(analytics_filter, request.user)
        if offer is not None:
            context["period_offer"] = offer
            context["period_offer_query"] = urlencode(offer.as_query())
        # The organisation is read once: the layout reuses it and every amount takes its currency.
        request.organisation = Organisation.current()
        with formatting.amounts_in(request.organisation.currency):
            context |= build(analytics_filter, request.user)
            context["group_table"] = group_table(analytics_filter, request.user, tab)
    if tab not in GROUPED_TABS:
        form.fields.pop("group_by", None)
    return render(request, template, context, status=400 if form.errors else 200)


# Figures in the active language («21,1 %», «1 234»): one set of rules in core.formatting.
def format_percent(value, digits=0) -> str:
    return formatting.format_percent(value, digits)


def format_number(value, digits=0) -> str:
    return formatting.format_number(value, digits)


def format_money(value, digits=0) -> str:
    """An amount in the organisation's currency: «1 234 ₽»."""
    return formatting.format_money(value, formatting.organisation_currency(), digits)


def format_delta(current, previous) -> str:
    if current is None or previous is None:
        return ""
    difference = (current - previous) * 100
    return _("%(difference)s pp") % {"difference": formatting.format_signed(difference)}


def format_slope(slope, per: int) -> str:
    """The change of conversion in percentage points for ``per`` more deals, e.g. "−2,1 pp"."""
    if slope is None:
        return "—"
    return _("%(difference)s pp") % {
        "difference": formatting.format_signed(slope.slope * per * 100)
    }


def format_slope_interval(slope, per: int) -> str:
    if slope is None:
        return _("not enough settled weeks")
    return _("95%% interval %(low)s … %(high)s pp; %(n)s points") % {
        "low": formatting.format_signed(slope.low * per * 100),
        "high": formatting.format_signed(slope.high * per * 100),
        "n": slope.points,
    }


def group_table(analytics_filter, user, tab: str) -> Table | None:
    """The page's figures split by the chosen “Group by” dimension (one SQL query)."""
    dimension = group_dimension(analytics_filter.group_by) if tab in GROUPED_TABS else None
    if dimension is None:
        return None
    title = _("By %(dimension)s") % {"dimension": dimension.label}
    if tab == "funnel":
        stages, rows = grouped_funnel(analytics_filter, user, dimension)
        return Table(
            headers=[dimension.label, _("Deals")] + [stage.name for stage in stages] + [_("Won")],
            rows=[
                [row["group"], format_number(row["deals"])]
                + [format_number(row[f"stage_{stage.pk}"]) for stage in stages]
                + [format_number(row["won"])]
                for row in rows
            ],
            title=title,
            note=_("Deals that reached each stage (or a later one), per group."),
            testid="group-table",
            anchor="by-group",
        )
    rows = grouped_outcomes(analytics_filter, user, dimension)
    return Table(
        headers=[
            dimension.label,
            _("Deals"),
            _("Open"),
            _("Won"),
            _("Lost"),
            _("Win rate"),
            _("Won amount"),
        ],
        rows=[
            [
                row["group"],
                format_number(row["deals"]),
                format_number(row["open"]),
                format_number(row["won"]),
                format_number(row["lost"]),
                format_percent(row["win_rate"], 1),
                format_money(row["won_amount"] or 0),
            ]
            for row in rows
        ],
        title=title,
        note=_("Win rate: won among the closed deals of the group."),
        testid="group-table",
        anchor="by-group",
    )
