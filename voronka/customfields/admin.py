from django.contrib import admin

from .models import CustomFieldDefinition


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(admin.ModelAdmin):
    """Read-only: definitions are set up on Settings → Custom fields, through the services that
    keep stored values consistent with each field's kind."""

    list_display = ("label", "entity", "kind", "is_active")
    list_filter = ("entity", "kind", "is_active")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
