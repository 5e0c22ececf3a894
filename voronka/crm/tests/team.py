"""A small sales team for view tests: two departments, a head, managers, a viewer, an admin."""

from dataclasses import dataclass

from tests.factories import DepartmentFactory, UserFactory
from voronka.accounts.models import User


@dataclass
class Team:
    admin: User
    head: User
    manager: User
    colleague: User  # same department as the manager and the head
    stranger: User  # another department
    viewer: User


def make_team() -> Team:
    sales, other = DepartmentFactory(name="Продажи"), DepartmentFactory(name="Регионы")
    return Team(
        admin=UserFactory(role="admin", department=None, first_name="Анна", last_name="Админова"),
        head=UserFactory(role="head", department=sales, first_name="Глеб", last_name="Главный"),
        manager=UserFactory(
            role="manager", department=sales, first_name="Иван", last_name="Иванов"
        ),
        colleague=UserFactory(
            role="manager", department=sales, first_name="Пётр", last_name="Петров"
        ),
        stranger=UserFactory(
            role="manager", department=other, first_name="Сергей", last_name="Сидоров"
        ),
        viewer=UserFactory(role="viewer", department=None, first_name="Вера", last_name="Видова"),
    )
