from django.contrib import admin

from .models import Feedback


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["deal", "score", "requested_at", "submitted_at"]
    raw_id_fields = ["deal"]
    readonly_fields = ["token"]
