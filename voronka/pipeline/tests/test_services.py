"""The deal rules that must never be bypassed, one test per rule."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import (
    LostReasonFactory,
    PlaybookStepFactory,
    ProductFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.core.errors import (
    DealClosed,
    HistoryIsAppendOnly,
    InvalidAmount,
    InvalidOwner,
    LostReasonRequired,
    StageExitRequirementMissing,
    StageNotInPipeline,
    StaleVersion,
)
from voronka.documents.models import Document
from voronka.pipeline import services
from voronka.pipeline.models import (
    AmountChange,
    Deal,
    DocumentKind,
    OwnerChange,
    Stage,
    StageChange,
    StageExitRequirement,
    StageVisit,
)

T0 = timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0))

pytestmark = pytest.mark.django_db


def test_deal_create_records_first_contact_initial_stage_and_open_visit(stages, manager):
    deal = make_deal(owner=manager, amount=Decimal("250000"), at=T0)

    assert deal.stage == stages[0]
    assert deal.furthest_stage == stages[0]
    assert deal.first_contact_at == T0
    assert deal.created_at == T0
    assert deal.initial_amount == Decimal("250000.00")
    assert deal.version == 1
    change = StageChange.objects.get(deal=deal)
    assert (change.kind, change.from_stage, change.to_stage, change.amount, change.changed_at) == (
        "created",
        None,
        stages[0],
        Decimal("250000.00"),
        T0,
    )
    visit = StageVisit.objects.get(deal=deal)
    assert (visit.stage, visit.owner, visit.entered_at, visit.left_at, visit.outcome) == (
        stages[0],
        manager,
        T0,
        None,
        "",
    )


def test_deal_create_refuses_a_stage_of_another_pipeline(pipeline, manager):
    other = make_pipeline(("A", "B"), name="Другая", is_default=False)
    with pytest.raises(StageNotInPipeline):
        make_deal(owner=manager, pipeline=pipeline, stage=other.stages.first())
    assert Deal.objects.count() == 0


def test_deal_create_refuses_a_viewer_as_owner_and_a_negative_amount(pipeline):
    with pytest.raises(InvalidOwner):
        make_deal(owner=UserFactory(role="viewer"))
    with pytest.raises(InvalidAmount):
        make_deal(owner=UserFactory(), amount=Decimal("-1"))
    assert Deal.objects.count() == 0


def test_deal_create_marks_a_returning_customer_from_earlier_won_deals(stages, manager):
    first = make_deal(owner=manager, at=T0)
    services.deal_win(deal=first, user=manager, at=T0 + timedelta(days=10))
    company_deal = make_deal(owner=manager, at=T0, title="Без компании")
    assert company_deal.is_returning_customer is False
    from tests.factories import CompanyFactory

    company = CompanyFactory(owner=manager)
    won = make_deal(owner=manager, company=company, at=T0)
    services.deal_win(deal=won, user=manager, at=T0 + timedelta(days=3))
    repeat = make_deal(owner=manager, company=company, at=T0 + timedelta(days=20))
    before_win = make_deal(owner=manager, company=company, at=T0 + timedelta(days=1))
    assert repeat.is_returning_customer is True
    assert before_win.is_returning_customer is False


def test_move_forward_writes_history_with_amount_visit_and_furthest_stage(stages, manager):
    deal = make_deal(owner=manager, amount=Decimal("1000"), at=T0)
    services.deal_move_stage(deal=deal, stage=stages[2], user=manager, at=T0 + timedelta(days=2))

    deal.refresh_from_db()
    assert deal.stage == stages[2]
    assert deal.furthest_stage == stages[2]
    assert deal.stage_entered_at == T0 + timedelta(days=2)
    assert deal.version == 2
    moved = StageChange.objects.get(deal=deal, kind="moved")
    assert (moved.from_stage, moved.to_stage, moved.amount, moved.changed_by) == (
        stages[0],
        stages[2],
        Decimal("1000.00"),
        manager,
    )
    visits = list(StageVisit.objects.filter(deal=deal).values_list("stage", "outcome", "left_at"))
    assert visits == [
        (stages[0].pk, "advanced", T0 + timedelta(days=2)),
        (stages[2].pk, "", None),
    ]


def test_move_back_keeps_the_furthest_stage_and_marks_the_visit_returned(stages, manager):
    deal = make_deal(owner=manager, at=T0)
    services.deal_move_stage(deal=deal, stage=stages[3], user=manager, at=T0 + timedelta(days=1))
    services.deal_move_stage(deal=deal, stage=stages[1], user=manager, at=T0 + timedelta(days=2))

    deal.refresh_from_db()
    assert (deal.stage, deal.furthest_stage) == (stages[1], stages[3])
    assert list(StageVisit.objects.filter(deal=deal).values_list("outcome", flat=True)) == [
        "advanced",
        "returned",
        "",
    ]


def test_move_to_another_pipelines_stage_is_refused_and_writes_nothing(stages, manager):
    deal = make_deal(owner=manager)
    other = make_pipeline(("A", "B"), name="Другая", is_default=False)
    with pytest.raises(StageNotInPipeline):
        services.deal_move_stage(deal=deal, stage=other.stages.last(), user=manager)
    assert StageChange.objects.filter(deal=deal).count() == 1
    assert Deal.objects.get(pk=deal.pk).stage == stages[0]


def test_leaving_a_stage_forward_needs_its_exit_documents_but_moving_back_does_not(stages, manager):
    StageExitRequirement.objects.create(
        stage=stages[1], kind="document", document_kind=DocumentKind.PROPOSAL
    )
    deal = make_deal(owner=manager, stage=stages[1])
    with pytest.raises(StageExitRequirementMissing) as refused:
        services.deal_move_stage(deal=deal, stage=stages[2], user=manager)
    assert "Commercial proposal" in str(refused.value.message)
    assert StageChange.objects.filter(deal=deal).count() == 1

    services.deal_move_stage(deal=deal, stage=stages[0], user=manager)  # back: allowed
    services.deal_move_stage(deal=deal, stage=stages[1], user=manager)
    Document.objects.create(
        deal=deal,
        kind=DocumentKind.PROPOSAL,
        file="x.pdf",
        original_name="КП.pdf",
        content_type="application/pdf",
        size=10,
        stage=stages[1],
        uploaded_by=manager,
    )
    services.deal_move_stage(deal=deal, stage=stages[2], user=manager)
    assert Deal.objects.get(pk=deal.pk).stage == stages[2]


def test_playbook_and_field_exit_requirements(stages, manager):
    step = PlaybookStepFactory(stage=stages[0])
    StageExitRequirement.objects.create(stage=stages[0], kind="playbook")
    StageExitRequirement.objects.create(
        stage=stages[0], kind="field", field_name="expected_close_date"
    )
    deal = make_deal(owner=manager)
    assert [r.kind for r in services.unmet_exit_requirements(deal)] == ["playbook", "field"]

    services.playbook_step_complete(deal=deal, step=step, user=manager)
    services.deal_update(deal=deal, user=manager, expected_close_date=T0.date())
    assert services.unmet_exit_requirements(deal) == []
    services.deal_move_stage(deal=deal, stage=stages[1], user=manager)


def test_winning_checks_exit_requirements_and_counts_every_stage_as_passed(stages, manager):
    deal = make_deal(owner=manager, stage=stages[1], at=T0)
    services.deal_win(deal=deal, user=manager, at=T0 + timedelta(days=5))

    deal.refresh_from_db()
    assert (deal.status, deal.closed_at, deal.furthest_stage) == (
        "won",
        T0 + timedelta(days=5),
        stages[-1],
    )
    assert StageChange.objects.filter(deal=deal).last().kind == "won"
    assert StageVisit.objects.get(deal=deal).outcome == "won"
    with pytest.raises(DealClosed):
        services.deal_move_stage(deal=deal, stage=stages[2], user=manager)


def test_losing_needs_a_reason(stages, manager):
    deal = make_deal(owner=manager)
    with pytest.raises(LostReasonRequired):
        services.deal_lose(deal=deal, user=manager, reason=None)
    assert Deal.objects.get(pk=deal.pk).status == "open"

    reason = LostReasonFactory(name="Дорого")
    services.deal_lose(deal=deal, user=manager, reason=reason, comment="Бюджет урезали")
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_comment) == ("lost", reason, "Бюджет урезали")
    assert StageVisit.objects.get(deal=deal).outcome == "lost"


def test_reopen_starts_a_new_visit_in_the_same_stage(stages, manager):
    deal = make_deal(owner=manager, stage=stages[2])
    services.deal_lose(deal=deal, user=manager, reason=LostReasonFactory())
    services.deal_reopen(deal=deal, user=manager)
    deal.refresh_from_db()
    assert (deal.status, deal.closed_at, deal.lost_reason) == ("open", None, None)
    assert list(StageVisit.objects.filter(deal=deal).values_list("outcome", flat=True)) == [
        "lost",
        "",
    ]
    assert list(StageChange.objects.filter(deal=deal).values_list("kind", flat=True)) == [
        "created",
        "lost",
        "reopened",
    ]


def test_amount_change_is_recorded_with_the_current_stage(stages, manager):
    deal = make_deal(owner=manager, amount=Decimal("100"))
    services.deal_move_stage(deal=deal, stage=stages[2], user=manager)
    services.deal_change_amount(deal=deal, amount=Decimal("80.50"), user=manager)
    services.deal_change_amount(deal=deal, amount=Decimal("80.50"), user=manager)  # no change

    change = AmountChange.objects.get(deal=deal)
    assert (change.stage, change.old_amount, change.new_amount) == (
        stages[2],
        Decimal("100.00"),
        Decimal("80.50"),
    )
    deal.refresh_from_db()
    assert (deal.amount, deal.initial_amount, deal.amount_change_count) == (
        Decimal("80.50"),
        Decimal("100.00"),
        1,
    )
    with pytest.raises(InvalidAmount):
        services.deal_change_amount(deal=deal, amount=Decimal("-5"), user=manager)


def test_line_items_recompute_the_amount_through_amount_history(stages, manager):
    deal = make_deal(owner=manager, amount=Decimal("0"))
    product = ProductFactory(price=Decimal("1500"))
    item = services.line_item_add(
        deal=deal, product=product, quantity=Decimal("3"), unit_price=None, user=manager
    )
    services.line_item_update(
        item=item, quantity=Decimal("2"), unit_price=Decimal("1000"), user=manager
    )
    services.line_item_add(
        deal=deal, product=product, quantity=Decimal("1"), unit_price=Decimal("500"), user=manager
    )
    services.line_item_remove(item=item, user=manager)

    assert Deal.objects.get(pk=deal.pk).amount == Decimal("500.00")
    assert list(AmountChange.objects.filter(deal=deal).values_list("new_amount", flat=True)) == [
        Decimal("4500.00"),
        Decimal("2000.00"),
        Decimal("2500.00"),
        Decimal("500.00"),
    ]


def test_a_line_item_total_too_large_for_the_amount_column_is_refused_whole(stages, manager):
    deal = make_deal(owner=manager, amount=Decimal("100"))
    product = ProductFactory(price=Decimal("1500"))
    with pytest.raises(services.AmountTooLarge):
        services.line_item_add(
            deal=deal,
            product=product,
            quantity=Decimal("9999999999"),
            unit_price=Decimal("999999"),
            user=manager,
        )
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("100.00")
    assert not deal.line_items.exists()
    assert not AmountChange.objects.filter(deal=deal).exists()


def test_reassign_records_the_change_and_hands_over_the_open_visit(stages, manager):
    other = UserFactory(department=manager.department)
    head = UserFactory(role="head", department=manager.department)
    deal = make_deal(owner=manager)
    services.deal_reassign(deal=deal, new_owner=other, user=head)

    change = OwnerChange.objects.get(deal=deal)
    assert (change.old_owner, change.new_owner, change.changed_by, change.stage) == (
        manager,
        other,
        head,
        stages[0],
    )
    assert StageVisit.objects.get(deal=deal).owner == other
    with pytest.raises(InvalidOwner):
        services.deal_reassign(deal=deal, new_owner=UserFactory(role="viewer"), user=head)


def test_a_stale_version_is_refused_and_nothing_is_overwritten(stages, manager):
    deal = make_deal(owner=manager, amount=Decimal("100"))
    first_tab = Deal.objects.get(pk=deal.pk)
    second_tab = Deal.objects.get(pk=deal.pk)
    services.deal_change_amount(deal=first_tab, amount=Decimal("200"), user=manager)

    with pytest.raises(StaleVersion):
        services.deal_change_amount(deal=second_tab, amount=Decimal("300"), user=manager)
    with pytest.raises(StaleVersion):
        services.deal_move_stage(
            deal=Deal.objects.get(pk=deal.pk), stage=stages[1], user=manager, expected_version=1
        )
    deal.refresh_from_db()
    assert (deal.amount, deal.stage, deal.version) == (Decimal("200.00"), stages[0], 2)
    assert AmountChange.objects.filter(deal=deal).count() == 1
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_history_rows_cannot_be_updated_or_deleted(stages, manager):
    deal = make_deal(owner=manager)
    services.deal_change_amount(deal=deal, amount=Decimal("5"), user=manager)
    change = StageChange.objects.get(deal=deal)
    change.amount = Decimal("1")
    with pytest.raises(HistoryIsAppendOnly):
        change.save()
    with pytest.raises(HistoryIsAppendOnly):
        change.delete()
    with pytest.raises(HistoryIsAppendOnly):
        StageChange.objects.filter(deal=deal).update(amount=0)
    with pytest.raises(HistoryIsAppendOnly):
        AmountChange.objects.all().delete()
    assert StageChange.objects.get(deal=deal).amount == Decimal("100000.00")


def test_database_constraints_hold_even_around_the_services(stages, manager):
    deal = make_deal(owner=manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(amount=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Stage.objects.create(pipeline=stages[0].pipeline, name="Дубль", order=stages[0].order)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(status="lost", closed_at=T0)  # no reason


def test_stages_reorder_keeps_orders_unique(pipeline, stages):
    new_order = [stages[1].pk, stages[0].pk, *[stage.pk for stage in stages[2:]]]
    services.stages_reorder(pipeline=pipeline, stage_ids=new_order)
    assert list(pipeline.stages.order_by("order").values_list("pk", flat=True)) == new_order
    assert list(pipeline.stages.order_by("order").values_list("order", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
