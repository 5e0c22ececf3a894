"""core/hooks.py: analytics keeps its summary through hooks the pipeline calls, inside the
deal services' transactions."""

import pytest

from tests.factories import UserFactory, make_deal, make_pipeline
from voronka.analytics.summary import keep_deal_cells, summary_add_new_deals
from voronka.core import hooks
from voronka.pipeline import services
from voronka.pipeline.models import Deal


def test_analytics_registers_its_summary_upkeep_once():
    assert hooks.deal_write.functions.count(keep_deal_cells) == 1
    assert hooks.deals_added.functions.count(summary_add_new_deals) == 1
    hooks.deal_write.register(keep_deal_cells)  # AppConfig.ready() may run twice
    assert hooks.deal_write.functions.count(keep_deal_cells) == 1


class Refused(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_failing_deal_write_hook_undoes_the_write_and_sees_before_and_after():
    pipeline = make_pipeline()
    deal = make_deal(owner=UserFactory(), pipeline=pipeline, title="Насосы")
    seen = []

    def refuse(before):
        seen.append(("before", before.title if before else None))

        def after(written):
            seen.append(("after", written.title))
            raise Refused

        return after

    hooks.deal_write.register(refuse)
    try:
        with pytest.raises(Refused):
            services.deal_update(deal=deal, user=None, title="Клапаны")
    finally:
        hooks.deal_write.unregister(refuse)
    assert seen == [("before", "Насосы"), ("after", "Клапаны")]
    assert Deal.objects.get(pk=deal.pk).title == "Насосы"
