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


def test_a_head_importing_another_departments_company_inn_changes_nothing_there(team):
    from voronka.crm.models import Company, Contact

    outsider = Deal.owner.field.related_model.objects.get(username="outside")
    theirs = Company.objects.create(
        name="Чужая компания", inn="7701234567", owner=outsider, notes="секрет", phone="1"
    )
    Contact.objects.create(
        company=theirs, first_name="Тайный", owner=outsider, email="secret@their.ru"
    )
    companies = csv_bytes(
        ["Название", "ИНН", "Примечание", "Телефон"],
        [["Переименовано", "7701234567", "затёрто", "2"], ["Наша", "7709999999", "", ""]],
    )
    job = services.import_job_create(user=team, kind="companies", file_name="c.csv", data=companies)
    services.import_check(job=job)
    job = services.import_job_start(job=job, user=team, valid_only=True, on_match="update")
    assert job.errors == [
        {"line": 2, "column": "ИНН", "message": "Matches a company you cannot see."}
    ]
    assert (job.created_count, job.failed_count) == (1, 1)
    deals = csv_bytes(
        ["Название", "Этап", "Ответственный", "ИНН", "Компания", "Email"],
        [["Подсмотреть", "Переговоры", "inside", "7701234567", "Чужая компания", ""],
         ["Через контакт", "Переговоры", "inside", "", "", "secret@their.ru"]],
    )  # fmt: skip
    job = services.import_job_create(user=team, kind="deals", file_name="d.csv", data=deals)
    services.import_check(job=job)
    job = services.import_job_start(job=job, user=team, valid_only=True, on_match="update")
    assert [(error["line"], error["message"]) for error in job.errors] == [
        (2, "Matches a company you cannot see."),
    ]
    theirs.refresh_from_db()
    assert (theirs.name, theirs.notes, theirs.phone) == ("Чужая компания", "секрет", "1")
    assert not Deal.objects.filter(company=theirs).exists()
    # the email belongs to their company's contact: ours gets a contact of its own
    deal = Deal.objects.get()
    assert [(c.company_id, c.email) for c in deal.contacts.all()] == [(None, "secret@their.ru")]
    assert not theirs.contacts.get().deals.exists()
