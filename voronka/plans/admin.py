from django.contrib import admin

from .models import Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
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
