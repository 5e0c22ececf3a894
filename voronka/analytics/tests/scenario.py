"""A small hand-made history shared by the analytics tests; expected figures are in the tests.

t0 = 2 March 2026 10:00 UTC; "now" for ages is 1 April 2026 10:00 UTC (t0 + 30 days).

    deal  owner  amount   history (days after t0)
    A     m1     100 000  s1 @0 → s2 @2 → s3 @4 → won @10
    B     m1     200 000  s1 @0 → s3 @5 (skips s2) → lost @8
    C     m2      50 000  created in s2 @1 (skips s1), open
    D     m2      80 000  s1 @0 → s2 @1 → back to s1 @3 → lost @4
    E     m1      30 000  s1 @10, open
    F     m1      10 000  previous period: s1 on 10 Feb → lost on 12 Feb
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tests.factories import LostReasonFactory, UserFactory, make_deal, make_pipeline
from voronka.analytics.filters import AnalyticsFilter
from voronka.pipeline.services import deal_lose, deal_move_stage, deal_win

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
PERIOD = (date(2026, 3, 1), date(2026, 3, 31))


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


@dataclass
class Scenario:
    pipeline: object
    stages: list
    m1: object
    m2: object
    head: object
    deals: dict

    def filter(self, **kwargs) -> AnalyticsFilter:
        return AnalyticsFilter(
            pipeline=self.pipeline, date_from=PERIOD[0], date_to=PERIOD[1], **kwargs
        )


def build_scenario() -> Scenario:
    pipeline = make_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    s1, s2, s3, s4, s5 = stages
    s1.expected_conversion, s1.rotting_days = 80, 7
    s1.save()
    s2.expected_conversion, s2.rotting_days = 50, 14
    s2.save()
    m1 = UserFactory(role="manager", username="m1", capacity=5)
    m2 = UserFactory(role="manager", username="m2", department=m1.department, capacity=5)
    head = UserFactory(role="head", username="head", department=m1.department)
    reason = LostReasonFactory()

    def deal(title, owner, amount, when, stage=None):
        return make_deal(
            title=title,
            owner=owner,
            pipeline=pipeline,
            stage=stage,
            amount=Decimal(amount),
            at=when,
        )

    a = deal("A", m1, 100000, at(0))
    deal_move_stage(deal=a, stage=s2, user=m1, at=at(2))
    deal_move_stage(deal=a, stage=s3, user=m1, at=at(4))
    deal_win(deal=a, user=m1, at=at(10))
    b = deal("B", m1, 200000, at(0))
    deal_move_stage(deal=b, stage=s3, user=m1, at=at(5))
    deal_lose(deal=b, user=m1, reason=reason, at=at(8))
    c = deal("C", m2, 50000, at(1), stage=s2)
    d = deal("D", m2, 80000, at(0))
    deal_move_stage(deal=d, stage=s2, user=m2, at=at(1))
    deal_move_stage(deal=d, stage=s1, user=m2, at=at(3))
    deal_lose(deal=d, user=m2, reason=reason, at=at(4))
    e = deal("E", m1, 30000, at(10))
    f = deal("F", m1, 10000, datetime(2026, 2, 10, 10, tzinfo=UTC))
    deal_lose(deal=f, user=m1, reason=reason, at=datetime(2026, 2, 12, 10, tzinfo=UTC))
    return Scenario(
        pipeline=pipeline,
        stages=stages,
        m1=m1,
        m2=m2,
        head=head,
        deals={"A": a, "B": b, "C": c, "D": d, "E": e, "F": f},
    )
