"""The Django admin is usable for support work and writes deals through the services."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import make_deal
from voronka.pipeline.models import AmountChange, Deal, StageChange

pytestmark = pytest.mark.django_db


def test_every_model_of_ours_is_in_the_admin_and_its_pages_open(client, admin_user, stages):
    make_deal(owner=admin_user)
    client.force_login(admin_user)
    ours = [m for m in apps.get_models() if m.__module__.startswith("voronka.")]
    missing = [m.__name__ for m in ours if m not in admin.site._registry]
    assert missing == []
    for model in ours:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_changing_stage_and_amount_in_the_admin_goes_through_the_services(
    client, admin_user, stages
):
    deal = make_deal(owner=admin_user, amount=Decimal("100"))
    client.force_login(admin_user)
    url = reverse("admin:pipeline_deal_change", args=[deal.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "stage": stages[1].pk,
            "amount": "250.00",
            "contacts": [],
            "line_items-TOTAL_FORMS": 0,
            "line_items-INITIAL_FORMS": 0,
            "stage_changes-TOTAL_FORMS": 1,
            "stage_changes-INITIAL_FORMS": 1,
            "stage_changes-0-id": StageChange.objects.get(deal=deal).pk,
            "stage_changes-0-deal": deal.pk,
        }
    )
    data["first_contact_at_0"], data["first_contact_at_1"] = (
        deal.first_contact_at.strftime("%Y-%m-%d"),
        deal.first_contact_at.strftime("%H:%M:%S"),
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    deal = Deal.objects.get(pk=deal.pk)
    assert (deal.stage, deal.amount) == (stages[1], Decimal("250.00"))
    assert StageChange.objects.filter(deal=deal, kind="moved", to_stage=stages[1]).count() == 1
    assert AmountChange.objects.get(deal=deal).new_amount == Decimal("250.00")


def test_history_cannot_be_changed_in_the_admin(client, admin_user, stages):
    deal = make_deal(owner=admin_user)
    client.force_login(admin_user)
    change = StageChange.objects.get(deal=deal)
    response = client.post(reverse("admin:pipeline_stagechange_change", args=[change.pk]), {})
    assert response.status_code == 403
    assert client.get(reverse("admin:pipeline_deal_delete", args=[deal.pk])).status_code == 403
