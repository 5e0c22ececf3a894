"""An empty install (`DEMO_DEALS=0 make run`): the first admin is led to set it up, and no page
breaks or stays blank while there is no pipeline."""

import pytest
from django.urls import reverse

from tests.access.routes import web_routes
from tests.factories import UserFactory
from voronka.pipeline.blueprints import BLUEPRINTS
from voronka.pipeline.models import Pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return UserFactory(role="admin", is_staff=True, is_superuser=True, department=None)


def test_home_leads_the_first_admin_of_an_empty_install_to_getting_started(client, admin):
    client.force_login(admin)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:start")


def test_getting_started_offers_each_template_with_its_stages(client, admin):
    client.force_login(admin)
    response = client.get(reverse("administration:start"))
    assert response.status_code == 200
    html = response.content.decode()
    for blueprint in BLUEPRINTS.values():
        assert f'data-testid="start-template-{blueprint.key}"' in html
        chain = " → ".join(stage.name for stage in blueprint.stages)
        assert chain in html
    assert 'data-testid="start-scratch"' in html


def test_a_template_becomes_the_default_pipeline_with_all_its_stages(client, admin):
    client.force_login(admin)
    response = client.post(reverse("administration:start"), {"blueprint": "b2b"})
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:start")
    pipeline = Pipeline.objects.get()
    assert pipeline.is_default is True
    assert list(pipeline.stages.order_by("order").values_list("name", flat=True)) == [
        stage.name for stage in BLUEPRINTS["b2b"].stages
    ]
    assert client.get("/").status_code == 200  # set up: home no longer redirects


def test_from_scratch_makes_an_empty_pipeline_and_opens_it_to_add_stages(client, admin):
    client.force_login(admin)
    response = client.post(reverse("administration:start"), {"name": "Тендеры"})
    pipeline = Pipeline.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:pipeline", args=[pipeline.pk])
    assert (pipeline.name, pipeline.is_default, pipeline.stages.count()) == ("Тендеры", True, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Give the pipeline a name."),
        ({"blueprint": "nope"}, "Select a valid choice. nope is not one of the available choices."),
    ],
)
def test_a_bad_start_is_a_clear_400_and_creates_nothing(client, admin, data, message):
    client.force_login(admin)
    response = client.post(reverse("administration:start"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Pipeline.objects.count() == 0


def test_only_admins_set_up_the_install(client):
    client.force_login(UserFactory(role="manager"))
    assert client.get(reverse("administration:start")).status_code == 403
    assert client.post(reverse("administration:start"), {"blueprint": "b2b"}).status_code == 403
    assert Pipeline.objects.count() == 0


def test_a_manager_on_an_empty_install_is_told_what_is_pending(client):
    client.force_login(UserFactory(role="manager"))
    home = client.get("/")
    assert home.status_code == 200
    assert "Your administrator has not set up a sales pipeline yet." in home.content.decode()
    board = client.get(reverse("pipeline:board_default"))
    assert "An administrator creates one in Settings." in board.content.decode()


def test_the_empty_board_sends_an_admin_to_getting_started(client, admin):
    client.force_login(admin)
    board = client.get(reverse("pipeline:board_default"))
    assert reverse("administration:start") in board.content.decode()


# Page routes without arguments, as the access matrix walks them (its API operations come from
# the OpenAPI schema and are checked there).
ROUTES = sorted(
    route.name
    for route in web_routes()
    if not route.parameters
    # The admin site and the language switch are not Voronka's pages.
    and not route.name.startswith("admin:")
    and route.name != "set_language"
)


@pytest.mark.parametrize("role", ["admin", "manager", "viewer"])
def test_no_page_of_an_empty_install_breaks(client, role):
    user = UserFactory(role=role, is_staff=role == "admin", is_superuser=role == "admin")
    client.force_login(user)
    broken = {}
    for name in ROUTES:
        status = client.get(reverse(name)).status_code
        if status >= 500:
            broken[name] = status
    assert broken == {}
