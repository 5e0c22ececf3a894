"""Companies, contacts, lead sources and the reference lists (product lines, products, lost
reasons, pipelines, stages) through the API."""

from decimal import Decimal

import pytest

from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DirectionFactory,
    LeadSourceFactory,
    ProductFactory,
    UserFactory,
    make_deal,
)
from voronka.crm.models import Company, Contact, LeadSource
from voronka.pipeline.models import Pipeline, Stage

pytestmark = pytest.mark.django_db


# Companies and contacts ------------------------------------------------------------------------


def test_company_crud(manager_api, manager):
    created = manager_api.post(
        "companies", {"name": "ООО Ромашка", "inn": "7701234567", "customer_type": "enterprise"}
    )
    assert created.status_code == 201
    company_id = created.json()["id"]
    assert created.json()["owner_id"] == manager.pk
    assert created.json()["customer_type"] == "enterprise"
    changed = manager_api.patch(f"companies/{company_id}", {"industry": "Retail"})
    assert changed.status_code == 200
    assert changed.json()["industry"] == "Retail"
    assert changed.json()["name"] == "ООО Ромашка"
    assert manager_api.delete(f"companies/{company_id}").status_code == 204
    assert not Company.objects.filter(pk=company_id).exists()


def test_company_validation_and_duplicates(manager_api):
    bad = manager_api.post("companies", {"name": "", "customer_type": "huge", "email": "nope"})
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"name", "customer_type", "email"}
    CompanyFactory(inn="7701234567")
    duplicate = manager_api.post("companies", {"name": "B", "inn": "7701234567"})
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "duplicate_inn"
    assert list(duplicate.json()["fields"]) == ["inn"]


def test_a_body_that_is_not_an_object_is_a_422(manager_api):
    for body in (["x"], '"name"', "5"):
        response = manager_api.post("companies", body)
        assert response.status_code == 422, body
    assert Company.objects.count() == 0


