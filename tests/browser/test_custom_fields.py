"""Custom fields in a real browser: the settings page, the deal card (edited through its form)
and an analytics page grouped by a custom field, in Russian and English, wide and narrow."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import CompanyFactory, UserFactory, make_deal, make_pipeline
from voronka.customfields.services import custom_field_create
from voronka.pipeline.models import Deal
from voronka.pipeline.services import deal_win

from .helpers import screenshot, sign_in

WIDTHS = {"wide": 1366, "phone": 390}


@pytest.fixture
def data(db):
    pipeline = make_pipeline()
    admin = UserFactory(role="admin", username="admin", department=None, first_name="Ольга")
    custom_field_create(
        entity="deal", code="segment", label="Сегмент", kind="choice",
        choices=["Малый бизнес", "Средний бизнес", "Крупный бизнес"], order=1,
    )  # fmt: skip
    custom_field_create(entity="deal", code="seats", label="Рабочих мест", kind="number", order=2)
    custom_field_create(entity="deal", code="tender_date", label="Дата тендера", kind="date")
    custom_field_create(entity="company", code="region", label="Регион", kind="text")
    company = CompanyFactory(owner=admin, name="ООО «Север»", custom_fields={"region": "Урал"})
    start = timezone.now() - timedelta(days=40)
    deals = []
    for index, segment in enumerate(["Малый бизнес"] * 3 + ["Крупный бизнес"] * 2 + [None]):
        deal = make_deal(
            owner=admin,
            pipeline=pipeline,
            company=company,
            title=f"Поставка {index + 1}",
            amount=Decimal(100000 * (index + 1)),
            at=start + timedelta(days=index),
            custom_fields={"segment": segment, "seats": 1234.5} if segment else {},
        )
        if index % 2 == 0:
            deal_win(deal=deal, user=None, at=start + timedelta(days=index + 5))
        deals.append(deal)
    return {"admin": admin, "deal": deals[1]}


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("width", WIDTHS)
def test_custom_field_pages(page, data, language, width):
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    sign_in(page, data["admin"], language)
    page.goto(f"{page.base_url}/settings/custom-fields/")
    assert page.locator("[data-testid=custom-fields-table] tbody tr").count() == 4
    screenshot(page, f"custom-fields-settings-{language}-{width}")

    page.goto(f"{page.base_url}/deals/{data['deal'].pk}/")
    section = page.locator("[data-testid=custom-fields]")
    expected = "1 234,5" if language == "ru" else "1,234.5"
    assert (
        section.locator("[data-testid=custom-seats]").inner_text().replace("\u00a0", " ")
        == expected
    )
    screenshot(page, f"custom-fields-deal-card-{language}-{width}")

    page.goto(f"{page.base_url}/analytics/funnel/?group_by=deal.segment")
    table = page.locator("[data-testid=group-table]")
    rows = [row.inner_text().split("\t")[0] for row in table.locator("tbody tr").all()]
    not_set = "Не указано" if language == "ru" else "Not set"
    assert rows == ["Малый бизнес", "Крупный бизнес", not_set]
    screenshot(page, f"custom-fields-funnel-grouped-{language}-{width}")


def test_the_card_form_edits_the_values(page, data):
    sign_in(page, data["admin"], "ru")
    page.goto(f"{page.base_url}/deals/{data['deal'].pk}/")
    page.click("[data-testid=edit-custom-fields]")
    page.select_option("select[name=cf_segment]", "Средний бизнес")
    page.fill("input[name=cf_seats]", "1 500,25")
    page.fill("input[name=cf_tender_date]", "2017-03-01")
    page.click("[data-testid=save-custom-fields]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=custom-segment]").inner_text() == "Средний бизнес"
    assert page.locator("[data-testid=custom-tender_date]").inner_text() == "01.03.2017"
    assert Deal.objects.get(pk=data["deal"].pk).custom_fields == {
        "segment": "Средний бизнес",
        "seats": 1500.25,
        "tender_date": "2017-03-01",
    }


def test_departments_tree_and_invitation_pages(page, data):
    from tests.factories import DepartmentFactory

    office = DepartmentFactory(name="Московский офис")
    DepartmentFactory(name="Команда Север", parent=office)
    newcomer = UserFactory(username="anna", first_name="Анна", last_name="Петрова")
    newcomer.set_unusable_password()
    newcomer.save()
    sign_in(page, data["admin"], "ru")
    page.goto(f"{page.base_url}/settings/departments/")
    labels = [
        row.inner_text().split("\t")[0]
        for row in page.locator("[data-testid=department-row]").all()
    ]
    assert "— Команда Север" in labels
    screenshot(page, "departments-tree-ru-wide")
    page.goto(f"{page.base_url}/settings/users/")
    page.click("[data-testid=invite-anna]")
    link = page.locator("[data-testid=invitation-link]").input_value()
    assert "/accounts/password/set/" in link
    screenshot(page, "users-invitation-ru-wide")
