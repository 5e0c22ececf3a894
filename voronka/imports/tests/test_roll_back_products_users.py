"""Rolling back a products or users import: the products, product lines, people and departments
it created go unless something uses them (kept as they are, and counted); what existed before
keeps the import's updates. The writers record what they create on the job, batch by batch."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    DepartmentFactory,
    DirectionFactory,
    ProductFactory,
    UserFactory,
    make_deal,
)
from voronka.accounts.models import Department, User
from voronka.api.services import api_token_create
from voronka.catalog.models import Direction, Product
from voronka.core.errors import NotPermitted
from voronka.imports import rollback, running, services
from voronka.imports.models import ImportJob, ImportStatus
from voronka.pipeline.services import line_item_add
from voronka.plans.models import Plan

from .helpers import csv_bytes, import_file

pytestmark = pytest.mark.django_db
PRODUCT_HEADERS = ["Наименование", "Артикул", "Цена", "Направление"]
PRODUCT_ROWS = [
    ["Сервер R200 (новая цена)", "R200", "130", "Серверы"],  # updates the existing one
    ["Кабель", "", "5", "Кабели"],  # a deal line uses it since
    ["Патч-корд", "", "3", "Кабели"],
    ["Сервер R300", "", "300", "Серверы"],  # a plan uses it since
    ["Свитч", "", "90", "Свитчи"],
]
USER_HEADERS = ["ФИО", "Email", "Роль", "Отдел", "Офис"]
USER_ROWS = [
    ["Иванов Иван", "ivanov@example.com", "Менеджер", "Команда Север", "Московский офис"],
    ["Anna Smith", "anna@example.com", "head", "Команда Север", "Московский офис"],
    ["Петрова Мария", "", "руководитель", "Московский офис", ""],
    ["Boris Lee", "boris@example.com", "", "Team West", "Kazan office"],
    ["Сидоров Пётр", "sidorov@example.com", "", "Команда Юг", "Южный офис"],
]


@pytest.fixture
def admin(db, pipeline):
    return UserFactory(role="admin", username="boss", department=None)


def _products_import(user, rows=PRODUCT_ROWS) -> ImportJob:
    job, report = import_file(
        user, csv_bytes(PRODUCT_HEADERS, rows), kind="products", name="products.csv"
    )
    assert report["invalid"] == 0, report["errors"]
    return job


def _users_import(user, rows=USER_ROWS) -> ImportJob:
    job, report = import_file(user, csv_bytes(USER_HEADERS, rows), kind="users", name="users.csv")
    assert report["invalid"] == 0, report["errors"]
    return job


def test_a_products_import_rolls_back_the_unused_products_and_product_lines_it_created(admin):
    servers = DirectionFactory(name="Серверы")
    existing = ProductFactory(name="Сервер R200", sku="R200", direction=servers, price=120)
    job = _products_import(admin)
    assert (job.created_count, job.updated_count) == (4, 1)
    made = dict(Product.objects.exclude(pk=existing.pk).values_list("name", "pk"))
    lines = dict(Direction.objects.exclude(pk=servers.pk).values_list("name", "pk"))
    assert job.created_records == {
        "product": sorted(made.values()), "direction": sorted(lines.values()),
    }  # fmt: skip
    assert rollback.written_rows(job).created == [("Products", 4), ("Product lines", 2)]
    # Since the import: a deal line of «Кабель», a plan for «Сервер R300».
    deal = make_deal(owner=admin)
    cable = Product.objects.get(name="Кабель")
    line_item_add(deal=deal, product=cable, quantity=Decimal(2), unit_price=None, user=admin)
    Plan.objects.create(
        period="month", period_start=date(2026, 1, 1), dimension="product",
        product_id=made["Сервер R300"], target_amount=Decimal(1000), created_by=admin,
    )  # fmt: skip

    job = services.import_job_roll_back(job=job, user=admin)

    assert job.status == ImportStatus.ROLLED_BACK
    assert job.rollback_report == {
        "removed": {"product": 2, "direction": 1}, "kept": {"product": 2, "direction": 1},
    }  # fmt: skip
    # The existing product keeps the import's update; «Кабели» stays with its used product.
    assert sorted(Product.objects.values_list("name", "sku", "price", "direction__name")) == [
        ("Кабель", "IMP-КАБЕЛЬ", Decimal("5.00"), "Кабели"),
        ("Сервер R200 (новая цена)", "R200", Decimal("130.00"), "Серверы"),
        ("Сервер R300", "IMP-СЕРВЕРR300", Decimal("300.00"), "Серверы"),
    ]
    assert sorted(Direction.objects.values_list("name", flat=True)) == ["Кабели", "Серверы"]
    written = rollback.written_rows(job)
    assert (written.removed, written.kept) == (
        [("Products", 2), ("Product lines", 1)], [("Products", 2), ("Product lines", 1)],
    )  # fmt: skip


def test_the_product_line_made_for_products_without_one_goes_with_them(admin):
    job = _products_import(admin, [["Кабель", "", "5", ""], ["Свитч", "SW-1", "90", ""]])
    assert list(Direction.objects.values_list("name", flat=True)) == ["Imported products"]
    job = services.import_job_roll_back(job=job, user=admin)
    assert job.rollback_report == {"removed": {"product": 2, "direction": 1}, "kept": {}}
    assert (Product.objects.count(), Direction.objects.count()) == (0, 0)


def test_a_users_import_rolls_back_the_unused_people_and_departments_children_first(admin):
    existing = UserFactory(
        username="old.login", email="IVANOV@example.com", role="viewer", department=None
    )
    job = _users_import(admin)
    assert (job.created_count, job.updated_count) == (4, 1)
    people = dict(User.objects.exclude(pk__in=[admin.pk, existing.pk]).values_list("email", "pk"))
    departments = dict(Department.objects.values_list("name", "pk"))
    assert job.created_records == {
        "user": sorted(people.values()), "department": sorted(departments.values()),
    }  # fmt: skip
    assert rollback.written_rows(job).created == [("Users", 4), ("Departments", 6)]
    # Since the import: Anna owns a deal, Boris set his password; Сидоров got a group (that
    # link goes with him). The existing Иванов was moved to «Команда Север» by the import.
    make_deal(owner=User.objects.get(pk=people["anna@example.com"]))
    boris = User.objects.get(pk=people["boris@example.com"])
    boris.password = make_password("a long pass phrase")
    boris.save()
    User.objects.get(pk=people["sidorov@example.com"]).groups.add(Group.objects.create(name="g"))

    job = services.import_job_roll_back(job=job, user=admin)

    assert job.rollback_report == {
        "removed": {"user": 2, "department": 2}, "kept": {"user": 2, "department": 4},
    }  # fmt: skip
    assert sorted(User.objects.values_list("username", "is_active")) == [
        ("anna@example.com", True), ("boris@example.com", True), ("boss", True),
        ("old.login", True),
    ]  # fmt: skip
    existing.refresh_from_db()
    assert (existing.role, existing.department.name) == ("manager", "Команда Север")
    assert dict(Department.objects.values_list("name", "parent__name")) == {
        "Команда Север": "Московский офис", "Московский офис": None,
        "Team West": "Kazan office", "Kazan office": None,
    }  # fmt: skip
    assert Group.objects.get(name="g").user_set.count() == 0


def test_a_person_with_an_api_token_or_a_plan_is_in_use(admin):
    job = _users_import(admin, USER_ROWS[3:])
    boris = User.objects.get(email="boris@example.com")
    api_token_create(user=boris, name="integration")
    Plan.objects.create(
        period="month", period_start=date(2026, 1, 1), dimension="department",
        department=Department.objects.get(name="Команда Юг"), target_amount=Decimal(1000),
        created_by=admin,
    )  # fmt: skip
    job = services.import_job_roll_back(job=job, user=admin)
    # Boris's departments keep him; «Команда Юг» its plan, and «Южный офис» its team.
    assert job.rollback_report == {"removed": {"user": 1}, "kept": {"user": 1, "department": 4}}
    assert set(User.objects.values_list("email", flat=True)) == {
        "boss@example.com",
        "boris@example.com",
    }
    assert Department.objects.count() == 4


class WorkerKilled(BaseException):
    """What a killed worker looks like from inside: nothing after it runs."""


def test_a_resumed_users_import_knows_what_its_first_run_created(admin, monkeypatch):
    job = services.import_job_create(
        user=admin, kind="users", file_name="u.csv", data=csv_bytes(USER_HEADERS, USER_ROWS)
    )
    services.import_check(job=job)
    monkeypatch.setattr(running, "BATCH_SIZE", 2)

    def killed(done, total):
        raise WorkerKilled()

    with pytest.raises(WorkerKilled):
        running.import_run(job=job, progress=killed)
    job.refresh_from_db()
    # The first batch's people and departments were recorded with them, in its transaction.
    assert job.written_lines == [[2, 3]]
    assert job.created_records == {
        "user": sorted(User.objects.exclude(pk=admin.pk).values_list("pk", flat=True)),
        "department": sorted(Department.objects.values_list("pk", flat=True)),
    }
    assert len(job.created_records["user"]) == 2
    running.import_run(job=job)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.created_records == {
        "user": sorted(User.objects.exclude(pk=admin.pk).values_list("pk", flat=True)),
        "department": sorted(Department.objects.values_list("pk", flat=True)),
    }
    assert (len(job.created_records["user"]), len(job.created_records["department"])) == (5, 6)
    job = services.import_job_roll_back(job=job, user=admin)
    assert job.rollback_report == {"removed": {"user": 5, "department": 6}, "kept": {}}
    assert list(User.objects.values_list("pk", flat=True)) == [admin.pk]


def test_a_row_that_fails_records_nothing_of_what_its_batch_undid(admin):
    office = DepartmentFactory(name="Офис А")
    DepartmentFactory(name="Команда Б", parent=office)
    rows = [
        ["Новый Человек", "new@example.com", "", "Новый отдел", ""],
        ["Петля", "loop@example.com", "", "Офис А", "Команда Б"],  # a cycle: fails when written
    ]
    job, report = import_file(
        admin, csv_bytes(USER_HEADERS, rows), kind="users", name="u.csv", valid_only=True
    )
    assert (job.created_count, job.failed_count) == (1, 1)
    assert job.created_records == {
        "user": [User.objects.get(email="new@example.com").pk],
        "department": [Department.objects.get(name="Новый отдел").pk],
    }
    job.refresh_from_db()
    assert job.created_records["user"] == [User.objects.get(email="new@example.com").pk]


def test_only_an_administrator_rolls_back_a_users_import(admin):
    job = _users_import(admin, USER_ROWS[:1])
    User.objects.filter(pk=admin.pk).update(role="head")  # no longer an administrator
    admin.refresh_from_db()
    with pytest.raises(NotPermitted):
        services.import_job_roll_back(job=job, user=admin)
    other_admin = UserFactory(role="admin")
    job = services.import_job_roll_back(job=job, user=other_admin)
    assert job.rollback_report["removed"] == {"user": 1, "department": 2}


def test_the_job_page_of_a_products_import_rolls_back_after_a_confirmation_by_its_importer(
    client, admin
):
    sales = DepartmentFactory(name="Продажи")
    head = UserFactory(role="head", username="head", department=sales)
    DirectionFactory(name="Серверы")
    job = _products_import(head, PRODUCT_ROWS[1:])
    url = reverse("imports:job_roll_back", args=[job.pk])
    # Another department's head and a manager of the importer's own department cannot.
    other_head = UserFactory(role="head", department=DepartmentFactory(name="Другой"))
    client.force_login(other_head)
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(UserFactory(role="manager", department=sales))
    assert client.post(url).status_code == 403
    with pytest.raises(NotPermitted):
        services.import_job_roll_back(job=job, user=other_head)
    job.refresh_from_db()
    assert (job.status, Product.objects.count()) == (ImportStatus.DONE, 4)

    client.force_login(head)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "<dt>Products</dt><dd>4</dd>" in page and "<dt>Product lines</dt><dd>2</dd>" in page
    assert "Rolling back deletes the products and product lines this import created" in page
    assert (
        'data-confirm="Delete what this import created, except what is in use: products 4, '
        'product lines 2? This cannot be undone."'
    ) in page
    response = client.post(url)
    assert response.url == reverse("imports:job", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert 'data-status="reverted"' in page
    assert "<dt>Products</dt><dd>4</dd>" in page
    assert 'data-testid="roll-back-import"' not in page
    assert (Product.objects.count(), Direction.objects.count()) == (0, 1)


def test_the_job_page_of_a_users_import_says_what_goes_and_what_stays(client, admin):
    UserFactory(username="old.login", email="IVANOV@example.com", role="viewer", department=None)
    job = _users_import(admin)
    client.force_login(admin)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "<dt>Users</dt><dd>4</dd>" in page and "<dt>Departments</dt><dd>6</dd>" in page
    assert "Those are kept as they are, still active" in page
    assert "It also updated an existing record: that change stays" in page
    assert "users 4, departments 6? This cannot be undone." in page
    make_deal(owner=User.objects.get(email="anna@example.com"))
    client.post(reverse("imports:job_roll_back", args=[job.pk]))
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Kept as they are, because they are in use:" in page
    removed, kept = page.split("Kept as they are, because they are in use:")
    assert "<dt>Users</dt><dd>3</dd>" in removed and "<dt>Departments</dt><dd>4</dd>" in removed
    # Anna, who owns a deal, and her team and office.
    assert "<dt>Users</dt><dd>1</dd>" in kept and "<dt>Departments</dt><dd>2</dd>" in kept


def _products_roll_back_queries(admin, count: int, first: int) -> int:
    rows = [[f"Товар {n}", "", "10", f"Линия {n % 3}"] for n in range(first, first + count)]
    job = _products_import(admin, rows)
    assert len(job.created_records["product"]) == count
    with CaptureQueriesContext(connection) as queries:
        job = services.import_job_roll_back(job=job, user=admin)
    assert job.rollback_report == {"removed": {"product": count, "direction": 3}, "kept": {}}
    return len(queries)


def test_rolling_back_products_takes_as_many_queries_for_many_as_for_few(admin):
    assert _products_roll_back_queries(admin, 40, 100) == _products_roll_back_queries(admin, 4, 10)


def _users_roll_back_queries(admin, count: int, first: int) -> int:
    rows = [
        [f"Person {n}", f"p{n}@example.com", "", f"Team {n % 4}", f"Office {n % 2}"]
        for n in range(first, first + count)
    ]
    job = _users_import(admin, rows)
    with CaptureQueriesContext(connection) as queries:
        job = services.import_job_roll_back(job=job, user=admin)
    assert job.rollback_report == {"removed": {"user": count, "department": 6}, "kept": {}}
    return len(queries)


def test_rolling_back_people_takes_as_many_queries_for_many_as_for_few(admin):
    assert _users_roll_back_queries(admin, 40, 100) == _users_roll_back_queries(admin, 4, 10)


def _job_page_queries(client, admin, count: int, first: int) -> int:
    rows = [[f"Товар {n}", "", "10", "Линия"] for n in range(first, first + count)]
    job = _products_import(admin, rows)
    client.force_login(admin)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert f"<dt>Products</dt><dd>{count}</dd>" in page
    return len(queries)


def test_the_products_job_page_takes_as_many_queries_for_many_as_for_few(client, admin):
    assert _job_page_queries(client, admin, 40, 100) == _job_page_queries(client, admin, 4, 10)
