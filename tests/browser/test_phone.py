"""The pages a manager uses between meetings, on a phone (390×844) and on a laptop (1366×768),
in Russian and English: nothing scrolls sideways, the menu opens and every item can be tapped,
a deal moves to the next stage and an activity is logged from the phone."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from tests.browser.helpers import screenshot, sign_in
from tests.factories import CompanyFactory, ContactFactory, UserFactory, make_deal, make_pipeline
from voronka.activities.models import Activity
from voronka.activities.services import activity_log
from voronka.pipeline.models import Deal

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
LANGUAGES = ["ru", "en"]


@pytest.fixture
def workday(db):
    """A manager's ordinary day: a pipeline with deals in several stages, a company, tasks."""
    manager = UserFactory(first_name="Мария", last_name="Петрова", username="petrova")
    pipeline = make_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    company = CompanyFactory(name="ООО «Уральские станки и инструменты»", owner=manager)
    contact = ContactFactory(first_name="Олег", last_name="Сидоров", company=company, owner=manager)
    deals = []
    for index, (title, amount) in enumerate(
        [
            ("Модернизация производственной линии для цеха №3", "1250000"),
            ("Поставка расходных материалов на второе полугодие", "86500.50"),
            ("Сервисный контракт на обслуживание оборудования", "420000"),
        ]
    ):
        deal = make_deal(
            title=title,
            owner=manager,
            pipeline=pipeline,
            stage=stages[index],
            company=company,
            contacts=[contact],
            amount=Decimal(amount),
            at=timezone.now() - timedelta(days=10 + index),
        )
        deals.append(deal)
    activity_log(
        kind="task",
        subject="Перезвонить по коммерческому предложению",
        owner=manager,
        deal=deals[0],
        due_at=timezone.now() + timedelta(hours=3),
    )
    return {"manager": manager, "deals": deals, "company": company, "stages": stages}


