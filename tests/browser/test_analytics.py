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


def test_head_hands_a_stalled_deal_over_after_confirming_and_can_undo_it(page):
    scenario = build_scenario()
    sign_in(page, scenario.head, "en")
    page.goto(f"{page.base_url}/analytics/managers/advice/{QUERY}")
    deal = scenario.deals["C"]
    owner_before = Deal.objects.get(pk=deal.pk).owner_id
    button = page.locator(f"[data-testid=apply-{deal.pk}-{scenario.m1.pk}]")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    button.click()
    page.wait_for_timeout(500)
    assert Deal.objects.get(pk=deal.pk).owner_id == owner_before  # "Cancel" changes nothing
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    button.click()
    page.wait_for_load_state("networkidle")
    assert questions[0].startswith("Hand «C» over? New owner:")
    assert Deal.objects.get(pk=deal.pk).owner_id == scenario.m1.pk
    assert "is now with" in page.get_by_test_id("advice-undo").inner_text()
    page.get_by_test_id("advice-undo-button").click()
    page.wait_for_load_state("networkidle")
    assert Deal.objects.get(pk=deal.pk).owner_id == owner_before


@pytest.mark.parametrize("language", ["en", "ru"])
def test_on_a_phone_each_suggestion_is_a_card_with_its_hand_over_button_on_screen(page, language):
    scenario = build_scenario()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, scenario.head, language)
    page.goto(f"{page.base_url}/analytics/managers/advice/{QUERY}")
    deal = scenario.deals["C"]
    table = page.get_by_test_id("advice-table")
    # Nothing to scroll sideways: the whole suggestion fits the card, its button included.
    assert table.evaluate("t => t.scrollWidth <= t.closest('.table-card').clientWidth")
    button = page.locator(f"[data-testid=apply-{deal.pk}-{scenario.m1.pk}]")
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    # The column headings move into each card, above their values.
    assert table.locator("thead").evaluate("head => getComputedStyle(head).display") == "none"
    screenshot(page, f"advice-phone-{language}")
