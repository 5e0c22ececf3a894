from django.contrib import admin

from .models import ImportJob, ImportMapping


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are created and run by the import wizard and the import_data command."""

    list_display = ["file_name", "kind", "status", "row_count", "created_count", "failed_count",
                    "created_by", "created_at"]  # fmt: skip
    list_filter = ["kind", "status"]
    search_fields = ["file_name"]
    list_select_related = ["created_by"]
    exclude = ["content"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")  # uploads may be many MB

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    list_display = ["kind", "__str__", "updated_at"]
    list_filter = ["kind"]
