"""Admin pages for support work. Tokens are issued by their owners only (the raw token is never
stored), so the admin can list and revoke them; webhook deliveries are a read-only log."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from voronka.core import events
from voronka.core.control_characters import ControlCharacterGuard
from voronka.core.errors import DomainError

from . import services
from .models import ApiToken, WebhookDelivery, WebhookEndpoint


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset.select_related("user"):
            services.api_token_revoke(token=token, user=token.user)


class WebhookEndpointAdminForm(ControlCharacterGuard, forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, name) for name in events.ALL_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "secret", "events", "description", "is_active"]

    def clean(self):
        cleaned = super().clean()
        try:
            services.webhook_endpoint_validate(
                url=cleaned.get("url") or "",
                secret=cleaned.get("secret") or "",
                event_names=list(cleaned.get("events") or []),
            )
        except DomainError as error:
            raise forms.ValidationError({error.field: str(error.message)}) from error
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointAdminForm
    list_display = ["url", "events", "is_active", "created_by", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    fields = ["url", "secret", "events", "description", "is_active"]

    def save_model(self, request, obj, form, change):
        # The same rules as the settings page (admin only, known events, long secret).
        if not change:
            obj.created_by = request.user
        services.webhook_endpoint_save(
            url=obj.url,
            secret=obj.secret,
            event_names=list(obj.events or []),
            description=obj.description,
            is_active=obj.is_active,
            user=request.user,
            endpoint=obj,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "attempted_at",
        "event",
        "endpoint",
        "attempt",
        "status_code",
        "succeeded",
        "duration_ms",
    ]
    list_filter = ["succeeded", "event"]
    search_fields = ["delivery_id", "endpoint__url"]
    list_select_related = ["endpoint"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
