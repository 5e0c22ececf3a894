"""Custom fields through the API: read on deals and companies, written through the services with
the same checks by kind (a wrong value is a 409 naming the field), unknown codes refused."""

import pytest

from tests.factories import CompanyFactory, make_deal
from voronka.customfields.services import custom_field_create
from voronka.pipeline.models import Deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    custom_field_create(
        entity="deal", code="segment", label="Сегмент", kind="choice", choices=["SMB", "Enterprise"]
    )
    custom_field_create(entity="deal", code="seats", label="Seats", kind="number")
    custom_field_create(entity="company", code="region", label="Region", kind="text")


def test_create_and_read_a_deal_with_custom_fields(manager_api, fields, pipeline):
    response = manager_api.post(
        "deals", {"title": "Лицензии", "custom_fields": {"segment": "enterprise", "seats": "1 200"}}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["custom_fields"] == {"segment": "Enterprise", "seats": 1200}
    read = manager_api.get(f"deals/{response.json()['id']}").json()
    assert read["custom_fields"] == {"segment": "Enterprise", "seats": 1200}


def test_patch_merges_and_clears_values(manager_api, manager, fields, pipeline):
    deal = make_deal(owner=manager, pipeline=pipeline, custom_fields={"segment": "SMB", "seats": 3})
    response = manager_api.patch(
        f"deals/{deal.pk}", {"expected_version": 1, "custom_fields": {"seats": None}}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["custom_fields"] == {"segment": "SMB"}


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"seats": "many"}, "seats", "Seats: enter a number, for example 1 234,5."),
        ({"segment": "Gov"}, "segment", "Сегмент: choose one of: SMB, Enterprise."),
        ({"region": "Урал"}, "region", "There is no active custom field “region”."),
    ],
)
def test_a_wrong_value_is_a_409_naming_the_field(
    manager_api, manager, fields, pipeline, values, field, message
):
    deal = make_deal(owner=manager, pipeline=pipeline, custom_fields={"seats": 3})
    response = manager_api.patch(
        f"deals/{deal.pk}", {"expected_version": 1, "custom_fields": values}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "custom_field_invalid"
    assert response.json()["fields"] == {field: [message]}
    assert Deal.objects.get(pk=deal.pk).custom_fields == {"seats": 3}


def test_a_malformed_code_is_refused_by_the_schema(manager_api, fields, pipeline):
    response = manager_api.post("deals", {"title": "X", "custom_fields": {"Bad Code": "1"}})
    assert response.status_code == 422
    assert Deal.objects.count() == 0


def test_company_custom_fields(manager_api, manager, fields):
    company = CompanyFactory(owner=manager)
    response = manager_api.patch(f"companies/{company.pk}", {"custom_fields": {"region": " Урал "}})
    assert response.status_code == 200, response.json()
    assert response.json()["custom_fields"] == {"region": "Урал"}


def test_the_openapi_schema_declares_custom_fields(manager_api):
    schema = manager_api.get("/api/v1/openapi.json").json()
    deal_in = schema["components"]["schemas"]["DealIn"]["properties"]["custom_fields"]
    assert deal_in["type"] == "object"
    assert deal_in["maxProperties"] == 100
    assert deal_in["additionalProperties"] is False
    values = deal_in["patternProperties"]["^[a-z][a-z0-9_]{0,39}$"]["anyOf"]
    assert {kind["type"] for kind in values} == {"integer", "number", "string", "null"}
