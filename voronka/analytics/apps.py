from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "voronka.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from voronka.core import hooks

        from .summary import (
            keep_deal_cells,
            summary_add_new_deals,
            summary_refresh_channels_for_companies,
            summary_refresh_channels_for_deals,
        )
        from .tasks import subscribe_to_deal_events

        subscribe_to_deal_events()
        # Inside the deal services' and the bulk writer's transactions (see core/hooks.py).
        hooks.deal_write.register(keep_deal_cells)
        hooks.deals_added.register(summary_add_new_deals)
        hooks.deals_changed.register(summary_refresh_channels_for_deals)
        hooks.customer_type_changed.register(summary_refresh_channels_for_companies)
