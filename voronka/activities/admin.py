from django.contrib import admin

from .models import Activity


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "deal", "owner", "due_at", "done_at", "created_at"]
    list_filter = ["kind"]
    search_fields = ["subject", "body"]
    raw_id_fields = ["deal", "contact", "company", "owner", "stage"]
    list_select_related = ["deal", "owner"]
    date_hierarchy = "created_at"
