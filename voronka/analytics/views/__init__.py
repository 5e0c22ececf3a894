"""Analytics pages, one module per report.

Every page: login required, filter bar (``analytics_filter_from_request``), Plotly charts
(figures from ``core/charts.py``) built from aggregated rows, a table, and CSV/XLSX
export of the page's report (``?export=csv|xlsx``). Row-level visibility comes from the
filter (``visible_deals``). The shared page loop and value formatting live in
``analytics/presentation.py``.
"""
