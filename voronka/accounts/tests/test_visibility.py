"""Row-level visibility: manager sees own, head the department's, admin and viewer all."""

import pytest

from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DepartmentFactory,
    UserFactory,
    make_deal,
)
from voronka.accounts.visibility import (
    visible_companies,
    visible_contacts,
    visible_deals,
    visible_users,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(pipeline):
    sales, support = DepartmentFactory(name="Продажи"), DepartmentFactory(name="Регионы")
    people = {
        "anna": UserFactory(role="manager", department=sales),
        "boris": UserFactory(role="manager", department=sales),
        "vera": UserFactory(role="manager", department=support),
        "head": UserFactory(role="head", department=sales),
        "admin": UserFactory(role="admin", department=None),
        "viewer": UserFactory(role="viewer", department=None),
    }
    deals = {name: make_deal(owner=people[name], title=name) for name in ("anna", "boris", "vera")}
    return people, deals


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("anna", ["anna"]),
        ("boris", ["boris"]),
        ("vera", ["vera"]),
        ("head", ["anna", "boris"]),
        ("admin", ["anna", "boris", "vera"]),
        ("viewer", ["anna", "boris", "vera"]),
    ],
)
def test_visible_deals_per_role(team, who, sees):
    people, _deals = team
    titles = sorted(visible_deals(people[who]).values_list("title", flat=True))
    assert titles == sees


def test_a_head_without_department_sees_only_own_deals(team):
    people, _deals = team
    lone_head = UserFactory(role="head", department=None)
    make_deal(owner=lone_head, title="свой")
    assert list(visible_deals(lone_head).values_list("title", flat=True)) == ["свой"]


def test_an_inactive_user_sees_nothing(team):
    people, _deals = team
    people["admin"].is_active = False
    assert visible_deals(people["admin"]).count() == 0


def test_companies_and_contacts_follow_owner_or_a_visible_deal(team):
    people, deals = team
    own = CompanyFactory(owner=people["anna"], name="Своя")
    via_deal = CompanyFactory(owner=people["vera"], name="Через сделку")
    hidden = CompanyFactory(owner=people["vera"], name="Чужая")
    make_deal(owner=people["anna"], company=via_deal, title="общая")
    ContactFactory(company=hidden, owner=people["vera"], first_name="Скрытый")
    ContactFactory(company=via_deal, owner=people["vera"], first_name="Видимый")

    assert sorted(visible_companies(people["anna"]).values_list("name", flat=True)) == [
        "Своя",
        "Через сделку",
    ]
    assert list(visible_contacts(people["anna"]).values_list("first_name", flat=True)) == [
        "Видимый"
    ]
    assert visible_companies(people["viewer"]).count() == 3
    assert own in visible_companies(people["head"])
    assert hidden not in visible_companies(people["head"])


def test_visible_users_per_role(team):
    people, _deals = team
    assert list(visible_users(people["anna"])) == [people["anna"]]
    assert set(visible_users(people["head"])) == {people["anna"], people["boris"], people["head"]}
    assert visible_users(people["admin"]).count() == 6
