"""Pipeline templates from the seed documents, installable on any instance."""

from dataclasses import dataclass, field

from django.db import transaction

from .models import (
    DocumentKind,
    ExitRequirementKind,
    Pipeline,
    PlaybookStep,
    Stage,
    StageExitRequirement,
)


@dataclass(frozen=True)
class StageBlueprint:
    name: str
    probability: int
    expected_conversion: int | None
    rotting_days: int | None
    playbook: tuple[str, ...] = ()
    exit_documents: tuple[str, ...] = ()
    color: str = "#5b8def"


@dataclass(frozen=True)
class PipelineBlueprint:
    key: str
    name: str
    stages: tuple[StageBlueprint, ...] = field(default_factory=tuple)


# The seed: conversion «знакомство → переговоры» 80 %, «переговоры → КП» 50 %, and so on. The
# manual win probability of a stage is the product of the expected conversions from it onward.
B2B_SALES = PipelineBlueprint(
    key="b2b",
    name="Продажи B2B",
    stages=(
        StageBlueprint(
            "Новый контакт",
            15,
            80,
            3,
            ("Квалифицировать клиента: потребность, бюджет, ЛПР", "Назначить звонок или встречу"),
            color="#7aa7f7",
        ),
        StageBlueprint(
            "Переговоры",
            19,
            50,
            10,
            ("Провести встречу с ЛПР", "Зафиксировать требования и сроки", "Согласовать бюджет"),
            color="#5b8def",
        ),
        StageBlueprint(
            "Выставление КП",
            38,
            60,
            7,
            ("Подготовить коммерческое предложение", "Отправить КП и получить подтверждение"),
            exit_documents=(DocumentKind.PROPOSAL,),
            color="#f2a93b",
        ),
        StageBlueprint(
            "Согласование договора",
            63,
            70,
            14,
            ("Отправить проект договора", "Согласовать правки юристов", "Подписать договор"),
            exit_documents=(DocumentKind.CONTRACT,),
            color="#e0783a",
        ),
        StageBlueprint(
            "Совершение покупки",
            90,
            90,
            10,
            ("Выставить счёт", "Проконтролировать оплату", "Запросить отзыв клиента"),
            exit_documents=(DocumentKind.INVOICE,),
            color="#3aa76d",
        ),
    ),
)

AIDA = PipelineBlueprint(
    key="aida",
    name="Осознание → Действие",
    stages=(
        StageBlueprint(
            "Осознание", 10, 40, 7, ("Отправить материалы о продукте",), color="#7aa7f7"
        ),
        StageBlueprint("Интерес", 25, 50, 10, ("Провести демонстрацию",), color="#5b8def"),
        StageBlueprint(
            "Решение",
            50,
            70,
            14,
            ("Подготовить КП", "Ответить на возражения"),
            exit_documents=(DocumentKind.PROPOSAL,),
            color="#f2a93b",
        ),
        StageBlueprint(
            "Действие", 80, 90, 10, ("Выставить счёт", "Получить оплату"), color="#3aa76d"
        ),
    ),
)

BLUEPRINTS = {blueprint.key: blueprint for blueprint in (B2B_SALES, AIDA)}

# The usual reasons a B2B deal is lost, installed with the templates and by the demo data.
DEFAULT_LOST_REASONS = (
    "Дорого",
    "Выбрали конкурента",
    "Нет бюджета",
    "Не вышли на ЛПР",
    "Пропала потребность",
    "Не устроили сроки",
)


@transaction.atomic
def pipeline_create_from_blueprint(
    blueprint: PipelineBlueprint, *, name: str | None = None, is_default: bool = False
) -> Pipeline:
    """Create a pipeline with the blueprint's stages, playbooks and exit requirements."""
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline = Pipeline.objects.create(
        name=name or blueprint.name,
        is_default=is_default,
        order=Pipeline.objects.count(),
    )
    for order, stage_blueprint in enumerate(blueprint.stages, start=1):
        stage = Stage.objects.create(
            pipeline=pipeline,
            name=stage_blueprint.name,
            order=order,
            probability=stage_blueprint.probability,
            expected_conversion=stage_blueprint.expected_conversion,
            rotting_days=stage_blueprint.rotting_days,
            color=stage_blueprint.color,
        )
        PlaybookStep.objects.bulk_create(
            PlaybookStep(stage=stage, order=step_order, title=title)
            for step_order, title in enumerate(stage_blueprint.playbook, start=1)
        )
        StageExitRequirement.objects.bulk_create(
            StageExitRequirement(stage=stage, kind=ExitRequirementKind.DOCUMENT, document_kind=kind)
            for kind in stage_blueprint.exit_documents
        )
    return pipeline
