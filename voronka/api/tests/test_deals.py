"""Deals through the API: the same pipeline services as the pages, history kept, versions
checked, roles and visibility enforced."""

from decimal import Decimal

import pytest

from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DepartmentFactory,
    LostReasonFactory,
    ProductFactory,
    UserFactory,
    make_deal,
)
from voronka.pipeline.models import AmountChange, Deal, StageChange

pytestmark = pytest.mark.django_db


def test_create_a_deal_in_the_default_pipeline(manager_api, manager, pipeline, stages):
    company = CompanyFactory(owner=manager)
    contact = ContactFactory(company=company)
    response = manager_api.post(
        "deals",
        {
            "title": "Поставка",
            "company_id": company.pk,
            "contact_ids": [contact.pk],
            "amount": "1500.50",
            "currency": "RUB",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Поставка"
    assert body["pipeline_id"] == pipeline.pk
    assert body["stage_id"] == stages[0].pk
    assert body["owner_id"] == manager.pk
    assert body["contact_ids"] == [contact.pk]
    assert Decimal(body["amount"]) == Decimal("1500.50")
    assert body["status"] == "open"
    assert body["version"] == 1
    deal = Deal.objects.get(pk=body["id"])
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_create_a_deal_validation_errors_name_the_fields(manager_api, pipeline):
    response = manager_api.post("deals", {"title": "  ", "amount": "-1", "currency": "rub"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {"title", "amount", "currency"}


def test_create_a_deal_with_an_invisible_company_is_refused(manager_api, pipeline):
    stranger_company = CompanyFactory(owner=UserFactory())
    response = manager_api.post("deals", {"title": "X", "company_id": stranger_company.pk})
    assert response.status_code == 404
    assert response.json()["code"] == "invalid_reference"
    assert list(response.json()["fields"]) == ["company_id"]
    assert Deal.objects.count() == 0


def test_move_win_and_history(manager_api, manager, stages):
    deal = make_deal(owner=manager, amount=Decimal("100"))
    moved = manager_api.post(
        f"deals/{deal.pk}/move", {"stage_id": stages[2].pk, "expected_version": 1}
    )
    assert moved.status_code == 200
    assert moved.json()["stage_id"] == stages[2].pk
    assert moved.json()["furthest_stage_id"] == stages[2].pk
    version = moved.json()["version"]
    won = manager_api.post(f"deals/{deal.pk}/win", {"expected_version": version})
    assert won.status_code == 200
    assert won.json()["status"] == "won"
    history = manager_api.get(f"deals/{deal.pk}/stage-history").json()
    assert [(row["kind"], row["from_stage_id"], row["to_stage_id"]) for row in history] == [
        ("created", None, stages[0].pk),
        ("moved", stages[0].pk, stages[2].pk),
        ("won", stages[2].pk, stages[2].pk),
    ]


def test_a_stale_version_is_a_409_and_changes_nothing(manager_api, manager, stages):
    deal = make_deal(owner=manager)
    manager_api.post(f"deals/{deal.pk}/move", {"stage_id": stages[1].pk, "expected_version": 1})
    response = manager_api.post(
        f"deals/{deal.pk}/move", {"stage_id": stages[3].pk, "expected_version": 1}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk


def test_lose_needs_a_reason_and_records_it(manager_api, manager, stages):
    deal = make_deal(owner=manager)
    missing = manager_api.post(f"deals/{deal.pk}/lose", {"comment": "дорого"})
    assert missing.status_code == 422
    assert set(missing.json()["fields"]) == {"lost_reason_id"}
    reason = LostReasonFactory()
    lost = manager_api.post(
        f"deals/{deal.pk}/lose", {"lost_reason_id": reason.pk, "comment": "дорого"}
    )
    assert lost.status_code == 200
    assert lost.json()["status"] == "lost"
    assert lost.json()["lost_reason_id"] == reason.pk
    assert lost.json()["lost_comment"] == "дорого"
    again = manager_api.post(f"deals/{deal.pk}/win", {})
    assert again.status_code == 409
    assert again.json()["code"] == "deal_closed"
    reopened = manager_api.post(f"deals/{deal.pk}/reopen", {})
    assert reopened.json()["status"] == "open"


def test_change_amount_writes_amount_history(manager_api, manager, stages):
    deal = make_deal(owner=manager, amount=Decimal("100"))
    response = manager_api.post(f"deals/{deal.pk}/amount", {"amount": "250", "expected_version": 1})
    assert response.status_code == 200
    assert Decimal(response.json()["amount"]) == Decimal("250")
    rows = manager_api.get(f"deals/{deal.pk}/amount-history").json()
    assert [(Decimal(r["old_amount"]), Decimal(r["new_amount"])) for r in rows] == [
        (Decimal("100"), Decimal("250"))
    ]
    assert AmountChange.objects.filter(deal=deal).count() == 1


def test_only_heads_and_admins_reassign(manager_api, manager, as_user, stages):
    department = DepartmentFactory()
    head = UserFactory(role="head", department=department)
    seller = UserFactory(role="manager", department=department)
    deal = make_deal(owner=seller)
    own = make_deal(owner=manager)
    refused = manager_api.post(f"deals/{own.pk}/reassign", {"owner_id": manager.pk})
    assert refused.status_code == 403
    other = UserFactory(role="manager", department=department)
    response = as_user(head).post(f"deals/{deal.pk}/reassign", {"owner_id": other.pk})
    assert response.status_code == 200
    assert response.json()["owner_id"] == other.pk
    history = as_user(head).get(f"deals/{deal.pk}/owner-history").json()
    assert [(r["old_owner_id"], r["new_owner_id"]) for r in history] == [(seller.pk, other.pk)]
    outsider = UserFactory(role="manager")
    invisible = as_user(head).post(f"deals/{deal.pk}/reassign", {"owner_id": outsider.pk})
    assert invisible.status_code == 404
    assert invisible.json()["code"] == "invalid_reference"


def test_patch_changes_plain_fields_only(manager_api, manager, stages):
    deal = make_deal(owner=manager)
    response = manager_api.patch(
        f"deals/{deal.pk}", {"expected_version": 1, "title": "Новое", "description": "d"}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Новое"
    assert response.json()["description"] == "d"
    missing_version = manager_api.patch(f"deals/{deal.pk}", {"title": "x"})
    assert missing_version.status_code == 422
    assert set(missing_version.json()["fields"]) == {"expected_version"}


def test_line_items_set_the_deal_amount(manager_api, manager, stages):
    deal = make_deal(owner=manager, amount=Decimal("0"))
    product = ProductFactory(price=Decimal("1000.00"))
    added = manager_api.post(
        f"deals/{deal.pk}/line-items", {"product_id": product.pk, "quantity": "3"}
    )
    assert added.status_code == 201
    item = added.json()
    assert Decimal(item["unit_price"]) == Decimal("1000.00")
    assert Decimal(item["total"]) == Decimal("3000.00")
    deal.refresh_from_db()
    assert deal.amount == Decimal("3000.00")
    changed = manager_api.patch(f"deals/{deal.pk}/line-items/{item['id']}", {"quantity": "1"})
    assert Decimal(changed.json()["total"]) == Decimal("1000.00")
    assert len(manager_api.get(f"deals/{deal.pk}/line-items").json()) == 1
    removed = manager_api.delete(f"deals/{deal.pk}/line-items/{item['id']}")
    assert removed.status_code == 204
    deal.refresh_from_db()
    assert deal.amount == Decimal("0.00")


def test_a_viewer_cannot_act_on_deals(viewer_api, stages):
    deal = make_deal()
    assert viewer_api.get(f"deals/{deal.pk}").status_code == 200
    assert viewer_api.post(f"deals/{deal.pk}/win", {}).status_code == 403
    assert viewer_api.post("deals", {"title": "x"}).status_code == 403


def test_another_managers_deal_is_404_for_every_action(manager_api, stages):
    deal = make_deal(owner=UserFactory())
    for path, body in [
        (f"deals/{deal.pk}/win", {}),
        (f"deals/{deal.pk}/move", {"stage_id": stages[1].pk, "expected_version": 1}),
        (f"deals/{deal.pk}/line-items", {"product_id": ProductFactory().pk}),
    ]:
        assert manager_api.post(path, body).status_code == 404, path
    assert manager_api.get(f"deals/{deal.pk}/stage-history").status_code == 404


def test_list_filters_orders_and_paginates(manager_api, manager, stages):
    for index, amount in enumerate(["300", "100", "200"]):
        make_deal(owner=manager, title=f"Deal {index}", amount=Decimal(amount))
    page = manager_api.get("deals", {"ordering": "-amount", "limit": 2}).json()
    assert page["count"] == 3
    assert [d["title"] for d in page["items"]] == ["Deal 0", "Deal 2"]
    rest = manager_api.get("deals", {"ordering": "-amount", "limit": 2, "offset": 2}).json()
    assert [d["title"] for d in rest["items"]] == ["Deal 1"]
    assert manager_api.get("deals", {"search": "Deal 1"}).json()["count"] == 1
    assert manager_api.get("deals", {"status": "won"}).json()["count"] == 0
    too_many = manager_api.get("deals", {"limit": 201})
    assert too_many.status_code == 422
    assert set(too_many.json()["fields"]) == {"limit"}
    assert manager_api.get("deals", {"limit": 0}).status_code == 422
    assert manager_api.get("deals", {"status": "nonsense"}).status_code == 422
    bad_order = manager_api.get("deals", {"ordering": "owner__password"})
    assert bad_order.status_code == 422
    assert list(bad_order.json()["fields"]) == ["ordering"]


def test_deal_list_query_count_does_not_grow(
    manager_api, manager, stages, django_assert_max_num_queries
):
    make_deal(owner=manager, contacts=[ContactFactory()])
    with django_assert_max_num_queries(6):
        assert manager_api.get("deals").json()["count"] == 1
    for _ in range(10):
        make_deal(owner=manager, contacts=[ContactFactory(), ContactFactory()])
    with django_assert_max_num_queries(6):
        assert manager_api.get("deals").json()["count"] == 11
