"""An empty install (`DEMO_DEALS=0 make run`): the first admin is led to set it up, and no page
breaks or stays blank while there is no pipeline."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

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
        ({}, "Give the new pipeline a name, or pick a template."),
        ({"blueprint": "nope"}, "Unknown pipeline template."),
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


def _routes_without_arguments(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace
            inner = f"{prefix}{namespace}:" if namespace else prefix
            yield from _routes_without_arguments(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.regex.groups:
            yield f"{prefix}{pattern.name}"


ROUTES = sorted(
    {
        name
        for name in _routes_without_arguments()
        # The admin site, language switch and API docs are not Voronka's pages.
        if not name.startswith(("admin:", "api-1.0.0:")) and name != "set_language"
    }
)


@pytest.mark.parametrize("role", ["admin", "manager", "viewer"])
def test_no_page_of_an_empty_install_breaks(client, role):
    user = UserFactory(role=role, is_staff=role == "admin", is_superuser=role == "admin")
    client.force_login(user)
    broken = {}
    for name in ROUTES:
        try:
            url = reverse(name)
        except Exception:  # a route that needs arguments through its include
            continue
        status = client.get(url).status_code
        if status >= 500:
            broken[name] = status
    assert broken == {}
