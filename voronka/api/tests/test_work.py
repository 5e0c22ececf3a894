"""Activities, documents, plans and users through the API."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import DepartmentFactory, UserFactory, make_deal
from voronka.activities.models import Activity
from voronka.documents.models import Document
from voronka.plans.models import Plan

pytestmark = pytest.mark.django_db


# Activities ------------------------------------------------------------------------------------


def test_log_complete_and_delete_an_activity(manager_api, manager, stages):
    deal = make_deal(owner=manager)
    created = manager_api.post(
        "activities",
        {
            "kind": "task",
            "subject": "Позвонить",
            "deal_id": deal.pk,
            "due_at": "2030-01-10T09:00:00Z",
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["kind"], body["deal_id"], body["stage_id"], body["done_at"]) == (
        "task",
        deal.pk,
        stages[0].pk,
        None,
    )
    done = manager_api.patch(f"activities/{body['id']}", {"done": True})
    assert done.json()["done_at"] is not None
    assert manager_api.get("activities", {"done": "true"}).json()["count"] == 1
    assert manager_api.get("activities", {"deal_id": deal.pk}).json()["count"] == 1
    assert manager_api.delete(f"activities/{body['id']}").status_code == 204
    assert Activity.objects.count() == 0


def test_activity_validation(manager_api, stages):
    response = manager_api.post(
        "activities", {"kind": "telegram", "subject": "", "due_at": "yesterday", "done": "yes"}
    )
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"kind", "subject", "due_at", "done"}


def test_an_activity_on_someone_elses_deal_is_refused(manager_api, stages):
    deal = make_deal(owner=UserFactory())
    response = manager_api.post("activities", {"kind": "call", "subject": "x", "deal_id": deal.pk})
    assert response.status_code == 404
    assert response.json()["code"] == "invalid_reference"


# Documents -------------------------------------------------------------------------------------


def _upload(api, deal, name="offer.pdf", content=b"%PDF-1.4 test", kind="proposal"):
    return api.client.post(
        "/api/v1/documents",
        {"deal_id": deal.pk, "kind": kind, "file": SimpleUploadedFile(name, content)},
        headers=api.headers,
    )


def test_upload_and_download_a_document(manager_api, manager, stages):
    deal = make_deal(owner=manager)
    uploaded = _upload(manager_api, deal)
    assert uploaded.status_code == 201
    body = uploaded.json()
    assert (body["deal_id"], body["kind"], body["original_name"], body["size"]) == (
        deal.pk,
        "proposal",
        "offer.pdf",
        13,
    )
    assert body["stage_id"] == stages[0].pk
    download = manager_api.get(f"documents/{body['id']}/download")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert "attachment" in download["Content-Disposition"]
    assert manager_api.get("documents", {"deal_id": deal.pk}).json()["count"] == 1
    assert manager_api.delete(f"documents/{body['id']}").status_code == 204
    assert Document.objects.count() == 0


def test_a_rejected_file_type_is_a_422_with_the_field(manager_api, manager, stages):
    deal = make_deal(owner=manager)
    response = _upload(manager_api, deal, name="virus.exe", content=b"MZ")
    assert response.status_code == 422
    assert response.json()["code"] == "document_rejected"
    assert list(response.json()["fields"]) == ["file"]


def test_another_managers_document_is_invisible(manager_api, as_user, stages):
    owner = UserFactory()
    deal = make_deal(owner=owner)
    document_id = _upload(as_user(owner), deal).json()["id"]
    assert manager_api.get(f"documents/{document_id}").status_code == 404
    assert manager_api.get(f"documents/{document_id}/download").status_code == 404
    assert manager_api.get("documents").json()["count"] == 0


def test_a_viewer_cannot_upload(viewer_api, stages):
    deal = make_deal()
    assert _upload(viewer_api, deal).status_code == 403


# Plans -----------------------------------------------------------------------------------------


def test_a_head_sets_a_plan_for_a_member(as_user):
    department = DepartmentFactory()
    head = UserFactory(role="head", department=department)
    seller = UserFactory(role="manager", department=department)
    api = as_user(head)
    body = {
        "period": "month",
        "period_start": "2026-03-01",
        "dimension": "employee",
        "user_id": seller.pk,
        "target_amount": "500000",
        "target_count": 5,
    }
    created = api.post("plans", body)
    assert created.status_code == 201
    plan = Plan.objects.get()
    assert (plan.user_id, plan.period_start, plan.target_amount) == (
        seller.pk,
        date(2026, 3, 1),
        Decimal("500000"),
    )
    assert api.post("plans", body).json()["code"] == "plan_exists"
    changed = api.patch(f"plans/{plan.pk}", {"target_amount": 600000})
    assert Decimal(changed.json()["target_amount"]) == Decimal("600000")
    assert api.get("plans", {"dimension": "employee"}).json()["count"] == 1
    assert as_user(seller).get(f"plans/{plan.pk}").status_code == 200
    assert as_user(seller).delete(f"plans/{plan.pk}").status_code == 403
    assert api.delete(f"plans/{plan.pk}").status_code == 204


def test_a_plan_must_start_on_its_periods_first_day(admin_api, admin_user):
    response = admin_api.post(
        "plans",
        {
            "period": "quarter",
            "period_start": "2026-02-01",
            "dimension": "employee",
            "user_id": admin_user.pk,
            "target_amount": 1,
        },
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_plan"
    assert list(response.json()["fields"]) == ["period_start"]


def test_a_manager_cannot_set_plans(manager_api, manager):
    body = {
        "period": "year",
        "period_start": "2026-01-01",
        "dimension": "employee",
        "user_id": manager.pk,
        "target_amount": 1,
    }
    assert manager_api.post("plans", body).status_code == 403


# Users -----------------------------------------------------------------------------------------


def test_users_are_read_only_and_limited_to_visible_ones(manager_api, manager, admin_api):
    UserFactory()
    assert [u["id"] for u in manager_api.get("users").json()["items"]] == [manager.pk]
    assert admin_api.get("users").json()["count"] == 3
    me = manager_api.get("users/me").json()
    assert (me["id"], me["role"], me["full_name"]) == (manager.pk, "manager", str(manager))


def test_an_upload_without_a_file_is_refused_on_the_file_field(manager_api, manager, stages):
    deal = make_deal(owner=manager)
    response = manager_api.client.post(
        "/api/v1/documents", {"deal_id": deal.pk, "kind": "other"}, headers=manager_api.headers
    )
    assert response.status_code == 422
    assert (response.json()["code"], list(response.json()["fields"])) == (
        "document_rejected",
        ["file"],
    )
