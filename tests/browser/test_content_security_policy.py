"""The Content-Security-Policy holds on the main pages: the browser reports no violation, and
htmx actions and Plotly charts still work under it (no inline script, handler, style or eval)."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import screenshot, sign_in
from tests.factories import UserFactory, make_deal
from voronka.analytics.tests.scenario import PERIOD, build_scenario
from voronka.analytics.win_probability import recompute_win_probabilities

pytestmark = pytest.mark.django_db(transaction=True)

# Collects every violation the page reports, from the first script on (init scripts run
# before the page's own and are not subject to its policy).
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    [event.effectiveDirective, event.blockedURI, event.sourceFile, event.lineNumber,
     (event.sample || "").slice(0, 80)].join(" | "));
});
"""
QUERY = f"?date_from={PERIOD[0].isoformat()}&date_to={PERIOD[1].isoformat()}"


def watch(page) -> list[str]:
    console: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return console


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


@pytest.fixture
def scenario(db):
    scenario = build_scenario()
    recompute_win_probabilities(scenario.pipeline)
    return scenario


def test_every_main_page_satisfies_the_policy(page, scenario):
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True, department=None)
    console = watch(page)
    sign_in(page, admin, "ru")
    deal = scenario.deals["C"]
    pages = {
        "home": "/",
        "board": "/board/",
        "deal card": f"/deals/{deal.pk}/",
        "deal list": "/deals/",
        "funnel chart": f"/analytics/funnel/{QUERY}",
        "settings": "/settings/pipelines/",
        "import wizard": "/imports/",
        "API docs": "/api/v1/docs",
        "API tokens": "/api/v1/settings/tokens/",
        "sign-in lockouts": "/accounts/lockouts/",
    }
    found = {}
    for name, path in pages.items():
        response = page.goto(f"{page.base_url}{path}")
        assert response.status == 200, name
        assert "content-security-policy" in response.headers, name
        page.wait_for_load_state("networkidle")
        if name == "funnel chart":
            page.wait_for_selector("[data-testid=funnel-chart] .main-svg")
        if name == "API docs":
            page.wait_for_selector(".opblock-tag-section")
        found[name] = violations(page)
        screenshot(page, f"csp-{name.replace(' ', '-')}")
    assert found == {name: [] for name in pages}
    assert console == []


def test_htmx_and_charts_work_under_the_policy(page, scenario):
    console = watch(page)
    sign_in(page, scenario.head, "en")
    # A chart is drawn and its hover layer works.
    page.goto(f"{page.base_url}/analytics/funnel/{QUERY}")
    chart = page.locator("[data-testid=funnel-chart]")
    chart.locator(".main-svg").first.wait_for()
    assert chart.locator(".modebar").count() == 1
    # htmx: the global search answers as you type, and the results close when focus leaves.
    page.goto(f"{page.base_url}/deals/")
    search = page.locator("[data-testid=global-search]")
    make_deal(title="Turbine supply", owner=scenario.m1, pipeline=scenario.pipeline)
    search.fill("Turbine")
    results = page.locator("[data-testid=quick-results] a")
    results.first.wait_for()
    assert "Turbine supply" in page.locator("[data-testid=quick-results]").inner_text()
    page.locator("h1").first.click()
    expect(results).to_have_count(0)
    # Stage colours and bar widths arrive as data attributes and are applied by app.js.
    stage = scenario.stages[0]
    stage.color = "#d03030"
    stage.save()
    page.goto(f"{page.base_url}/pipelines/{scenario.pipeline.pk}/board/")
    head = page.locator(f".board-col[data-stage-id='{stage.pk}'] .board-col-head")
    assert head.evaluate("element => getComputedStyle(element).borderTopColor") == (
        "rgb(208, 48, 48)"
    )
    assert violations(page) == []
    assert console == []
