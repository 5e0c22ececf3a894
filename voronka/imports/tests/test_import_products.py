"""Product columns become line items; product names match across spellings; a products kind."""

from decimal import Decimal

import pytest

from tests.factories import DirectionFactory, ProductFactory, UserFactory
from voronka.catalog.models import Product
from voronka.imports import services
from voronka.imports.products import product_key
from voronka.pipeline.models import AmountChange, Deal, DealLineItem, StageChange

from .helpers import csv_bytes, import_file

HEADERS = ["ID", "Название", "Этап", "Товар", "Количество", "Цена"]
ROWS = [
    ["D1", "Серверная", "Переговоры", "Сервер R200", "2", "100"],
    ["D2", "Ещё сервер", "Переговоры", "сервер  R-200", "1", ""],
    ["D3", "Новинка", "Переговоры", "Новый товар", "3", "50"],
    ["D1", "Серверная", "Переговоры", "Кабель", "10", "5"],
]


@pytest.fixture
def importer(db, pipeline):
    ProductFactory(name="Сервер R200", sku="R200", price=Decimal("120"))
    return UserFactory(role="admin", username="boss")


def test_product_names_match_ignoring_case_spaces_hyphens_and_punctuation():
    assert product_key("Сервер R200") == product_key("сервер  R-200.") == "серверr200"
    assert product_key("Ёлка") == product_key("елка")


def test_product_columns_become_line_items_and_the_amount_is_their_sum(importer):
    job, report = import_file(importer, csv_bytes(HEADERS, ROWS))
    assert report["invalid"] == 0, report["errors"]
    assert job.mapping["product_name"] == 3 and job.mapping["unit_price"] == 5
    assert sorted(Product.objects.values_list("name", "price")) == [
        ("Кабель", Decimal("5.00")),
        ("Новый товар", Decimal("50.00")),
        ("Сервер R200", Decimal("120.00")),
    ]
    lines = sorted(
        DealLineItem.objects.values_list("deal__external_id", "product__name", "quantity",
                                         "unit_price")
    )  # fmt: skip
    assert lines == [
        ("D1", "Кабель", Decimal("10.00"), Decimal("5.00")),
        ("D1", "Сервер R200", Decimal("2.00"), Decimal("100.00")),
        ("D2", "Сервер R200", Decimal("1.00"), Decimal("120.00")),
        ("D3", "Новый товар", Decimal("3.00"), Decimal("50.00")),
    ]
    assert dict(Deal.objects.values_list("external_id", "amount")) == {
        "D1": Decimal("250.00"), "D2": Decimal("120.00"), "D3": Decimal("150.00"),
    }  # fmt: skip


def test_reimporting_a_file_with_products_adds_no_line_and_no_history(importer):
    data = csv_bytes(HEADERS, ROWS)
    import_file(importer, data)
    counts = (DealLineItem.objects.count(), StageChange.objects.count(),
              AmountChange.objects.count(), Product.objects.count())  # fmt: skip
    job, _report = import_file(importer, data)
    assert (job.created_count, job.updated_count) == (0, 0)
    assert (DealLineItem.objects.count(), StageChange.objects.count(),
            AmountChange.objects.count(), Product.objects.count()) == counts  # fmt: skip


def test_an_unknown_product_can_be_mapped_to_an_existing_one_in_the_values_step(importer):
    data = csv_bytes(HEADERS, [["D9", "Сделка", "Переговоры", "Серв. двухпроцессорный", "1", "7"]])
    job = services.import_job_create(user=importer, kind="deals", file_name="p.csv", data=data)
    unknown = services.unknown_values(job)
    assert [value.value for value in unknown["product_name"]] == ["Серв. двухпроцессорный"]
    server = Product.objects.get(sku="R200")
    services.import_job_set_values(
        job=job, value_map={"product_name": {"Серв. двухпроцессорный": str(server.pk)}}
    )
    services.import_check(job=job)
    services.import_job_start(job=job, user=importer, valid_only=False, on_match="update")
    assert list(DealLineItem.objects.values_list("product", "unit_price")) == [
        (server.pk, Decimal("7.00"))
    ]
    assert Product.objects.count() == 1


def test_a_non_positive_quantity_is_a_row_error(importer):
    data = csv_bytes(HEADERS, [["D9", "Сделка", "Переговоры", "Сервер R200", "0", "7"]])
    job = services.import_job_create(user=importer, kind="deals", file_name="p.csv", data=data)
    report = services.import_check(job=job)
    assert report["errors"] == [
        {"line": 2, "column": "Количество", "message": "The quantity must be positive."}
    ]


def test_a_products_file_creates_and_updates_the_catalogue(importer):
    DirectionFactory(name="Серверы")
    data = csv_bytes(
        ["Наименование", "Артикул", "Цена", "Направление"],
        [["Сервер R200 (новая цена)", "R200", "130", "Серверы"],
         ["Сетевой кабель", "", "9,50", "Кабели"]],
    )  # fmt: skip
    job, report = import_file(importer, data, kind="products", name="products.csv")
    assert report["invalid"] == 0, report["errors"]
    assert (job.created_count, job.updated_count) == (1, 1)
    assert sorted(Product.objects.values_list("name", "sku", "price", "direction__name")) == [
        ("Сервер R200 (новая цена)", "R200", Decimal("130.00"), "Серверы"),
        ("Сетевой кабель", "IMP-СЕТЕВОЙКАБЕЛЬ", Decimal("9.50"), "Кабели"),
    ]


def test_a_row_with_a_deal_value_and_a_product_without_a_price_keeps_the_value(importer):
    data = csv_bytes(["ID", "Название", "Этап", "Товар", "Сумма"],
                     [["V1", "Сделка", "Переговоры", "Сервер R200", "5000"]])  # fmt: skip
    import_file(importer, data)
    deal = Deal.objects.get()
    assert deal.amount == Decimal("5000.00")
    assert list(deal.line_items.values_list("quantity", "unit_price")) == [
        (Decimal("1.00"), Decimal("5000.00"))
    ]


def test_active_custom_fields_are_mapping_targets_checked_by_their_kind(importer):
    from voronka.customfields.services import custom_field_create

    custom_field_create(entity="deal", code="segment", label="Сегмент", kind="choice",
                        choices=["SMB", "Enterprise"])  # fmt: skip
    custom_field_create(entity="deal", code="seats", label="Лицензий", kind="number")
    data = csv_bytes(["ID", "Название", "Этап", "Сегмент", "Лицензий"],
                     [["C1", "А", "Переговоры", "SMB", "12"],
                      ["C2", "Б", "Переговоры", "Гос", "x"]])  # fmt: skip
    job = services.import_job_create(user=importer, kind="deals", file_name="c.csv", data=data)
    assert job.mapping["custom:segment"] == 3 and job.mapping["custom:seats"] == 4
    report = services.import_check(job=job)
    assert [(error["line"], error["column"]) for error in report["errors"]] == [
        (3, "Лицензий"), (3, "Сегмент"),
    ]  # fmt: skip
    services.import_job_start(job=job, user=importer, valid_only=True, on_match="update")
    assert Deal.objects.get().custom_fields == {"segment": "SMB", "seats": 12}
