"""The pipeline board in a real browser: drag a deal, a refused move, Won/Lost drop zones."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.helpers import screenshot, wait_until
from tests.factories import (
    CompanyFactory,
    DepartmentFactory,
    LostReasonFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.pipeline.board_selector import CARDS_PER_PAGE
from voronka.pipeline.models import Deal, DealStatus, ExitRequirementKind, StageExitRequirement

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def board_data(db):
    department = DepartmentFactory(name="Москва")
    seller = UserFactory(first_name="Анна", last_name="Смирнова", department=department)
    colleague = UserFactory(first_name="Пётр", last_name="Иванов", department=department)
    pipeline = make_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    stages[0].rotting_days = 7
    stages[0].save()
    LostReasonFactory(name="Дорого")
    LostReasonFactory(name="Выбрали конкурента")
    deals = {}
    for index, (title, company, stage, amount, days) in enumerate(
        [
            ("Поставка станков", "ООО Ромашка", 0, "1250000", 12),
            ("Сервисный контракт", "АО Вектор", 0, "480000", 2),
            ("Лицензии на 50 мест", "ИП Кузнецов", 1, "300000", 4),
            ("Пилотный проект", "ООО Север", 2, "2100000", 1),
        ]
    ):
        deals[title] = make_deal(
            owner=seller if index % 2 == 0 else colleague,
            pipeline=pipeline,
            stage=stages[stage],
            title=title,
            company=CompanyFactory(name=company, owner=seller),
            amount=Decimal(amount),
            at=timezone.now() - timedelta(days=days),
        )
    return {"seller": seller, "pipeline": pipeline, "stages": stages, "deals": deals}


def open_board(page, login, user, language="en"):
    page.set_default_timeout(30_000)  # the test machine is shared and often busy
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    login(user)
    page.goto(f"{page.base_url}/board/")
    page.wait_for_selector("[data-testid=column]")


def drag_to_outcome(page, source, outcome: str):
    """Drag a card onto the Won or Lost zone, which slides in only once a drag has started."""
    box = source.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 30, steps=5)
    wait_until(page, "document.body.classList.contains('board-dragging')")
    page.wait_for_timeout(300)  # the zones slide in
    target = page.locator(f"[data-testid=drop-{outcome}]").bounding_box()
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2, steps=5)
    page.mouse.up()


def card(page, deal):
    return page.locator(f".board-card[data-deal-id='{deal.pk}']")


def column(page, stage):
    return page.locator(f".board-col[data-stage-id='{stage.pk}']")


def test_manager_drags_a_deal_to_the_next_stage_and_it_stays_after_reload(page, login, board_data):
    seller, stages = board_data["seller"], board_data["stages"]
    deal = board_data["deals"]["Поставка станков"]
    open_board(page, login, seller)
    # A manager sees only own deals; the rotting one carries its mark.
    assert page.locator("[data-testid=deal-card]").count() == 2
    assert card(page, deal).locator("[data-testid=rotting]").count() == 1
    screenshot(page, "board-en")

    card(page, deal).drag_to(column(page, stages[1]).locator(".board-cards"))

    page.wait_for_selector("[data-testid=toast]")
    assert column(page, stages[1]).locator("[data-role=count]").inner_text() == "2"
    assert column(page, stages[0]).locator("[data-role=count]").inner_text() == "0"
    assert "1,250,000\xa0₽" in card(page, deal).inner_text()
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk
    page.reload()
    assert column(page, stages[1]).locator(f"[data-deal-id='{deal.pk}']").count() == 1
    assert column(page, stages[1]).locator("[data-role=amount]").inner_text() == "1,550,000"


def test_a_refused_move_snaps_back_with_the_reason(page, login, board_data):
    seller, stages = board_data["seller"], board_data["stages"]
    StageExitRequirement.objects.create(
        stage=stages[0], kind=ExitRequirementKind.DOCUMENT, document_kind="proposal"
    )
    deal = board_data["deals"]["Поставка станков"]
    open_board(page, login, seller)

    card(page, deal).drag_to(column(page, stages[2]).locator(".board-cards"))

    toast = page.locator("[data-testid=toast]")
    toast.wait_for()
    assert "proposal" in toast.inner_text().lower()
    assert column(page, stages[0]).locator(f"[data-deal-id='{deal.pk}']").count() == 1
    assert column(page, stages[2]).locator(f"[data-deal-id='{deal.pk}']").count() == 0
    screenshot(page, "board-refused-en")
    deal.refresh_from_db()
    assert deal.stage_id == stages[0].pk


def test_drop_on_lost_asks_for_the_reason(page, login, board_data):
    seller, stages = board_data["seller"], board_data["stages"]
    deal = board_data["deals"]["Поставка станков"]
    open_board(page, login, seller, language="ru")

    drag_to_outcome(page, card(page, deal), "lost")

    dialog = page.locator("[data-testid=lost-dialog]")
    dialog.wait_for(state="visible")
    assert "Поставка станков" in dialog.inner_text()
    screenshot(page, "board-lost-dialog-ru")
    dialog.locator("select[name=reason]").select_option(label="Дорого")
    dialog.locator("textarea[name=comment]").fill("Бюджет урезали")
    dialog.locator("[data-testid=lost-submit]").click()

    dialog.wait_for(state="hidden")
    assert card(page, deal).count() == 0
    assert column(page, stages[0]).locator("[data-role=count]").inner_text() == "0"
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason.name, deal.lost_comment) == (
        DealStatus.LOST,
        "Дорого",
        "Бюджет урезали",
    )


def test_cancelling_the_lost_dialog_keeps_the_deal(page, login, board_data):
    seller, stages = board_data["seller"], board_data["stages"]
    deal = board_data["deals"]["Поставка станков"]
    open_board(page, login, seller)

    drag_to_outcome(page, card(page, deal), "lost")
    dialog = page.locator("[data-testid=lost-dialog]")
    dialog.wait_for(state="visible")
    dialog.locator("[data-action=cancel]").click()

    dialog.wait_for(state="hidden")
    assert column(page, stages[0]).locator(f"[data-deal-id='{deal.pk}']").count() == 1
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.OPEN


def test_drop_on_won_closes_the_deal(page, login, board_data):
    seller = board_data["seller"]
    deal = board_data["deals"]["Лицензии на 50 мест"]
    open_board(page, login, seller)

    drag_to_outcome(page, card(page, deal), "won")

    page.wait_for_selector("[data-testid=toast]")
    assert card(page, deal).count() == 0
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.WON


def test_head_sees_the_department_and_filters_by_owner(page, login, board_data):
    head = UserFactory(role="head", department=board_data["seller"].department)
    open_board(page, login, head, language="ru")
    assert page.locator("[data-testid=deal-card]").count() == 4
    screenshot(page, "board-head-ru")

    page.select_option("select[name=owner]", str(board_data["seller"].pk))

    wait_until(page, "document.querySelectorAll('[data-testid=deal-card]').length === 2")
    assert "owner=" in page.url


def test_a_long_column_loads_more_cards_on_scroll(page, login, board_data):
    seller, stages = board_data["seller"], board_data["stages"]
    for index in range(CARDS_PER_PAGE + 3):
        make_deal(owner=seller, pipeline=board_data["pipeline"], stage=stages[3], title=f"№{index}")
    open_board(page, login, seller)
    cards = column(page, stages[3]).locator("[data-testid=deal-card]")
    assert cards.count() == CARDS_PER_PAGE

    column(page, stages[3]).locator("[data-testid=load-more]").scroll_into_view_if_needed()

    wait_until(
        page,
        f"document.querySelectorAll(\".board-col[data-stage-id='{stages[3].pk}'] "
        f'[data-testid=deal-card]").length === {CARDS_PER_PAGE + 3}',
    )
    assert column(page, stages[3]).locator("[data-testid=load-more]").count() == 0
    assert column(page, stages[3]).locator("[data-role=count]").inner_text() == str(
        CARDS_PER_PAGE + 3
    )
