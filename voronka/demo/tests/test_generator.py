"""The demo data has the structure analytics will be judged on, and is deterministic."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncWeek

from voronka.crm.models import Contact
from voronka.demo.generator import DemoConfig, generate_demo_data
from voronka.demo.vocabulary import FEMALE_FIRST_NAMES
from voronka.pipeline.models import Deal, DealStatus, StageChange, StageVisit

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
END = date(2026, 11, 20)


class _Rollback(Exception):
    pass


def fingerprint():
    return (
        list(Deal.objects.values_list("status").annotate(n=Count("id")).order_by("status")),
        list(
            Deal.objects.order_by("created_at", "title").values_list("title", "amount", "status")[
                :50
            ]
        ),
        StageChange.objects.count(),
        StageVisit.objects.count(),
    )


def test_same_seed_and_end_date_give_the_same_data():
    prints = []
    for _ in range(2):
        try:
            with transaction.atomic():
                generate_demo_data(DemoConfig(deals=400, seed=7, end=END, activities=False))
                prints.append(fingerprint())
                raise _Rollback
        except _Rollback:
            pass
    assert prints[0] == prints[1]
    assert sum(n for _status, n in prints[0][0]) == 400


def test_demo_data_has_the_structure_analytics_needs():
    """One generation (it takes seconds), several properties of it."""
    generate_demo_data(DemoConfig(deals=2500, seed=42, end=END))
    check_conversion_is_lower_in_high_inflow_weeks_than_in_low_inflow_weeks()
    check_managers_differ_by_skill_and_returning_customers_convert_better()
    check_history_is_consistent_with_the_deals()
    check_contact_surnames_agree_with_first_names()
    check_the_command_refuses_a_database_that_has_deals_unless_asked_to_skip()


def check_contact_surnames_agree_with_first_names():
    """«Вера Алексеева», «Кирилл Алексеев»: a woman's surname takes the feminine ending."""
    names = set(Contact.objects.values_list("first_name", "last_name"))
    women = {(first, last) for first, last in names if first in FEMALE_FIRST_NAMES}
    men = names - women
    assert women and men
    assert all(last.endswith("а") for _first, last in women)
    assert not any(last.endswith("а") for _first, last in men)


def won_rate(deals):
    closed = deals.exclude(status=DealStatus.OPEN)
    return closed.filter(status=DealStatus.WON).count() / closed.count()


def check_conversion_is_lower_in_high_inflow_weeks_than_in_low_inflow_weeks():
    weeks = list(
        Deal.objects.annotate(week=TruncWeek("first_contact_at"))
        .values("week")
        .annotate(
            n=Count("id"),
            won=Count("id", filter=Q(status="won")),
            open=Count("id", filter=Q(status="open")),
        )
        .order_by("n")
    )
    weeks = [week for week in weeks if week["open"] == 0]
    quarter = len(weeks) // 4
    low, high = weeks[:quarter], weeks[-quarter:]
    low_rate = sum(w["won"] for w in low) / sum(w["n"] for w in low)
    high_rate = sum(w["won"] for w in high) / sum(w["n"] for w in high)
    assert max(w["n"] for w in high) >= 1.5 * min(w["n"] for w in high)
    assert high_rate < 0.85 * low_rate


def check_managers_differ_by_skill_and_returning_customers_convert_better():
    star = won_rate(Deal.objects.filter(owner__username="kuznetsova"))
    newcomer = won_rate(Deal.objects.filter(owner__username="novikova"))
    assert star > 1.5 * newcomer
    assert won_rate(Deal.objects.filter(is_returning_customer=True)) > won_rate(
        Deal.objects.filter(is_returning_customer=False)
    )


def check_history_is_consistent_with_the_deals():
    deals = Deal.objects.count()
    assert deals == 2500
    statuses = dict(Deal.objects.values_list("status").annotate(n=Count("id")))
    assert statuses["open"] > 50 and statuses["won"] > 300 and statuses["lost"] > 1000
    # One creation row per deal; one open visit per open deal and none for closed deals.
    assert StageChange.objects.filter(kind="created").count() == deals
    assert StageVisit.objects.filter(left_at__isnull=True).count() == statuses["open"]
    assert not Deal.objects.filter(status="open").exclude(visits__left_at__isnull=True).exists()
    # Won deals passed every stage; deals skip stages and go back.
    last_orders = dict(
        Deal.objects.values_list("pipeline").annotate(top=Max("pipeline__stages__order"))
    )
    for pipeline_id, top in last_orders.items():
        assert (
            not Deal.objects.filter(pipeline_id=pipeline_id, status="won")
            .exclude(furthest_stage__order=top)
            .exists()
        )
    assert StageVisit.objects.filter(outcome="returned").count() > 30
    skipped = sum(
        1
        for from_order, to_order in StageChange.objects.filter(kind="moved").values_list(
            "from_stage__order", "to_stage__order"
        )
        if to_order - from_order >= 2
    )
    assert skipped > 30
    assert Deal.objects.filter(amount_change_count__gt=0).count() > 100


def check_the_command_refuses_a_database_that_has_deals_unless_asked_to_skip():
    with pytest.raises(CommandError):
        call_command("generate_demo_data", "--deals", "10")
    call_command("generate_demo_data", "--deals", "10", "--if-empty")
    assert Deal.objects.count() == 2500
