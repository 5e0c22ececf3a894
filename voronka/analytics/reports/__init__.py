"""Tabular reports: one definition per report (`columns.Report`) shared by its page's table,
its CSV/XLSX export, the API's report endpoint and the `analytics_report` command.

``REPORTS`` maps a report name to a callable ``(AnalyticsFilter, user) -> (headers, rows)``;
the definitions are `Report`s. Rates are fractions (0..1) rounded to four places; amounts are
Decimals; unknown values are None (an empty cell).
"""

from __future__ import annotations

from collections.abc import Callable

from voronka.core.report_columns import NOT_APPLICABLE, Column, Report, Row, export_row

from .business import (
    CHANNELS,
    CHANNELS_TREND,
    DEMAND,
    FORECAST,
    INFLOW,
    INFLOW_MANAGERS,
    PLANS,
    REPEAT,
)
from .mechanics import ADVICE, FUNNEL, MANAGERS, TRANSITIONS, VELOCITY, WIN_PROBABILITY

__all__ = ["NOT_APPLICABLE", "REPORTS", "Column", "Report", "Row", "export_row"]

REPORTS: dict[str, Callable] = {
    "funnel": FUNNEL,
    "transitions": TRANSITIONS,
    "velocity": VELOCITY,
    "managers": MANAGERS,
    "advice": ADVICE,
    "win_probability": WIN_PROBABILITY,
    "inflow": INFLOW,
    "inflow-managers": INFLOW_MANAGERS,
    "channels": CHANNELS,
    "channels-trend": CHANNELS_TREND,
    "forecast": FORECAST,
    "demand": DEMAND,
    "repeat": REPEAT,
    "plans": PLANS,
}
