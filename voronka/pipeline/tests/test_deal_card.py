"""The deal card page: who may see it, what it shows, and that its query count does not grow."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DepartmentFactory,
    PlaybookStepFactory,
    ProductFactory,
    UserFactory,
    make_deal,
)
from voronka.activities.services import activity_log
from voronka.documents.services import document_attach
from voronka.pipeline import services
from voronka.pipeline.models import ExitRequirementKind, StageExitRequirement

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(client):
    """Assert the English source messages whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def deal(manager, pipeline):
    return make_deal(owner=manager, pipeline=pipeline, title="Поставка станков")


def test_owner_sees_the_card_with_stage_bar_and_links(client, manager, deal):
    client.force_login(manager)
    response = client.get(f"/deals/{deal.pk}/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Поставка станков" in html
    assert html.count('class="stage-step') == 5
    assert f'href="/emails/deal/{deal.pk}/compose/"' in html
    assert f'href="/feedback/deal/{deal.pk}/request/"' in html


def test_another_managers_deal_is_404(client, deal):
    stranger = UserFactory(role="manager")
    client.force_login(stranger)
    assert client.get(f"/deals/{deal.pk}/", **HTMX).status_code == 404
    assert client.post(f"/deals/{deal.pk}/win/", {"version": deal.version}).status_code == 404


def test_head_sees_department_deals_only(client, manager, deal):
    head = UserFactory(role="head", department=manager.department)
    other_head = UserFactory(role="head", department=DepartmentFactory())
    client.force_login(head)
    assert client.get(f"/deals/{deal.pk}/", **HTMX).status_code == 200
    client.force_login(other_head)
    assert client.get(f"/deals/{deal.pk}/", **HTMX).status_code == 404


def test_viewer_reads_without_edit_controls(client, deal):
    viewer = UserFactory(role="viewer", department=None)
    client.force_login(viewer)
    html = client.get(f"/deals/{deal.pk}/", **HTMX).content.decode()
    assert "Поставка станков" in html
    assert 'data-testid="deal-win"' not in html
    assert 'data-testid="composer-save"' not in html
    assert "pencil" not in html
    assert 'data-testid="email-compose"' not in html
    assert 'data-testid="document-upload"' not in html


def test_anonymous_is_sent_to_login(client, deal):
    response = client.get(f"/deals/{deal.pk}/")
    assert response.status_code == 302


def test_manual_probability_is_marked_manual(client, manager, deal):
    client.force_login(manager)
    html = client.get(f"/deals/{deal.pk}/", **HTMX).content.decode()
    assert '10&nbsp;% <span class="tag-manual">' in html


def test_estimated_probability_shows_with_its_note(client, manager, deal):
    type(deal).objects.filter(pk=deal.pk).update(
        win_probability=0.347, win_probability_note="Like 120 past deals at this stage"
    )
    client.force_login(manager)
    html = client.get(f"/deals/{deal.pk}/", **HTMX).content.decode()
    assert 'data-testid="win-probability">35&nbsp;%<' in html
    assert "Like 120 past deals at this stage" in html


def test_rotting_deal_is_marked(client, manager, stages):
    stages[0].rotting_days = 3
    stages[0].save()
    deal = make_deal(owner=manager, at=timezone.now() - timedelta(days=5))
    client.force_login(manager)
    html = client.get(f"/deals/{deal.pk}/", **HTMX).content.decode()
    assert 'class="badge rotting"' in html


def test_exit_requirements_show_met_and_unmet(client, manager, deal, stages):
    StageExitRequirement.objects.create(
        stage=stages[0], kind=ExitRequirementKind.FIELD, field_name="amount"
    )
    StageExitRequirement.objects.create(
        stage=stages[0], kind=ExitRequirementKind.DOCUMENT, document_kind="contract"
    )
    client.force_login(manager)
    html = client.get(f"/deals/{deal.pk}/", **HTMX).content.decode()
    assert html.count('<li class="met">') == 1
    assert html.count('<li class="unmet">') == 1


def _fill_history(deal, stages, manager, rows):
    """`rows` of each kind: activities, amount changes, stage moves, owner changes, items, steps,
    documents."""
    colleague = UserFactory(role="manager", department=manager.department)
    start = timezone.now() - timedelta(days=60)
    for index in range(rows):
        activity_log(kind="call", subject=f"Звонок {index}", owner=manager, deal=deal, at=start)
        activity_log(
            kind="task",
            subject=f"Задача {index}",
            owner=manager,
            deal=deal,
            due_at=timezone.now() + timedelta(days=1),
        )
        services.deal_change_amount(deal=deal, amount=Decimal(1000 + index), user=manager, at=start)
        services.deal_move_stage(deal=deal, stage=stages[(index + 1) % 2], user=manager, at=start)
        services.deal_reassign(
            deal=deal, new_owner=colleague if index % 2 == 0 else manager, user=manager, at=start
        )
        step = PlaybookStepFactory(stage=deal.stage)
        services.playbook_step_complete(deal=deal, step=step, user=manager)
        services.line_item_add(
            deal=deal, product=ProductFactory(), quantity=Decimal(1), unit_price=None, user=manager
        )
        deal.contacts.add(ContactFactory(company=deal.company, owner=manager))
        document_attach(
            deal=deal,
            kind="other",
            upload=SimpleUploadedFile(f"file{index}.pdf", b"%PDF"),
            user=manager,
        )
    if deal.owner_id != manager.pk:
        services.deal_reassign(deal=deal, new_owner=manager, user=manager)


def test_card_query_count_does_not_grow_with_history(
    client, django_assert_max_num_queries, manager, stages
):
    counts = {}
    client.force_login(manager)
    for rows in (1, 30):
        deal = make_deal(owner=manager, company=CompanyFactory(owner=manager))
        _fill_history(deal, stages, manager, rows)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/deals/{deal.pk}/", **HTMX)
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count('class="tl-item') >= 2 * rows
        assert html.count('class="doc-name"') == rows
        counts[rows] = len(queries)
    assert counts[1] == counts[30]
    with django_assert_max_num_queries(counts[1]):
        client.get(f"/deals/{deal.pk}/", **HTMX)
    assert counts[30] <= 22  # 19 when measured