def open_page(browser, live_server, user, language, viewport):
    context = browser.new_context(
        viewport=viewport,
        locale="ru-RU" if language == "ru" else "en-US",
        has_touch=viewport["width"] < 600,
        is_mobile=viewport["width"] < 600,
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(60_000)
    page.base_url = live_server.url
    sign_in(page, user, language)
    return page


def goto(page, path):
    page.goto(f"{page.base_url}{path}")
    page.wait_for_load_state("networkidle")


def assert_no_sideways_scroll(page, what):
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    # A mobile browser widens its layout viewport to wide content: compare with the screen too.
    screen_width = page.viewport_size["width"]
    assert scroll_width <= min(inner_width, screen_width), (
        f"{what}: page is {scroll_width} px wide on a {screen_width} px screen"
    )


def page_paths(workday):
    deal = workday["deals"][0]
    return {
        "home": "/",
        "board": "/board/",
        "deal": f"/deals/{deal.pk}/",
        "deals": "/deals/",
        "company": f"/companies/{workday['company'].pk}/",
        "tasks": "/activities/",
        "search": "/search/?q=%D1%81%D1%82%D0%B0%D0%BD%D0%BA",  # «станк»
        "funnel": "/analytics/funnel/",
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_no_page_scrolls_sideways(browser, live_server, workday, viewport, language):
    page = open_page(browser, live_server, workday["manager"], language, viewport)
    for name, path in page_paths(workday).items():
        goto(page, path)
        assert page.locator("main.page").is_visible(), name
        assert_no_sideways_scroll(page, f"{name} at {viewport['width']} px ({language})")
        screenshot(page, f"phone_{name}_{viewport['width']}_{language}")
    page.context.close()


def test_the_board_columns_swipe_inside_their_own_strip(browser, live_server, workday):
    page = open_page(browser, live_server, workday["manager"], "ru", PHONE)
    goto(page, "/board/")

    strip = page.evaluate(
        "(() => { const s = document.querySelector('.board-columns');"
        " return [s.scrollWidth, s.clientWidth, getComputedStyle(s).overflowX]; })()"
    )
    assert strip[0] > strip[1]  # five columns do not fit: they scroll…
    assert strip[2] == "auto"  # …inside the strip, while the page stays put
    assert_no_sideways_scroll(page, "board")
    page.context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_phone_menu_opens_and_every_item_can_be_tapped(browser, live_server, workday, language):
    page = open_page(browser, live_server, workday["manager"], language, PHONE)
    goto(page, "/")
    assert not page.get_by_test_id("nav-board").is_visible()  # folded away until asked for

    page.get_by_test_id("menu-toggle").tap()
    assert page.get_by_test_id("menu-toggle").get_attribute("aria-expanded") == "true"
    screenshot(page, f"phone_menu_open_{language}")
    items = page.locator(".mainnav > a")
    targets = [
        (items.nth(index).get_attribute("data-testid"), items.nth(index).get_attribute("href"))
        for index in range(items.count())
    ]
    assert [testid for testid, _href in targets][:7] == [
        "nav-home",
        "nav-board",
        "nav-deals",
        "nav-companies",
        "nav-contacts",
        "nav-tasks",
        "nav-analytics",
    ]
    for testid, href in targets:
        if page.get_by_test_id("menu-toggle").get_attribute("aria-expanded") != "true":
            page.get_by_test_id("menu-toggle").tap()
        item = page.get_by_test_id(testid)
        # Nothing lies on top of the item (the language switch and the avatar stay in the bar).
        box = item.bounding_box()
        on_top = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('[data-testid]')"
            "?.getAttribute('data-testid')",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert on_top == testid
        assert box["height"] >= 40  # a finger-sized target
        with page.expect_navigation():
            item.tap()
        page.wait_for_load_state("networkidle")
        # The tapped item's page opened (/board/ redirects to the default pipeline's board).
        assert urlparse(page.url).path.startswith(href.rstrip("/").rsplit("/", 1)[0]), testid
        assert "active" in page.get_by_test_id(testid).get_attribute("class"), testid
        assert_no_sideways_scroll(page, testid)

    # "More" opens inside the panel and its items are tappable too.
    page.get_by_test_id("menu-toggle").tap()
    page.get_by_test_id("nav-more").locator("summary").tap()
    api_link = page.get_by_test_id("nav-api")
    assert api_link.is_visible()
    with page.expect_navigation():
        api_link.tap()
    page.wait_for_load_state("networkidle")
    assert urlparse(page.url).path.endswith("/settings/tokens/")
    page.context.close()


def test_the_desktop_keeps_its_inline_navigation(browser, live_server, workday):
    page = open_page(browser, live_server, workday["manager"], "ru", LAPTOP)
    goto(page, "/")

    assert not page.get_by_test_id("menu-toggle").is_visible()
    assert page.get_by_test_id("nav-board").is_visible()
    assert not page.get_by_test_id("stage-picker").count()  # home has none
    goto(page, f"/deals/{workday['deals'][0].pk}/")
    assert not page.get_by_test_id("stage-picker").is_visible()  # the chevrons do the job
    page.context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_deal_moves_to_the_next_stage_on_the_phone(browser, live_server, workday, language):
    deal = workday["deals"][0]
    stages = workday["stages"]
    page = open_page(browser, live_server, workday["manager"], language, PHONE)
    goto(page, f"/deals/{deal.pk}/")

    picker = page.get_by_test_id("stage-picker-select")
    assert picker.is_visible()
    assert picker.input_value() == str(stages[1].pk)  # the next stage is offered first
    with page.expect_response(lambda response: response.url.endswith(f"/deals/{deal.pk}/move/")):
        page.get_by_test_id("stage-picker-move").tap()
    page.locator(
        f"[data-testid=stage-bar] [aria-current=step][data-stage='{stages[1].pk}']"
    ).wait_for()

    assert Deal.objects.get(pk=deal.pk).stage_id == stages[1].pk
    current = page.locator("[data-testid=stage-bar] [aria-current=step]")
    assert current.get_attribute("data-stage") == str(stages[1].pk)
    assert page.get_by_test_id("stage-picker-select").input_value() == str(stages[2].pk)
    assert_no_sideways_scroll(page, "deal after the move")
    screenshot(page, f"phone_deal_moved_{language}")
    page.context.close()


def test_the_phone_stage_picker_shows_the_same_refusal(browser, live_server, workday):
    from voronka.pipeline.models import ExitRequirementKind, StageExitRequirement

    deal = workday["deals"][0]
    StageExitRequirement.objects.create(
        stage=workday["stages"][0],
        kind=ExitRequirementKind.FIELD,
        field_name="expected_close_date",
    )
    page = open_page(browser, live_server, workday["manager"], "ru", PHONE)
    goto(page, f"/deals/{deal.pk}/")

    with page.expect_response(lambda response: response.url.endswith(f"/deals/{deal.pk}/move/")):
        page.get_by_test_id("stage-picker-move").tap()
    error = page.get_by_test_id("stage-error")
    error.wait_for()
    assert error.is_visible()
    assert Deal.objects.get(pk=deal.pk).stage_id == workday["stages"][0].pk
    assert_no_sideways_scroll(page, "deal with a refusal")
    screenshot(page, "phone_deal_move_refused_ru")
    page.context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_activity_is_logged_on_the_phone(browser, live_server, workday, language):
    deal = workday["deals"][1]
    page = open_page(browser, live_server, workday["manager"], language, PHONE)
    goto(page, f"/deals/{deal.pk}/")

    page.get_by_test_id("composer-call").check()
    page.get_by_test_id("composer-subject").tap()
    page.get_by_test_id("composer-subject").fill("Созвонились с Олегом, ждёт КП до пятницы")
    with page.expect_response(lambda response: "/activities/deal/" in response.url):
        page.get_by_test_id("composer-save").tap()

    page.get_by_test_id("timeline").get_by_text("Созвонились с Олегом").wait_for()
    logged = Activity.objects.get(deal=deal, subject__startswith="Созвонились")
    assert (logged.kind, logged.owner_id, logged.done_at is not None) == (
        "call",
        workday["manager"].pk,
        True,
    )
    assert_no_sideways_scroll(page, "deal after logging")
    screenshot(page, f"phone_activity_logged_{language}")
    page.context.close()


def test_a_tablet_folds_the_menu_too(browser, live_server, workday):
    """At 1024 px the Russian menu would run under the language switch: it folds as well."""
    page = open_page(browser, live_server, workday["manager"], "ru", {"width": 1024, "height": 768})
    goto(page, "/")

    assert page.get_by_test_id("menu-toggle").is_visible()
    assert not page.get_by_test_id("nav-board").is_visible()
    page.get_by_test_id("menu-toggle").click()
    assert page.get_by_test_id("nav-board").is_visible()
    assert_no_sideways_scroll(page, "home at 1024 px")
    page.context.close()


ADMIN_PAGES = [
    "/settings/",
    "/settings/pipelines/",
    "/imports/",
    "/analytics/transitions/",
    "/analytics/velocity/",
    "/analytics/win-probability/",
    "/analytics/managers/",
    "/analytics/managers/advice/",
    "/analytics/inflow/",
    "/analytics/channels/",
    "/analytics/forecast/",
    "/analytics/repeat/",
    "/plans/",
    "/contacts/",
    "/companies/",
]


def test_settings_import_and_every_analytics_page_fit_the_phone(browser, live_server, workday):
    admin = UserFactory(role="admin", is_staff=True, department=None, username="admin_phone")
    page = open_page(browser, live_server, admin, "ru", PHONE)
    for path in ADMIN_PAGES:
        goto(page, path)
        assert page.locator("main.page").is_visible(), path
        assert_no_sideways_scroll(page, path)
    screenshot(page, "phone_companies_390_ru_admin")
    page.context.close()
