"""Custom fields: definitions by admins, values checked by kind through the deal and company
services, shown and edited on the cards."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import CompanyFactory, UserFactory, make_deal
from voronka.crm.services import company_update
from voronka.customfields.models import CustomFieldDefinition
from voronka.customfields.services import (
    CustomFieldInvalid,
    custom_field_create,
    custom_field_targets,
    custom_field_update,
    custom_value_parse,
)
from voronka.pipeline.models import Deal
from voronka.pipeline.services import deal_create, deal_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    return {
        "segment": custom_field_create(
            entity="deal",
            code="segment",
            label="Сегмент",
            kind="choice",
            choices=["Малый бизнес", "Средний бизнес", "Крупный бизнес", "малый  бизнес"],
            order=1,
        ),
        "seats": custom_field_create(
            entity="deal", code="seats", label="Рабочих мест", kind="number", order=2
        ),
        "tender_date": custom_field_create(
            entity="deal", code="tender_date", label="Дата тендера", kind="date", order=3
        ),
        "region": custom_field_create(entity="company", code="region", label="Регион", kind="text"),
    }


def test_targets_are_the_active_definitions_of_the_entity_in_order(fields):
    custom_field_update(definition=fields["seats"], label="Места", order=2, is_active=False)
    assert [d.code for d in custom_field_targets("deal")] == ["segment", "tender_date"]
    assert [d.code for d in custom_field_targets("company")] == ["region"]


def test_a_list_keeps_one_spelling_of_each_value(fields):
    assert fields["segment"].choices == ["Малый бизнес", "Средний бизнес", "Крупный бизнес"]


@pytest.mark.parametrize(
    ("code", "raw", "stored"),
    [
        ("seats", "1 234,5", 1234.5),
        ("seats", "1\u00a0200", 1200),
        ("seats", 17, 17),
        ("seats", "  ", None),
        ("tender_date", "2017-03-01", "2017-03-01"),
        ("tender_date", "01.03.2017", "2017-03-01"),
        ("tender_date", "1.3.2017", "2017-03-01"),
        ("segment", "  КРУПНЫЙ   бизнес ", "Крупный бизнес"),
        ("region", "  Урал  ", "Урал"),
    ],
)
def test_values_are_parsed_by_kind(fields, code, raw, stored):
    assert custom_value_parse(fields[code], raw) == stored


@pytest.mark.parametrize(
    ("code", "raw", "message"),
    [
        ("seats", "много", "Рабочих мест: enter a number, for example 1 234,5."),
        ("seats", True, "Рабочих мест: enter a number."),
        ("seats", "1e20", "Рабочих мест: enter a number below a quadrillion."),
        ("tender_date", "31.02.2017", "Дата тендера: enter a date as 2017-03-01 or 01.03.2017."),
        ("tender_date", "March 1", "Дата тендера: enter a date as 2017-03-01 or 01.03.2017."),
        (
            "segment",
            "Госсектор",
            "Сегмент: choose one of: Малый бизнес, Средний бизнес, Крупный бизнес.",
        ),
        ("region", "x" * 501, "Регион: use at most 500 characters."),
    ],
)
def test_bad_values_get_a_clear_message_naming_the_field(fields, code, raw, message):
    with pytest.raises(CustomFieldInvalid) as caught:
        custom_value_parse(fields[code], raw)
    assert str(caught.value.message) == message
    assert caught.value.field == code


def test_a_duplicate_code_or_an_empty_list_is_refused(fields):
    with pytest.raises(CustomFieldInvalid, match="already exists"):
        custom_field_create(entity="deal", code="seats", label="Ещё", kind="text")
    with pytest.raises(CustomFieldInvalid, match="at least one value"):
        custom_field_create(entity="deal", code="tier", label="Уровень", kind="choice", choices=[])
    # The same code on companies is another field.
    assert custom_field_create(entity="company", code="seats", label="Места", kind="number")


def test_deal_services_check_and_merge_values(fields, manager, pipeline):
    deal = deal_create(
        title="Поставка", owner=manager, custom_fields={"segment": "крупный бизнес", "seats": "40"}
    )
    assert deal.custom_fields == {"segment": "Крупный бизнес", "seats": 40}
    deal_update(deal=deal, user=manager, custom_fields={"seats": "", "tender_date": "05.06.2017"})
    assert Deal.objects.get(pk=deal.pk).custom_fields == {
        "segment": "Крупный бизнес",
        "tender_date": "2017-06-05",
    }
    with pytest.raises(CustomFieldInvalid, match="no active custom field “region”"):
        deal_update(deal=deal, user=manager, custom_fields={"region": "Урал"})
    with pytest.raises(CustomFieldInvalid):
        deal_update(deal=deal, user=manager, custom_fields={"segment": "Крупный", "seats": "5"})
    assert Deal.objects.get(pk=deal.pk).custom_fields == {
        "segment": "Крупный бизнес",
        "tender_date": "2017-06-05",
    }


def test_company_service_checks_values(fields, manager):
    company = CompanyFactory(owner=manager)
    company_update(company=company, user=manager, custom_fields={"region": "Урал"})
    company.refresh_from_db()
    assert company.custom_fields == {"region": "Урал"}


def test_the_settings_page_adds_a_list_field(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("customfields:settings"),
        {
            "entity": "company",
            "label": "Отрасль клиента",
            "code": "sector",
            "kind": "choice",
            "choices": "Нефть и газ\r\nРитейл\r\n",
            "order": "0",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    definition = CustomFieldDefinition.objects.get(code="sector")
    assert (definition.entity, definition.kind, definition.choices) == (
        "company",
        "choice",
        ["Нефть и газ", "Ритейл"],
    )
    page = client.get(reverse("customfields:settings")).content.decode()
    assert "Отрасль клиента" in page and "Нефть и газ, Ритейл" in page


def test_the_settings_page_explains_a_bad_code_and_a_duplicate(client, admin_user, fields):
    client.force_login(admin_user)
    data = {"entity": "deal", "label": "X", "kind": "text", "order": "0"}
    bad = client.post(reverse("customfields:settings"), data | {"code": "Сегмент"})
    assert bad.status_code == 400
    assert bad.context["form"].errors["code"] == [
        "Use 1–40 lowercase Latin letters, digits and underscores, starting with a letter."
    ]
    duplicate = client.post(reverse("customfields:settings"), data | {"code": "seats"})
    assert duplicate.status_code == 400
    assert duplicate.context["form"].errors["code"] == ["A field with this code already exists."]


@pytest.mark.parametrize("role", ["head", "manager", "viewer"])
def test_the_settings_page_is_for_admins_only(client, role):
    client.force_login(UserFactory(role=role))
    response = client.get(reverse("customfields:settings"))
    assert response.status_code in {302, 403}


def test_the_deal_card_shows_and_edits_the_values(client, fields, manager, pipeline):
    deal = make_deal(owner=manager, pipeline=pipeline, custom_fields={"seats": "1234,5"})
    client.force_login(manager)
    card = client.get(reverse("pipeline:deal_detail", args=[deal.pk])).content.decode()
    assert 'data-testid="custom-fields"' in card
    assert 'data-testid="custom-seats">1,234.5<' in card
    url = reverse("customfields:deal", args=[deal.pk])
    response = client.post(
        url, {"cf_segment": "Средний бизнес", "cf_seats": "12", "cf_tender_date": "2017-03-01"}
    )
    assert response.status_code == 302
    assert Deal.objects.get(pk=deal.pk).custom_fields == {
        "segment": "Средний бизнес",
        "seats": 12,
        "tender_date": "2017-03-01",
    }
    client.cookies["django_language"] = "ru"
    card = client.get(reverse("pipeline:deal_detail", args=[deal.pk])).content.decode()
    assert 'data-testid="custom-tender_date">01.03.2017<' in card


def test_a_bad_value_on_the_card_form_is_a_field_error_and_changes_nothing(
    client, fields, manager, pipeline
):
    deal = make_deal(owner=manager, pipeline=pipeline, custom_fields={"seats": 3})
    client.force_login(manager)
    response = client.post(
        reverse("customfields:deal", args=[deal.pk]), {"cf_seats": "три", "cf_segment": ""}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["cf_seats"] == [
        "Рабочих мест: enter a number, for example 1 234,5."
    ]
    assert Deal.objects.get(pk=deal.pk).custom_fields == {"seats": 3}


def test_another_sellers_deal_is_a_404_and_a_viewer_cannot_edit(client, fields, manager, pipeline):
    deal = make_deal(owner=manager, pipeline=pipeline, amount=Decimal(1))
    client.force_login(UserFactory(role="manager"))
    assert (
        client.post(reverse("customfields:deal", args=[deal.pk]), {"cf_seats": "1"}).status_code
        == 404
    )
    client.force_login(UserFactory(role="viewer"))
    assert client.get(reverse("customfields:deal", args=[deal.pk])).status_code == 403
    assert Deal.objects.get(pk=deal.pk).custom_fields == {}


def test_the_company_card_shows_and_edits_the_values(client, fields, manager):
    company = CompanyFactory(owner=manager)
    client.force_login(manager)
    response = client.post(
        reverse("customfields:company", args=[company.pk]), {"cf_region": "Сибирь"}
    )
    assert response.status_code == 302
    card = client.get(reverse("crm:company_detail", args=[company.pk])).content.decode()
    assert 'data-testid="custom-region">Сибирь<' in card


@pytest.fixture
def filtered_deals(fields, manager, pipeline):
    ural = CompanyFactory(owner=manager, custom_fields={"region": "Урал"})
    make_deal(
        owner=manager,
        pipeline=pipeline,
        title="A",
        company=ural,
        custom_fields={"segment": "Малый бизнес", "seats": 10, "tender_date": "2017-03-01"},
    )
    make_deal(
        owner=manager,
        pipeline=pipeline,
        title="B",
        custom_fields={"segment": "Крупный бизнес", "seats": 10.5},
    )
    make_deal(owner=manager, pipeline=pipeline, title="C")
    return pipeline


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"cf_segment": "Малый бизнес"}, ["A"]),
        ({"cf_seats": "10"}, ["A"]),
        ({"cf_seats": "10.5"}, ["B"]),
        ({"cf_tender_date": "2017-03-01"}, ["A"]),
        ({"cf_company_region": "урал"}, ["A"]),
        ({}, ["A", "B", "C"]),
    ],
)
def test_the_deal_list_filters_by_custom_fields(client, filtered_deals, manager, params, titles):
    client.force_login(manager)
    response = client.get(reverse("pipeline:deal_list"), params)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="cf_segment"' in content and 'name="cf_company_region"' in content
    shown = sorted(deal.title for deal in response.context["page"].object_list)
    assert shown == titles


def test_the_board_offers_and_applies_custom_field_filters(client, filtered_deals, manager):
    client.force_login(manager)
    response = client.get(
        reverse("pipeline:board", args=[filtered_deals.pk]), {"cf_segment": "Крупный бизнес"}
    )
    content = response.content.decode()
    assert 'name="cf_segment"' in content
    assert ">B<" in content or "B</" in content
    assert "deal-card" in content
    assert response.context["filterset"].qs.count() == 1


def test_a_bad_custom_field_filter_value_is_a_form_error_not_a_500(client, filtered_deals, manager):
    client.force_login(manager)
    response = client.get(reverse("pipeline:deal_list"), {"cf_segment": "Госсектор"})
    assert response.status_code in {200, 400}


def test_exports_have_a_column_per_active_custom_field(
    client, fields, manager, admin_user, pipeline
):
    company = CompanyFactory(owner=manager, name="ООО Урал", custom_fields={"region": "Урал"})
    make_deal(
        owner=manager,
        pipeline=pipeline,
        company=company,
        title="Экспорт",
        custom_fields={"segment": "Малый бизнес", "seats": 12.5, "tender_date": "2017-03-01"},
    )
    client.force_login(admin_user)
    deals = b"".join(client.get("/imports/export/deals.csv").streaming_content)
    deals = deals.decode("utf-8-sig").splitlines()
    header = deals[0].split(";")
    assert header[-3:] == ["Сегмент", "Рабочих мест", "Дата тендера"]
    assert deals[1].split(";")[-3:] == ["Малый бизнес", "12.5", "2017-03-01"]
    companies = b"".join(client.get("/imports/export/companies.csv").streaming_content)
    companies = companies.decode("utf-8-sig").splitlines()
    assert companies[0].split(";")[-1] == "Регион"
    assert companies[1].split(";")[-1] == "Урал"
