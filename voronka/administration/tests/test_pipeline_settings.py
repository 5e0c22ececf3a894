"""Settings pages for pipelines, stages, playbooks and exit requirements."""

import pytest
from django.urls import reverse

from tests.factories import PlaybookStepFactory, UserFactory, make_deal, make_pipeline
from voronka.pipeline.models import (
    ExitRequirementKind,
    Pipeline,
    PlaybookStep,
    Stage,
    StageExitRequirement,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(admin_user)
    return client


def stage_names(pipeline):
    return list(pipeline.stages.order_by("order").values_list("name", flat=True))


SETTINGS_PAGES = [
    ("administration:pipelines", False),
    ("administration:pipeline", True),
    ("administration:lost_reasons", False),
    ("administration:lead_sources", False),
    ("administration:products", False),
    ("administration:users", False),
    ("administration:departments", False),
    ("administration:organisation", False),
]


@pytest.mark.parametrize("role", ["manager", "head", "viewer"])
@pytest.mark.parametrize(("url_name", "needs_pipeline"), SETTINGS_PAGES)
def test_settings_pages_are_for_admins_only(client, pipeline, role, url_name, needs_pipeline):
    client.force_login(UserFactory(role=role))
    args = [pipeline.pk] if needs_pipeline else []
    assert client.get(reverse(url_name, args=args)).status_code == 403


def test_settings_pages_send_anonymous_users_to_sign_in(client):
    response = client.get(reverse("administration:pipelines"))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize(("url_name", "needs_pipeline"), SETTINGS_PAGES)
def test_every_settings_page_opens_for_an_admin(admin_client, pipeline, url_name, needs_pipeline):
    args = [pipeline.pk] if needs_pipeline else []
    response = admin_client.get(reverse(url_name, args=args))
    assert response.status_code == 200
    assert b"settings-nav" in response.content


def test_manager_cannot_reorder_stages(client, pipeline, stages):
    client.force_login(UserFactory(role="manager"))
    response = client.post(
        reverse("administration:stages_reorder", args=[pipeline.pk]),
        {"stage": [s.pk for s in reversed(stages)]},
    )
    assert response.status_code == 403
    assert stage_names(pipeline)[0] == "Новый контакт"


def test_create_pipeline_from_blueprint_brings_stages_playbook_and_requirements(admin_client):
    response = admin_client.post(
        reverse("administration:pipelines"), {"name": "Опт", "blueprint": "aida"}
    )
    pipeline = Pipeline.objects.get(name="Опт")
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:pipeline", args=[pipeline.pk])
    assert stage_names(pipeline) == ["Осознание", "Интерес", "Решение", "Действие"]
    assert PlaybookStep.objects.filter(stage__pipeline=pipeline).count() == 6
    assert StageExitRequirement.objects.filter(stage__pipeline=pipeline).count() == 1
    # The first pipeline becomes the default one.
    assert pipeline.is_default


def test_create_empty_pipeline_and_make_it_default(admin_client, pipeline):
    admin_client.post(reverse("administration:pipelines"), {"name": "Тендеры", "is_default": "on"})
    new = Pipeline.objects.get(name="Тендеры")
    pipeline.refresh_from_db()
    assert new.is_default and not pipeline.is_default
    assert new.stages.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Give the pipeline a name."),
        ({"name": "продажи"}, "A pipeline with this name already exists."),
        ({"name": "X", "blueprint": "nope"}, "Select a valid choice."),
    ],
)
def test_create_pipeline_bad_input_is_400_with_message(admin_client, pipeline, data, message):
    response = admin_client.post(reverse("administration:pipelines"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Pipeline.objects.count() == 1


def test_rename_pipeline(admin_client, pipeline):
    url = reverse("administration:pipeline_rename", args=[pipeline.pk])
    assert admin_client.post(url, {"name": "Розница"}).status_code == 302
    pipeline.refresh_from_db()
    assert pipeline.name == "Розница"
    response = admin_client.post(url, {"name": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_set_default_moves_the_flag(admin_client, pipeline):
    other = make_pipeline(name="Вторая", is_default=False)
    admin_client.post(reverse("administration:pipeline_default", args=[other.pk]))
    assert list(Pipeline.objects.filter(is_default=True)) == [other]


def test_archive_refuses_the_default_pipeline(admin_client, pipeline):
    response = admin_client.post(reverse("administration:pipeline_archive", args=[pipeline.pk]))
    assert response.status_code == 400
    assert "The default pipeline cannot be archived" in response.content.decode()
    pipeline.refresh_from_db()
    assert pipeline.is_active


def test_archive_and_restore_another_pipeline(admin_client, pipeline):
    other = make_pipeline(name="Вторая", is_default=False)
    url = reverse("administration:pipeline_archive", args=[other.pk])
    admin_client.post(url)
    other.refresh_from_db()
    assert not other.is_active
    admin_client.post(url, {"restore": "1"})
    other.refresh_from_db()
    assert other.is_active


def test_reorder_saves_the_order_exactly(admin_client, pipeline, stages):
    new_order = [stages[2], stages[0], stages[4], stages[1], stages[3]]
    response = admin_client.post(
        reverse("administration:stages_reorder", args=[pipeline.pk]),
        {"stage": [s.pk for s in new_order]},
    )
    assert response.status_code == 200
    assert list(pipeline.stages.order_by("order").values_list("pk", "order")) == [
        (stage.pk, position) for position, stage in enumerate(new_order, start=1)
    ]


@pytest.mark.parametrize("bad", ["missing", "foreign", "garbage", "twice"])
def test_reorder_with_a_wrong_list_is_400_and_changes_nothing(admin_client, pipeline, stages, bad):
    other = make_pipeline(name="Чужая", is_default=False)
    ids = [s.pk for s in stages]
    payload = {
        "missing": ids[:-1],
        "foreign": [*ids[:-1], other.stages.first().pk],
        "garbage": [*ids[:-1], "abc"],
        "twice": [*ids, ids[0]],
    }[bad]
    response = admin_client.post(
        reverse("administration:stages_reorder", args=[pipeline.pk]), {"stage": payload}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Give every stage of the pipeline exactly once."
    assert list(pipeline.stages.order_by("order").values_list("pk", flat=True)) == ids


def test_add_stage_goes_to_the_end(admin_client, pipeline):
    response = admin_client.post(
        reverse("administration:stage_create", args=[pipeline.pk]),
        {
            "name": "Оплата",
            "probability": "95",
            "expected_conversion": "",
            "rotting_days": "5",
            "color": "#3aa76d",
        },
    )
    assert response.status_code == 302
    stage = pipeline.stages.get(name="Оплата")
    assert (stage.order, stage.probability, stage.rotting_days, stage.expected_conversion) == (
        6,
        95,
        5,
        None,
    )


def test_add_stage_with_probability_over_100_is_400(admin_client, pipeline):
    response = admin_client.post(
        reverse("administration:stage_create", args=[pipeline.pk]),
        {"name": "X", "probability": "120", "color": "#3aa76d"},
    )
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 100." in response.content.decode()
    assert pipeline.stages.count() == 5


def test_edit_stage(admin_client, stages):
    stage = stages[1]
    response = admin_client.post(
        reverse("administration:stage", args=[stage.pk]),
        {
            "name": "Переговоры с ЛПР",
            "probability": "25",
            "expected_conversion": "55",
            "rotting_days": "12",
            "color": "#112233",
        },
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.expected_conversion, stage.rotting_days) == (
        "Переговоры с ЛПР",
        25,
        55,
        12,
    )
    assert stage.color == "#112233"


def test_delete_stage_with_deals_is_refused_with_a_message(admin_client, pipeline, stages):
    make_deal(pipeline=pipeline)
    response = admin_client.post(reverse("administration:stage_delete", args=[stages[0].pk]))
    assert response.status_code == 400
    assert "This stage has deals or deal history, so it cannot be deleted." in (
        response.content.decode()
    )
    assert Stage.objects.filter(pk=stages[0].pk).exists()


def test_delete_unused_stage(admin_client, pipeline, stages):
    response = admin_client.post(reverse("administration:stage_delete", args=[stages[4].pk]))
    assert response.status_code == 302
    assert stage_names(pipeline) == [
        "Новый контакт",
        "Переговоры",
        "Выставление КП",
        "Согласование договора",
    ]


def test_playbook_steps_add_edit_reorder_delete(admin_client, stages):
    stage = stages[0]
    url = reverse("administration:step_create", args=[stage.pk])
    for title in ("Позвонить", "Отправить письмо", "Назначить встречу"):
        assert admin_client.post(url, {"title": title}).status_code == 302
    steps = list(stage.playbook_steps.order_by("order"))
    assert [(s.title, s.order) for s in steps] == [
        ("Позвонить", 1),
        ("Отправить письмо", 2),
        ("Назначить встречу", 3),
    ]
    admin_client.post(
        reverse("administration:step", args=[steps[1].pk]),
        {"title": "Отправить КП", "description": "PDF"},
    )
    response = admin_client.post(
        reverse("administration:steps_reorder", args=[stage.pk]),
        {"step": [steps[2].pk, steps[0].pk, steps[1].pk]},
    )
    assert response.status_code == 200
    admin_client.post(reverse("administration:step_delete", args=[steps[0].pk]))
    assert list(stage.playbook_steps.order_by("order").values_list("title", "description")) == [
        ("Назначить встречу", ""),
        ("Отправить КП", "PDF"),
    ]


def test_playbook_step_without_title_is_400(admin_client, stages):
    response = admin_client.post(
        reverse("administration:step_create", args=[stages[0].pk]), {"title": ""}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_steps_reorder_with_a_wrong_list_is_400(admin_client, stages):
    step = PlaybookStepFactory(stage=stages[0])
    response = admin_client.post(
        reverse("administration:steps_reorder", args=[stages[0].pk]), {"step": [step.pk, 999999]}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Give every step of the stage exactly once."


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"kind": "document", "document_kind": "contract", "field_name": "amount"},
            ("document", "contract", ""),
        ),
        (
            {"kind": "field", "field_name": "expected_close_date"},
            ("field", "", "expected_close_date"),
        ),
        ({"kind": "playbook", "document_kind": "invoice"}, ("playbook", "", "")),
    ],
)
def test_add_exit_requirement_keeps_only_its_parameter(admin_client, stages, data, expected):
    stage = stages[3]
    response = admin_client.post(
        reverse("administration:requirement_create", args=[stage.pk]), data
    )
    assert response.status_code == 302
    assert list(stage.exit_requirements.values_list("kind", "document_kind", "field_name")) == [
        expected
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "document"}, "Choose the document kind."),
        ({"kind": "field"}, "Choose the deal field."),
        ({"kind": "magic"}, "Select a valid choice."),
    ],
)
def test_exit_requirement_bad_input_is_400(admin_client, stages, data, message):
    response = admin_client.post(
        reverse("administration:requirement_create", args=[stages[0].pk]), data
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not StageExitRequirement.objects.exists()


def test_duplicate_exit_requirement_is_400(admin_client, stages):
    url = reverse("administration:requirement_create", args=[stages[0].pk])
    admin_client.post(url, {"kind": ExitRequirementKind.PLAYBOOK})
    response = admin_client.post(url, {"kind": ExitRequirementKind.PLAYBOOK})
    assert response.status_code == 400
    assert "The stage already has this requirement." in response.content.decode()


def test_remove_exit_requirement(admin_client, stages):
    requirement = StageExitRequirement.objects.create(stage=stages[0], kind="playbook")
    admin_client.post(reverse("administration:requirement_delete", args=[requirement.pk]))
    assert not StageExitRequirement.objects.exists()


def test_pipeline_pages_do_not_grow_queries_with_data(
    admin_client, pipeline, django_assert_max_num_queries
):
    for name in ("A", "B", "C"):
        make_pipeline(name=name, is_default=False)
    for _ in range(3):
        make_deal(pipeline=pipeline)
    with django_assert_max_num_queries(8):
        admin_client.get(reverse("administration:pipelines"))
    with django_assert_max_num_queries(8):
        admin_client.get(reverse("administration:pipeline", args=[pipeline.pk]))
    stage = pipeline.stages.first()
    PlaybookStepFactory.create_batch(4, stage=stage)
    with django_assert_max_num_queries(10):
        admin_client.get(reverse("administration:stage", args=[stage.pk]))


def test_a_stages_open_deal_count_is_not_multiplied_by_its_playbook_steps(admin_client):
    pipeline = make_pipeline()
    second = pipeline.stages.order_by("order")[1]
    for order in (1, 2, 3):
        PlaybookStepFactory(stage=second, order=order)
    for _ in range(2):
        make_deal(pipeline=pipeline, stage=second)
    html = admin_client.get(reverse("administration:pipeline", args=[pipeline.pk])).content.decode()
    row = html[html.index(f'data-testid="stage-{second.name}"') :]
    row = row[: row.index("</li>")]
    assert "2 deals" in row
    assert "3 steps" in row
    assert "rots after" in row or "never rots" in row
