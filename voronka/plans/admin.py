from django.contrib import admin

from .models import Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Read-only: plans are written only through ``plans.services`` (the /plans/ pages), which
    check who may set which plan."""

    list_display = [
        "__str__",
        "period",
        "period_start",
        "dimension",
        "target_amount",
        "target_count",
    ]
    list_filter = ["period", "dimension"]
    raw_id_fields = ["user", "department", "product", "direction", "company"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
