"""The import wizard in a real browser: upload a CSV with own column names, map, dry run, import."""

import pytest

from tests.browser.helpers import screenshot
from tests.factories import LeadSourceFactory, UserFactory, make_pipeline
from voronka.imports.tests.helpers import csv_bytes
from voronka.pipeline.models import Deal

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = ["Сделка №", "Что продаём", "Деньги", "Фаза", "Кто ведёт", "Откуда"]
ROWS = [
    ["A-1", "Станки для завода", "120000", "Выставление КП", "ivanov", "Сайт"],
    ["A-2", "Сервисный контракт на год", "30 000,50", "Торг", "ivanov", "Сайт"],
    ["A-3", "", "10", "Переговоры", "ivanov", "Сайт"],
]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_upload_map_check_and_import_a_csv_with_own_column_names(browser, live_server, language):
    pipeline = make_pipeline()
    negotiation = pipeline.stages.get(order=2)
    LeadSourceFactory(name="Сайт")
    UserFactory(username="ivanov", first_name="Иван", last_name="Иванов")
    admin = UserFactory(role="admin", username="boss")
    context = browser.new_context(
        viewport={"width": 1366, "height": 800}, locale="en-US" if language == "en" else "ru-RU"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(60_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", admin.username)
        page.fill("input[name=password]", "pass-Word-123")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")

        page.goto(f"{live_server.url}/imports/")
        screenshot(page, f"import-1-start-{language}")
        page.select_option("select[name=kind]", "deals")
        page.set_input_files(
            "input[name=file]",
            {
                "name": "сделки.csv",
                "mimeType": "text/csv",
                "buffer": csv_bytes(HEADERS, ROWS, delimiter=";", encoding="cp1251"),
            },
        )
        page.click("[data-testid=upload]")
        page.wait_for_selector("[data-testid=mapping-form]")
        for field, column in {"external_id": "0", "title": "1", "amount": "2", "stage": "3",
                              "owner": "4", "lead_source": "5"}.items():  # fmt: skip
            page.select_option(f"select[name={field}]", column)
        screenshot(page, f"import-2-columns-{language}")
        page.click("[data-testid=save-mapping]")

        page.wait_for_selector("[data-testid=values-form]")
        page.select_option("select[name=stage-0]", str(negotiation.pk))
        screenshot(page, f"import-3-values-{language}")
        page.click("[data-testid=save-values]")

        page.wait_for_selector("[data-testid=check-report]")
        assert page.text_content("[data-testid=valid-count]").strip().startswith("2")
        assert page.text_content("[data-testid=invalid-count]").strip().startswith("1")
        assert page.locator("[data-testid=errors] tbody tr").count() == 1
        assert page.text_content("[data-testid=errors] tbody tr td") == "4"
        screenshot(page, f"import-4-check-{language}")
        page.check("input[name=valid_only]")
        page.click("[data-testid=start-import]")

        page.wait_for_selector("[data-testid=import-progress][data-status=done]")
        assert page.text_content("[data-testid=created-count]") == "2"
        assert page.text_content("[data-testid=failed-count]") == "1"
        screenshot(page, f"import-5-done-{language}")
        assert sorted(Deal.objects.values_list("external_id", "stage__name")) == [
            ("A-1", "Выставление КП"),
            ("A-2", "Переговоры"),
        ]
    finally:
        context.close()
