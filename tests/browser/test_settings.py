"""Settings pages in a real browser: reorder stages by dragging; the pages look right."""

import re

import pytest
from django.conf import settings

from tests.browser.helpers import screenshot, sign_in, wait_until
from tests.factories import (
    DepartmentFactory,
    LeadSourceFactory,
    PlaybookStepFactory,
    ProductFactory,
    UserFactory,
    make_pipeline,
)
from voronka.pipeline.models import Stage

pytestmark = pytest.mark.django_db(transaction=True)

# Screenshots are for a person to look at; they never go into the repository.


def stage_names(page) -> list[str]:
    return page.locator("[data-testid=stage-list] .stage-name").all_inner_texts()


STAGES = [
    "Новый контакт",
    "Переговоры",
    "Выставление КП",
    "Согласование договора",
    "Совершение покупки",
]


def test_an_admin_reorders_stages_by_dragging_and_it_is_saved(page):
    admin = UserFactory(role="admin", department=None)
    pipeline = make_pipeline()
    sign_in(page, admin, "en")
    page.goto(f"{page.base_url}/settings/pipelines/{pipeline.pk}/")
    assert stage_names(page) == STAGES

    last = page.locator("[data-testid='stage-Совершение покупки'] .drag-handle")
    first = page.locator("[data-testid='stage-Новый контакт']")
    box = first.bounding_box()
    # Drop on the upper half of the first stage: the dragged stage goes before it.
    last.drag_to(first, target_position={"x": box["width"] / 2, "y": 4})
    page.wait_for_selector("[data-testid=stage-list][data-saved='1']")
    expected = [STAGES[4], *STAGES[:4]]
    assert stage_names(page) == expected
    saved = list(Stage.objects.filter(pipeline=pipeline).order_by("order"))
    assert [stage.name for stage in saved] == expected
    assert [stage.order for stage in saved] == [1, 2, 3, 4, 5]

    page.reload()
    assert stage_names(page) == expected
    # The arrow buttons do the same without a mouse.
    page.locator("[data-testid='stage-Переговоры'] [data-move=up]").click()
    wait_until(
        page,
        "document.querySelector('.sortable-status').textContent === '✓'"
        " && document.querySelectorAll('[data-testid=stage-list] .stage-name')[1].textContent"
        " === 'Переговоры'",
    )
    page.wait_for_timeout(300)
    names = list(
        Stage.objects.filter(pipeline=pipeline).order_by("order").values_list("name", flat=True)
    )
    assert names == [STAGES[4], STAGES[1], STAGES[0], STAGES[2], STAGES[3]]
    screenshot(page, "settings-pipeline-en")


def test_a_manager_is_refused_the_settings_pages(page):
    manager = UserFactory(role="manager")
    make_pipeline()
    sign_in(page, manager, "en")
    response = page.goto(f"{page.base_url}/settings/pipelines/")
    assert response.status == 403


@pytest.mark.parametrize("language", ["en", "ru"])
def test_settings_pages_look_right(page, language):
    admin = UserFactory(role="admin", department=None, first_name="Анна", last_name="Админова")
    pipeline = make_pipeline()
    stage = pipeline.stages.get(order=2)
    stage.rotting_days = 14
    stage.save()
    for title in ("Выявить ЛПР", "Уточнить бюджет и сроки"):
        PlaybookStepFactory(stage=stage, title=title)
    sales = DepartmentFactory(name="Отдел продаж Москва")
    for index in range(3):
        UserFactory(department=sales, first_name=f"Менеджер{index}", last_name="Длиннофамильный")
    for name in ("Выставка «Металлообработка»", "Сайт", "Холодный звонок"):
        LeadSourceFactory(name=name)
    ProductFactory(name="Токарный станок с ЧПУ повышенной точности")
    sign_in(page, admin, language)
    for path, name in (
        ("pipelines/", "pipelines"),
        (f"pipelines/{pipeline.pk}/", "pipeline"),
        (f"stages/{stage.pk}/", "stage"),
        ("lead-sources/", "lead-sources"),
        ("products/", "products"),
        ("users/", "users"),
        ("organisation/", "organisation"),
    ):
        response = page.goto(f"{page.base_url}/settings/{path}")
        assert response.status == 200, path
        # Nothing overflows the page horizontally at 1366 px.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1366, (path, width)
        screenshot(page, f"settings-{name}-{language}")
    assert re.search(r"<html lang=\"?" + language, page.content())


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_customer_answers_feedback_and_the_head_reads_it(page, language):
    from tests.factories import CompanyFactory, make_deal
    from voronka.feedback.models import Feedback

    department = DepartmentFactory(name="Продажи")
    head = UserFactory(role="head", department=department, first_name="Глеб", last_name="Главный")
    seller = UserFactory(department=department, first_name="Анна", last_name="Смирнова")
    make_pipeline()
    company = CompanyFactory(name="ООО «Северный ветер»", owner=seller)
    deal = make_deal(owner=seller, title="Поставка станков ЧПУ", company=company)
    feedback = Feedback.objects.create(deal=deal)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": page.base_url}]
    )
    page.goto(f"{page.base_url}/feedback/{feedback.token}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    screenshot(page, f"feedback-public-{language}")
    page.click(".score-scale label:has-text('9')")
    page.fill("textarea[name=comment]", "Всё привезли вовремя, спасибо!")
    page.click("form button.btn-primary")
    page.wait_for_selector("[data-testid=feedback-done]")
    feedback.refresh_from_db()
    assert (feedback.score, feedback.comment) == (9, "Всё привезли вовремя, спасибо!")

    sign_in(page, head, language)
    page.goto(f"{page.base_url}/feedback/")
    assert page.inner_text("[data-testid=answered]") == "1"
    assert "Всё привезли вовремя" in page.inner_text("[data-testid=feedback-list]")
    tops = page.evaluate(
        "Array.from(document.querySelectorAll('.feedback-summary > .card'))"
        ".map(card => Math.round(card.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, tops
    screenshot(page, f"feedback-list-{language}")
