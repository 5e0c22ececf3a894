"""The funnel-mechanics analytics pages in a real browser: charts drawn, filters, one-click advice."""

import pytest

from tests.browser.helpers import screenshot, sign_in
from voronka.analytics.tests.scenario import PERIOD, build_scenario
from voronka.analytics.win_probability import recompute_win_probabilities
from voronka.pipeline.models import Deal

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    ("funnel", "funnel-chart"),
    ("transitions", "transition-chart"),
    ("velocity", "velocity-chart"),
    ("win-probability", "win-amount-chart"),
    ("managers", "managers-chart"),
]
QUERY = f"?date_from={PERIOD[0].isoformat()}&date_to={PERIOD[1].isoformat()}"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_page_draws_its_plotly_charts(page, language):
    scenario = build_scenario()
    recompute_win_probabilities(scenario.pipeline)
    sign_in(page, scenario.head, language)
    for name, chart in PAGES:
        page.goto(f"{page.base_url}/analytics/{name}/{QUERY}")
        page.wait_for_selector(f"[data-testid={chart}] .main-svg")
        assert page.locator(".chart .main-svg").count() >= 1
        screenshot(page, f"analytics-{name}-{language}")


def test_head_applies_reassignment_advice_in_one_click(page):
    scenario = build_scenario()
    sign_in(page, scenario.head, "en")
    page.goto(f"{page.base_url}/analytics/managers/advice/{QUERY}")
    deal = scenario.deals["C"]
    button = page.locator(f"[data-testid=apply-{deal.pk}-{scenario.m1.pk}]")
    button.click()
    page.wait_for_load_state("networkidle")
    assert Deal.objects.get(pk=deal.pk).owner_id == scenario.m1.pk
    assert "is now with" in page.content()
