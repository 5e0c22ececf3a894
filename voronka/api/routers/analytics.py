"""Analytics figures as read endpoints. Thin: build the shared `AnalyticsFilter` from the query
and call the public functions of `voronka.analytics`; every figure starts from the caller's
visible deals, so a token never counts more than its user sees."""

from datetime import date
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from voronka.analytics.channels import channels
from voronka.analytics.filters import AnalyticsFilter, default_period, default_pipeline
from voronka.analytics.funnel import funnel
from voronka.analytics.inflow import inflow_vs_conversion
from voronka.analytics.reports import REPORTS
from voronka.core.errors import DomainError
from voronka.crm.models import CustomerType
from voronka.pipeline.models import Pipeline

from ..errors import error_responses
from ..schemas.common import Id
from ..schemas.deals import Day
from .common import reference

router = Router(tags=["Analytics"])

# 404: an unknown pipeline id (`invalid_reference`); 409: no pipeline yet, or a reversed period.
ANALYTICS_ERRORS = (401, 404, 409, 422)
CustomerTypeValue = Literal[tuple(CustomerType.values)]
ReportName = Literal[tuple(sorted(REPORTS))]


class InvalidPeriod(DomainError):
    code = "invalid_period"
    default_message = _("The start date must not be after the end date.")


class NoPipeline(DomainError):
    code = "no_pipeline"
    default_message = _("There is no pipeline yet.")


class AnalyticsQuery(Schema):
    pipeline_id: Id | None = Field(None, description="Defaults to the default pipeline.")
    date_from: Day | None = Field(
        None,
        description="Cohort start (first contact); defaults to the latest 12 months holding deals.",
    )
    date_to: Day | None = Field(None, description="Cohort end, inclusive; defaults to today.")
    department_id: Id | None = None
    owner_id: Id | None = None
    lead_source_id: Id | None = None
    product_id: Id | None = None
    customer_type: CustomerTypeValue | None = None


def _filter(query: AnalyticsQuery, user) -> AnalyticsFilter:
    if query.pipeline_id is not None:
        pipeline = reference(Pipeline.objects.all(), query.pipeline_id, "pipeline_id")
    else:
        pipeline = default_pipeline()
        if pipeline is None:
            raise NoPipeline(field="pipeline_id")
    default_from, default_to = default_period(user=user, pipeline=pipeline)
    date_from, date_to = query.date_from or default_from, query.date_to or default_to
    if date_from > date_to:
        raise InvalidPeriod(field="date_from")
    return AnalyticsFilter(
        pipeline=pipeline,
        date_from=date_from,
        date_to=date_to,
        department_id=query.department_id,
        owner_id=query.owner_id,
        lead_source_id=query.lead_source_id,
        product_id=query.product_id,
        customer_type=query.customer_type or "",
    )


class FunnelStageOut(Schema):
    stage_id: int
    name: str
    order: int
    reached: int = Field(description="Deals that reached this stage or a later one.")
    amount: Decimal
    open_here: int
    conversion: float | None = Field(description="Share that reached the next stage (or won).")
    expected_conversion: float | None = Field(description="The stage's manual probability.")
    share_of_first: float | None


class FunnelOut(Schema):
    pipeline_id: int
    date_from: date
    date_to: date
    deals: int
    won: int
    lost: int
    open: int
    won_amount: Decimal
    win_rate: float | None
    closed_win_rate: float | None
    stages: list[FunnelStageOut]


@router.get(
    "/analytics/funnel",
    response={200: FunnelOut, **error_responses(*ANALYTICS_ERRORS)},
    summary="Funnel: deals that reached each stage, conversions, win rate",
)
def analytics_funnel(request, query: Query[AnalyticsQuery]):
    analytics_filter = _filter(query, request.user)
    result = funnel(analytics_filter, request.user, compare=False)
    return {
        "pipeline_id": analytics_filter.pipeline.pk,
        "date_from": analytics_filter.date_from,
        "date_to": analytics_filter.date_to,
        **{
            name: getattr(result, name)
            for name in (
                "deals",
                "won",
                "lost",
                "open",
                "won_amount",
                "win_rate",
                "closed_win_rate",
                "stages",
            )
        },
    }


class ChannelOut(Schema):
    source_id: int | None = Field(description="Null for deals without a lead source.")
    name: str
    deals: int
    won: int
    lost: int
    open: int
    revenue: Decimal
    conversion: float | None
    median_cycle_days: float | None
    cost: Decimal | None
    cost_per_won: Decimal | None


@router.get(
    "/analytics/channels",
    response={200: list[ChannelOut], **error_responses(*ANALYTICS_ERRORS)},
    summary="Lead sources: deals, conversion to won, revenue, cycle, cost per won deal",
)
def analytics_channels(request, query: Query[AnalyticsQuery]):
    return channels(_filter(query, request.user), request.user).rows


class InflowWeekOut(Schema):
    week: date
    inbound: int
    won: int
    lost: int
    open: int
    conversion: float | None


class SlopeOut(Schema):
    slope: float
    intercept: float
    low: float
    high: float
    r: float
    p_value: float
    points: int
    falls: bool = Field(description="The whole 95% interval is below zero.")


class InflowOut(Schema):
    weeks: list[InflowWeekOut]
    slope: SlopeOut | None = Field(description="Weekly conversion against weekly inflow.")
    manager_slope: SlopeOut | None = Field(description="Manager conversion against load.")


@router.get(
    "/analytics/inflow",
    response={200: InflowOut, **error_responses(*ANALYTICS_ERRORS)},
    summary="Inflow vs conversion: weekly inbound deals and the fitted slope",
)
def analytics_inflow(request, query: Query[AnalyticsQuery]):
    return inflow_vs_conversion(_filter(query, request.user), request.user)


class ReportOut(Schema):
    name: str
    headers: list[str]
    rows: list[list[str | int | float | None]] = Field(
        description="Amounts are decimal strings, rates fractions 0..1, unknown values null."
    )


def _cell(value):
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)


@router.get(
    "/analytics/reports/{name}",
    response={200: ReportOut, **error_responses(*ANALYTICS_ERRORS)},
    summary="A tabular analytics report (the pages' CSV/XLSX export) as JSON",
    description="Reports: "
    + ", ".join(sorted(REPORTS))
    + ". Transitions are stage-to-stage probabilities with the Markov-chain win probability; "
    "velocity is time in stage and bottlenecks; managers is effectiveness per stage.",
)
def analytics_report(request, name: ReportName, query: Query[AnalyticsQuery]):
    headers, rows = REPORTS[name](_filter(query, request.user), request.user)
    return {
        "name": name,
        "headers": [str(header) for header in headers],
        "rows": [[_cell(value) for value in row] for row in rows],
    }
