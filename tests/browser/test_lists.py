"""Lists in a real browser: a bulk reassignment, live filtering, the header search; screenshots."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.browser.helpers import screenshot, sign_in, wait_until
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DepartmentFactory,
    LostReasonFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.activities.services import activity_log
from voronka.pipeline import services
from voronka.pipeline.models import Deal, OwnerChange

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sales():
    department = DepartmentFactory(name="Продажи")
    head = UserFactory(role="head", department=department, first_name="Глеб", last_name="Главный")
    anna = UserFactory(department=department, first_name="Анна", last_name="Смирнова")
    boris = UserFactory(department=department, first_name="Борис", last_name="Бережной")
    make_pipeline()
    company = CompanyFactory(name="ООО «Северный ветер»", inn="7701234567", owner=anna)
    ContactFactory(
        first_name="Игорь",
        last_name="Волков",
        position="Технический директор",
        phone="+7 495 111-22-33",
        email="volkov@veter.example",
        company=company,
        owner=anna,
    )
    titles = [
        "Поставка станков ЧПУ",
        "Сервисный контракт на 2027 год",
        "Модернизация линии окраски",
        "Запчасти",
    ]
    deals = [
        make_deal(owner=anna, title=title, company=company, amount=Decimal(150000 * (i + 1)))
        for i, title in enumerate(titles)
    ]
    services.deal_win(deal=deals[3], user=anna, at=datetime(2025, 6, 1, 12, tzinfo=UTC))
    services.deal_lose(deal=deals[2], user=anna, reason=LostReasonFactory(name="Дорого"))
    activity_log(kind="call", subject="Обсудили сроки поставки", owner=anna, deal=deals[0])
    return {"head": head, "anna": anna, "boris": boris, "deals": deals, "company": company}


def test_a_head_reassigns_selected_deals_in_bulk(page, sales):
    sign_in(page, sales["head"], "en")
    page.goto(f"{page.base_url}/deals/?sort=title")
    first, second = sales["deals"][0], sales["deals"][1]
    page.check(f"tr[data-deal='{first.pk}'] input[name=deals]")
    page.check(f"tr[data-deal='{second.pk}'] input[name=deals]")
    assert page.inner_text("[data-bulk-count]") == "2"
    page.select_option("[data-testid=bulk-owner]", str(sales["boris"].pk))
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=bulk-reassign]")
    page.wait_for_load_state("networkidle")
    assert "2 deals reassigned to Борис Бережной." in page.content()
    owners = dict(Deal.objects.values_list("pk", "owner"))
    assert owners[first.pk] == owners[second.pk] == sales["boris"].pk
    assert OwnerChange.objects.count() == 2
    screenshot(page, "deal-list-after-bulk-en")


def test_a_refused_bulk_move_is_reported_per_deal(page, sales):
    sign_in(page, sales["head"], "en")
    page.goto(f"{page.base_url}/deals/?sort=title")
    lost = sales["deals"][2]
    page.check(f"tr[data-deal='{lost.pk}'] input[name=deals]")
    target = sales["deals"][0].pipeline.stages.get(order=3)
    page.select_option("[data-testid=bulk-stage]", str(target.pk))
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=bulk-move]")
    page.wait_for_load_state("networkidle")
    body = page.content()
    assert "1 deal was not changed:" in body
    assert f"(#{lost.pk}): The deal is closed; reopen it first." in body


def test_typing_in_the_filter_refreshes_the_table(page, sales):
    sign_in(page, sales["anna"], "en")
    page.goto(f"{page.base_url}/deals/")
    assert page.locator("[data-testid=deal-table] tbody tr").count() == 4
    page.fill("#list-filters input[name=q]", "станк")
    wait_until(page, "document.querySelectorAll('[data-testid=deal-table] tbody tr').length === 1")
    assert "q=" in page.url
    assert page.inner_text("[data-testid=list-count]") == "1"


def test_the_header_search_suggests_and_opens_the_results_page(page, sales):
    sign_in(page, sales["anna"], "en")
    page.goto(f"{page.base_url}/")
    page.fill("[data-testid=global-search]", "ветер")
    page.wait_for_selector("[data-testid=quick-company]")
    assert "Северный ветер" in page.inner_text("[data-testid=quick-results]")
    page.press("[data-testid=global-search]", "Enter")
    page.wait_for_url("**/search/?q=*")
    assert "Северный ветер" in page.inner_text("[data-testid=search-companies]")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_list_and_record_pages_look_right(page, sales, language):
    sign_in(page, sales["head"], language)
    company = sales["company"]
    contact = company.contacts.get()
    for path, name in (
        ("/deals/", "deal-list"),
        ("/companies/", "company-list"),
        (f"/companies/{company.pk}/", "company-detail"),
        ("/contacts/", "contact-list"),
        (f"/contacts/{contact.pk}/", "contact-detail"),
        ("/search/?q=%D0%B2%D0%B5%D1%82%D0%B5%D1%80", "search"),
    ):
        response = page.goto(f"{page.base_url}{path}")
        assert response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1366, (path, width)
        screenshot(page, f"{name}-{language}")
    page.goto(f"{page.base_url}/deals/")
    page.check("[data-select-page]")
    screenshot(page, f"deal-list-selected-{language}")
