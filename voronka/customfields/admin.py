from django.contrib import admin

from voronka.core.admin_base import ReadOnlyAdmin

from .models import CustomFieldDefinition


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(ReadOnlyAdmin):
    """Definitions are set up on Settings → Custom fields, through the services that keep stored
    values consistent with each field's kind."""

    list_display = ("label", "entity", "kind", "is_active")
    list_filter = ("entity", "kind", "is_active")
