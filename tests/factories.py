"""factory-boy factories for every model; build deals through `make_deal` so history exists."""

from decimal import Decimal

import factory
from django.utils import timezone

from voronka.accounts.models import Department, Role, User
from voronka.catalog.models import Direction, Product
from voronka.crm.models import Company, Contact, LeadSource
from voronka.pipeline.models import LostReason, Pipeline, PlaybookStep, Stage


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Отдел {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"Имя{n}")
    last_name = "Тестов"
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    role = Role.MANAGER
    department = factory.SubFactory(DepartmentFactory)
    password = factory.PostGenerationMethodCall("set_password", "pass-Word-123")

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class LeadSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadSource
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Источник {n}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"ООО Компания {n}")
    owner = factory.SubFactory(UserFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = factory.Sequence(lambda n: f"Контакт{n}")
    last_name = "Петров"
    company = factory.SubFactory(CompanyFactory)
    owner = factory.SelfAttribute("company.owner")
    email = factory.Sequence(lambda n: f"contact{n}@client.example")


class DirectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Direction

    name = factory.Sequence(lambda n: f"Направление {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Продукт {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    direction = factory.SubFactory(DirectionFactory)
    price = Decimal("1000.00")


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"Воронка {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    name = factory.Sequence(lambda n: f"Этап {n}")
    order = factory.Sequence(lambda n: n + 1)
    probability = 10


class PlaybookStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaybookStep

    stage = factory.SubFactory(StageFactory)
    title = factory.Sequence(lambda n: f"Шаг {n}")


class LostReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LostReason
        django_get_or_create = ("name",)

    name = "Дорого"


def make_pipeline(
    names=(
        "Новый контакт",
        "Переговоры",
        "Выставление КП",
        "Согласование договора",
        "Совершение покупки",
    ),
    *,
    name: str = "Продажи",
    is_default: bool = True,
    probabilities=(10, 20, 40, 60, 90),
) -> Pipeline:
    """A pipeline with stages in the given order (orders 1..n)."""
    pipeline = PipelineFactory(name=name, is_default=is_default)
    for order, (stage_name, probability) in enumerate(zip(names, probabilities, strict=False), 1):
        StageFactory(pipeline=pipeline, name=stage_name, order=order, probability=probability)
    return pipeline


def make_deal(
    *, owner=None, pipeline=None, stage=None, amount=Decimal("100000"), at=None, **kwargs
):
    """Create a deal through the service so its history and stage visit exist."""
    from voronka.pipeline.services import deal_create

    owner = owner or UserFactory()
    if pipeline is None and stage is None:
        pipeline = Pipeline.objects.filter(is_default=True).first() or make_pipeline()
    return deal_create(
        title=kwargs.pop("title", "Поставка оборудования"),
        owner=owner,
        created_by=owner,
        pipeline=pipeline,
        stage=stage,
        amount=amount,
        at=at or timezone.now(),
        **kwargs,
    )