def test_a_company_with_deals_cannot_be_deleted(manager_api, manager, stages):
    company = CompanyFactory(owner=manager)
    make_deal(owner=manager, company=company)
    response = manager_api.delete(f"companies/{company.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "company_has_deals"


def test_a_manager_sees_only_own_companies(manager_api, manager):
    CompanyFactory(owner=manager, name="Mine")
    other = CompanyFactory(owner=UserFactory(), name="Theirs")
    assert [c["name"] for c in manager_api.get("companies").json()["items"]] == ["Mine"]
    assert manager_api.get(f"companies/{other.pk}").status_code == 404
    assert manager_api.patch(f"companies/{other.pk}", {"name": "x"}).status_code == 404
    assert manager_api.delete(f"companies/{other.pk}").status_code == 404


def test_company_list_filters_and_orders(admin_api):
    for name, kind in [("Beta", "enterprise"), ("Alpha", "small"), ("Gamma", "enterprise")]:
        CompanyFactory(name=name, customer_type=kind)
    names = [c["name"] for c in admin_api.get("companies", {"ordering": "name"}).json()["items"]]
    assert names == ["Alpha", "Beta", "Gamma"]
    large = admin_api.get("companies", {"customer_type": "enterprise", "ordering": "-name"}).json()
    assert [c["name"] for c in large["items"]] == ["Gamma", "Beta"]
    assert admin_api.get("companies", {"search": "amm"}).json()["count"] == 1


def test_company_list_query_count_does_not_grow(admin_api, django_assert_max_num_queries):
    CompanyFactory()
    with django_assert_max_num_queries(4):
        assert admin_api.get("companies").json()["count"] == 1
    CompanyFactory.create_batch(20)
    with django_assert_max_num_queries(4):
        assert admin_api.get("companies").json()["count"] == 21


def test_contact_crud_and_company_reference(manager_api, manager):
    company = CompanyFactory(owner=manager)
    created = manager_api.post(
        "contacts", {"first_name": "Иван", "last_name": "Петров", "company_id": company.pk}
    )
    assert created.status_code == 201
    contact_id = created.json()["id"]
    assert created.json()["company_id"] == company.pk
    moved = manager_api.patch(f"contacts/{contact_id}", {"company_id": None})
    assert moved.json()["company_id"] is None
    invisible = CompanyFactory(owner=UserFactory())
    refused = manager_api.patch(f"contacts/{contact_id}", {"company_id": invisible.pk})
    assert refused.status_code == 404
    assert refused.json()["code"] == "invalid_reference"
    assert manager_api.get("contacts", {"search": "Петр"}).json()["count"] == 1
    assert manager_api.delete(f"contacts/{contact_id}").status_code == 204
    assert not Contact.objects.filter(pk=contact_id).exists()


def test_a_contact_in_a_deal_cannot_be_deleted(manager_api, manager, stages):
    contact = ContactFactory(company=CompanyFactory(owner=manager))
    make_deal(owner=manager, contacts=[contact])
    response = manager_api.delete(f"contacts/{contact.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "contact_has_deals"


# Lead sources and reference lists: everyone reads, administrators write ------------------------


def test_lead_sources_are_read_by_all_and_written_by_admins(manager_api, admin_api):
    LeadSourceFactory(name="Сайт")
    assert manager_api.get("lead-sources").json()["count"] == 1
    assert manager_api.post("lead-sources", {"name": "Выставка"}).status_code == 403
    created = admin_api.post("lead-sources", {"name": "Выставка"})
    assert created.status_code == 201
    changed = admin_api.patch(f"lead-sources/{created.json()['id']}", {"is_active": False})
    assert changed.json() == {"id": created.json()["id"], "name": "Выставка", "is_active": False}
    assert admin_api.get("lead-sources", {"is_active": "false"}).json()["count"] == 1
    assert LeadSource.objects.count() == 2


def test_a_boolean_must_be_a_json_boolean(admin_api):
    response = admin_api.post("lead-sources", {"name": "X", "is_active": 0})
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["is_active"]


def test_products_and_directions(manager_api, admin_api):
    direction = DirectionFactory()
    body = {"name": "Станок", "sku": "ST-1", "direction_id": direction.pk, "price": "1500.50"}
    assert manager_api.post("products", body).status_code == 403
    created = admin_api.post("products", body)
    assert created.status_code == 201
    assert Decimal(created.json()["price"]) == Decimal("1500.50")
    for price in [1.5, "", "1e3", "1.234", -1]:
        bad = admin_api.patch(f"products/{created.json()['id']}", {"price": price})
        assert bad.status_code == 422, price
        assert list(bad.json()["fields"]) == ["price"]
    assert admin_api.patch(f"products/{created.json()['id']}", {"price": 2000}).status_code == 200
    duplicate_line = admin_api.post("directions", {"name": direction.name})
    assert duplicate_line.status_code == 409
    in_use = admin_api.delete(f"directions/{direction.pk}")
    assert in_use.status_code == 409
    assert manager_api.get("products").json()["count"] == 1


def test_lost_reasons(admin_api, manager_api):
    created = admin_api.post("lost-reasons", {"name": "Дорого", "order": 2})
    assert created.status_code == 201
    assert created.json()["order"] == 2
    assert manager_api.get(f"lost-reasons/{created.json()['id']}").status_code == 200
    assert (
        manager_api.patch(f"lost-reasons/{created.json()['id']}", {"order": 3}).status_code == 403
    )


def test_pipelines_and_stages(admin_api, manager_api, pipeline, stages):
    created = admin_api.post("pipelines", {"name": "Партнёры"})
    assert created.status_code == 201
    assert created.json()["is_default"] is False
    pipeline_id = created.json()["id"]
    stage = admin_api.post(
        "stages", {"pipeline_id": pipeline_id, "name": "Первый", "probability": 15}
    )
    assert stage.status_code == 201
    assert stage.json()["order"] == 1
    assert (
        admin_api.patch(f"stages/{stage.json()['id']}", {"rotting_days": 7}).json()["rotting_days"]
        == 7
    )
    assert admin_api.patch(f"stages/{stage.json()['id']}", {"probability": 101}).status_code == 422
    listed = manager_api.get("stages", {"pipeline_id": pipeline.pk}).json()
    assert [s["id"] for s in listed["items"]] == [s.pk for s in stages]
    made_default = admin_api.patch(f"pipelines/{pipeline_id}", {"is_default": True})
    assert made_default.json()["is_default"] is True
    assert Pipeline.objects.get(pk=pipeline.pk).is_default is False
    assert manager_api.post("stages", {"pipeline_id": pipeline_id, "name": "x"}).status_code == 403
    assert admin_api.delete(f"stages/{stage.json()['id']}").status_code == 204
    assert not Stage.objects.filter(pk=stage.json()["id"]).exists()


def test_a_stage_with_deals_cannot_be_deleted(admin_api, stages):
    make_deal(stage=stages[0])
    response = admin_api.delete(f"stages/{stages[0].pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "stage_has_deals"


def test_product_list_paginates(manager_api):
    ProductFactory.create_batch(3)
    page = manager_api.get("products", {"limit": 2}).json()
    assert (page["count"], len(page["items"])) == (3, 2)
    assert len(manager_api.get("products", {"limit": 2, "offset": 2}).json()["items"]) == 1
