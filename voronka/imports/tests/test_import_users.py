"""The users import kind: people with roles and departments (office → team), admins only;
departments created as needed, no usable password, existing people updated, not duplicated."""

import pytest

from tests.factories import DepartmentFactory, UserFactory
from voronka.accounts.models import Department, User
from voronka.core.errors import NotPermitted
from voronka.imports.users import parse_role, split_name

from .helpers import csv_bytes, import_file

HEADERS = ["ФИО", "Email", "Роль", "Отдел", "Офис"]
ROWS = [
    ["Иванов Иван", "ivanov@example.com", "Менеджер", "Команда Север", "Московский офис"],
    ["Anna Smith", "anna@example.com", "head", "Команда Север", "Московский офис"],
    ["Петрова Мария", "", "руководитель", "Московский офис", ""],
    ["Boris Lee", "boris@example.com", "", "Team West", "Kazan office"],
]


@pytest.fixture
def admin(db, pipeline):
    return UserFactory(role="admin", username="boss", department=None)


def test_people_departments_and_the_hierarchy_are_created(admin):
    job, report = import_file(admin, csv_bytes(HEADERS, ROWS), kind="users", name="users.csv")
    assert report["invalid"] == 0, report["errors"]
    assert job.mapping == {
        "user_name": 0, "email": 1, "role": 2, "department": 3, "parent_department": 4,
    }  # fmt: skip
    people = {
        (u.last_name, u.first_name, u.email, u.role, u.department.name, u.has_usable_password())
        for u in User.objects.exclude(pk=admin.pk).select_related("department")
    }
    assert people == {
        ("Иванов", "Иван", "ivanov@example.com", "manager", "Команда Север", False),
        ("Smith", "Anna", "anna@example.com", "head", "Команда Север", False),
        ("Петрова", "Мария", "", "head", "Московский офис", False),
        ("Lee", "Boris", "boris@example.com", "manager", "Team West", False),
    }
    parents = dict(Department.objects.values_list("name", "parent__name"))
    assert parents == {
        "Команда Север": "Московский офис",
        "Московский офис": None,
        "Team West": "Kazan office",
        "Kazan office": None,
    }
    # Without an email the login is made of the name.
    assert User.objects.get(last_name="Петрова").username == "мария.петрова"


def test_existing_people_are_matched_by_email_or_login_and_updated(admin):
    team = DepartmentFactory(name="Старая команда")
    existing = UserFactory(
        username="old.login", email="IVANOV@example.com", role="viewer", department=team
    )
    by_login = UserFactory(username="мария.петрова", email="", role="manager", phone="+7 900")
    import_file(admin, csv_bytes(HEADERS, ROWS), kind="users", name="users.csv")
    existing.refresh_from_db()
    by_login.refresh_from_db()
    assert (existing.username, existing.role, existing.department.name) == (
        "old.login",
        "manager",
        "Команда Север",
    )
    assert existing.has_usable_password()  # an update never touches the password
    assert (by_login.role, by_login.phone) == ("head", "+7 900")
    assert User.objects.count() == 5  # admin, two matched, two created
    job, report = import_file(admin, csv_bytes(HEADERS, ROWS), kind="users", name="users.csv")
    assert User.objects.count() == 5  # the same file again changes nothing


def test_bad_rows_are_reported_and_not_written(admin):
    rows = [
        ["Иванов Иван", "not-an-email", "менеджер", "", ""],
        ["", "", "manager", "", ""],
        ["Anna Smith", "anna@example.com", "king", "", ""],
        ["Boris Lee", "boris@example.com", "viewer", "", "Kazan office"],
    ]
    job, report = import_file(
        admin, csv_bytes(HEADERS, rows), kind="users", name="users.csv", valid_only=True
    )
    messages = sorted((error["line"], error["message"]) for error in report["errors"])
    assert messages == [
        (2, "Not an email address."),
        (3, "Give the person's name or email."),
        (4, "Unknown role “king”: use administrator, head, manager or viewer."),
        (5, "A parent department needs the department itself."),
    ]
    assert User.objects.count() == 1
    assert Department.objects.count() == 0


@pytest.mark.parametrize("role", ["head", "manager"])
def test_only_admins_may_import_users(db, role):
    importer = UserFactory(role=role)
    departments, users = Department.objects.count(), User.objects.count()
    with pytest.raises(NotPermitted):
        import_file(importer, csv_bytes(HEADERS, ROWS), kind="users")
    assert (Department.objects.count(), User.objects.count()) == (departments, users)


@pytest.mark.parametrize(
    ("raw", "role"),
    [("Администратор", "admin"), ("HEAD", "head"), ("", "manager"), ("Sales_Rep", "manager"),
     ("наблюдатель", "viewer")],
)  # fmt: skip
def test_roles_are_read_in_english_and_russian(raw, role):
    assert parse_role(raw) == role


def test_names_split_surname_first_in_russian():
    assert split_name("Иванов Иван Петрович") == ("Иван Петрович", "Иванов")
    assert split_name("Anna Smith") == ("Anna", "Smith")
