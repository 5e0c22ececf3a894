from django.contrib import admin

from .models import StageDaySummary, SummaryState


class ReadOnlyCacheAdmin(admin.ModelAdmin):
    """Pre-aggregated analytics: derived from the deal history by the services, never edited
    by hand (rebuild with `manage.py rebuild_analytics_summary`)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(StageDaySummary, ReadOnlyCacheAdmin)
admin.site.register(SummaryState, ReadOnlyCacheAdmin)
