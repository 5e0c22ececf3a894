from django.contrib import admin

from voronka.core.admin_base import ReadOnlyAdmin

from .models import ChannelDaySummary, StageDaySummary, SummaryState

# Pre-aggregated analytics: derived from the deal history by the services, never edited by hand
# (rebuild with `manage.py rebuild_analytics_summary`).
admin.site.register(StageDaySummary, ReadOnlyAdmin)
admin.site.register(SummaryState, ReadOnlyAdmin)
admin.site.register(ChannelDaySummary, ReadOnlyAdmin)
