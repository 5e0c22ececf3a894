from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "voronka.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from .tasks import subscribe_to_deal_events

        subscribe_to_deal_events()
