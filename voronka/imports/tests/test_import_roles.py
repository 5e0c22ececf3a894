"""Heads import only for their department: owners outside it are unknown to them."""

import pytest

from tests.factories import DepartmentFactory, UserFactory
from voronka.imports import services
from voronka.pipeline.models import Deal

from .helpers import csv_bytes

HEADERS = ["Название", "Этап", "Ответственный"]


@pytest.fixture
def team(db, pipeline):
    sales = DepartmentFactory(name="Продажи")
    head = UserFactory(role="head", username="head", department=sales)
    UserFactory(username="inside", department=sales)
    UserFactory(username="outside", department=DepartmentFactory(name="Другой"))
    return head


def test_a_head_cannot_give_imported_deals_to_another_departments_user(team):
    data = csv_bytes(
        HEADERS,
        [["Своя", "Переговоры", "inside"], ["Чужая", "Переговоры", "outside"], ["Ничья", "", ""]],
    )
    job = services.import_job_create(user=team, kind="deals", file_name="d.csv", data=data)
    report = services.import_check(job=job)
    assert report["errors"] == [
        {"line": 3, "column": "Ответственный",
         "message": "Unknown owner «outside»; map it to a user."},
    ]  # fmt: skip
    assert [value.value for value in services.unknown_values(job)["owner"]] == ["outside"]
    outsider = Deal.owner.field.related_model.objects.get(username="outside")
    with pytest.raises(services.DomainError, match="Unknown choice for «outside»"):
        services.import_job_set_values(job=job, value_map={"owner": {"outside": str(outsider.pk)}})
    services.import_job_start(job=job, user=team, valid_only=True, on_match="update")
    assert sorted(Deal.objects.values_list("title", "owner__username")) == [
        ("Ничья", "head"),
        ("Своя", "inside"),
    ]


def test_managers_cannot_start_an_import(team):
    manager = UserFactory(username="m", department=team.department)
    data = csv_bytes(HEADERS, [["Своя", "Переговоры", "m"]])
    with pytest.raises(services.NotPermitted):
        services.import_job_create(user=manager, kind="deals", file_name="d.csv", data=data)
