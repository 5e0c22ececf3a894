"""Plotly figures as JSON for the analytics and plans pages (rendered by plotly.min.js).

Only aggregated rows reach these helpers; each returns a plain dict ``{"data": …, "layout": …}``
that the template embeds with ``json_script``.
"""

from __future__ import annotations

from decimal import Decimal

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from voronka.core.formatting import format_money_short, plotly_separators

SCATTER_COLOURS = ["#2f6fed", "#c2410c", "#15803d", "#7c3aed", "#0891b2", "#94a3b8"]
PALETTE = ["#2f6fed", "#94a3b8", "#15803d", "#c2410c", "#7c3aed", "#0891b2"]
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif", "size": 12}


def chart_layout(**extra) -> dict:
    layout = {
        "font": FONT,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 90},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        # Above the plot: long stage names under the x axis never run into it.
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"automargin": True},
        "yaxis": {"automargin": True},
        "height": 380,
        # The active language's decimal mark and thousands separator («1 234,5» in Russian).
        "separators": plotly_separators(),
    }
    layout.update(extra)
    return layout


NICE_STEPS = (1, 2, 2.5, 5)


def _nice_step(largest: float, ticks: int = 5) -> float:
    raw = largest / ticks
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for step in NICE_STEPS:
        if step * magnitude >= raw:
            return step * magnitude
    return 10 * magnitude


def money_ticks(values, currency: str) -> dict:
    """Axis ticks for amounts, labelled «1,5 млн ₽» (no SI «1.5M», the currency shown)."""
    numbers = [float(value) for value in values if value is not None]
    largest = max([0.0, *numbers])
    smallest = min([0.0, *numbers])
    if largest - smallest <= 0:
        return {"tickvals": [0], "ticktext": [format_money_short(0, currency)]}
    step = _nice_step(largest - smallest)
    first = int(smallest // step)
    last = int(-(-largest // step))
    ticks = [step * index for index in range(first, last + 1)]
    return {
        "tickvals": ticks,
        "ticktext": [format_money_short(Decimal(str(tick)), currency) for tick in ticks],
    }


def count_ticks(values) -> dict:
    """Whole numbers only: there is no half a client."""
    largest = max([0.0, *(float(value) for value in values if value is not None)])
    if largest <= 8:
        return {"tick0": 0, "dtick": 1, "tickformat": ",d"}
    return {"tickformat": ",d"}


def figure_dict(figure: go.Figure) -> dict:
    """A JSON-safe dict of the figure (numpy arrays and Decimals become plain lists)."""
    return figure.to_plotly_json() | {"data": [trace.to_plotly_json() for trace in figure.data]}


def _plain(values) -> list:
    return [None if value is None else float(value) for value in values]


def funnel_chart(labels: list[str], series: list[tuple[str, list]]) -> dict:
    """A funnel chart: one trace per (name, values) series (e.g. this period, previous)."""
    data = [
        {
            "type": "funnel",
            "name": name,
            "y": labels,
            "x": _plain(values),
            "textinfo": "value+percent initial",
            "marker": {"color": PALETTE[index % len(PALETTE)]},
        }
        for index, (name, values) in enumerate(series)
    ]
    return {"data": data, "layout": chart_layout(margin={"l": 180, "r": 20, "t": 20, "b": 40})}


def bar_chart(
    labels: list[str],
    series: list[tuple[str, list]],
    *,
    y_title: str = "",
    percent: bool = False,
    horizontal: bool = False,
    error_high: list | None = None,
    money: str | None = None,
    count: bool = False,
) -> dict:
    """Bars per series; ``money`` (a currency code) labels the value axis «1,5 млн ₽»,
    ``count`` keeps its ticks whole, ``percent`` shows shares 0..1 as percentages."""
    data = []
    for index, (name, values) in enumerate(series):
        trace = {
            "type": "bar",
            "name": name,
            "marker": {"color": PALETTE[index % len(PALETTE)]},
        }
        if horizontal:
            trace |= {"y": labels, "x": _plain(values), "orientation": "h"}
        else:
            trace |= {"x": labels, "y": _plain(values)}
        if error_high is not None and index == 0:
            trace["error_y"] = {"type": "data", "array": _plain(error_high), "visible": True}
        data.append(trace)
    axis = {"title": {"text": y_title}, "rangemode": "tozero", "automargin": True}
    if percent:
        axis["tickformat"] = ".0%"
    all_values = [value for _name, values in series for value in values]
    if money:
        axis |= money_ticks(all_values, money)
    elif count:
        axis |= count_ticks(all_values)
    layout = chart_layout(barmode="group")
    if horizontal:
        layout |= {"xaxis": axis, "yaxis": {"autorange": "reversed", "automargin": True}}
        layout["margin"] = {"l": 180, "r": 20, "t": 20, "b": 40}
    else:
        layout["yaxis"] = axis
    return {"data": data, "layout": layout}


def heatmap_chart(
    x_labels: list[str],
    y_labels: list[str],
    values: list[list],
    text: list[list[str]],
    *,
    colorbar_title: str = "",
    percent: bool = True,
    full_range: bool = True,
) -> dict:
    """A heatmap; ``full_range`` pins the colours to 0..1, otherwise they span the data."""
    data = [
        {
            "type": "heatmap",
            "x": x_labels,
            "y": y_labels,
            "z": [_plain(row) for row in values],
            "text": text,
            "texttemplate": "%{text}",
            "textfont": {"size": 12},
            "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>",
            # Light for low values, strong blue for high ones; text stays readable on both.
            "colorscale": [[0, "#eef3fd"], [0.5, "#86a8f0"], [1, "#1d4ed8"]],
            "zmin": 0 if full_range else None,
            "zmax": 1 if percent and full_range else None,
            "colorbar": {"title": {"text": colorbar_title}, "tickformat": ".0%" if percent else ""},
        }
    ]
    layout = chart_layout(margin={"l": 160, "r": 20, "t": 20, "b": 90})
    layout["height"] = max(300, 60 + 34 * len(y_labels))
    layout["yaxis"] = {"autorange": "reversed", "automargin": True}
    return {"data": data, "layout": layout}


def fit_line(slope, xs: list[float]) -> dict | None:
    if slope is None or not xs:
        return None
    low, high = min(xs), max(xs)
    return {
        "type": "scatter",
        "mode": "lines",
        "name": _("Fitted line"),
        "x": [low, high],
        "y": [slope.intercept + slope.slope * low, slope.intercept + slope.slope * high],
        "line": {"color": "#c2410c", "dash": "dash"},
    }
