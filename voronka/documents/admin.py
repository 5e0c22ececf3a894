from django.contrib import admin

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "deal", "stage", "uploaded_by", "uploaded_at", "size"]
    list_filter = ["kind"]
    search_fields = ["original_name", "deal__title"]
    raw_id_fields = ["deal", "stage", "uploaded_by"]
    readonly_fields = ["size", "content_type", "stage", "uploaded_at"]
