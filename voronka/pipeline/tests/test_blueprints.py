"""The seed pipelines install with their stages, probabilities, playbooks and exit rules."""

import pytest
from django.core.management import call_command

from voronka.pipeline.models import LostReason, Pipeline

pytestmark = pytest.mark.django_db


def test_install_pipeline_templates_creates_the_seed_funnels_once():
    call_command("install_pipeline_templates")
    call_command("install_pipeline_templates")

    b2b = Pipeline.objects.get(is_default=True)
    assert list(b2b.stages.values_list("name", "expected_conversion", "probability")) == [
        ("Новый контакт", 80, 15),
        ("Переговоры", 50, 19),
        ("Выставление КП", 60, 38),
        ("Согласование договора", 70, 63),
        ("Совершение покупки", 90, 90),
    ]
    aida = Pipeline.objects.get(is_default=False)
    assert list(aida.stages.values_list("name", flat=True)) == [
        "Осознание",
        "Интерес",
        "Решение",
        "Действие",
    ]
    contract = b2b.stages.get(name="Согласование договора")
    assert [str(r) for r in contract.exit_requirements.all()] == ["Attach: Contract"]
    assert contract.playbook_steps.count() == 3
    assert LostReason.objects.count() == 6
    assert Pipeline.objects.count() == 2


def test_manual_win_probability_is_the_product_of_expected_conversions_onward():
    call_command("install_pipeline_templates")
    stages = list(Pipeline.objects.get(is_default=True).stages.order_by("order"))
    for index, stage in enumerate(stages):
        product = 1.0
        for later in stages[index:]:
            product *= later.expected_conversion / 100
        assert stage.probability == round(product * 100)
