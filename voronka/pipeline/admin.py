"""Support staff use the admin, so deal writes here go through the same services as the pages."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from voronka.core.admin_base import ReadOnlyAdmin
from voronka.core.errors import DomainError

from . import services
from .models import (
    AmountChange,
    Deal,
    DealLineItem,
    LostReason,
    OwnerChange,
    Pipeline,
    PlaybookStep,
    PlaybookStepCompletion,
    Stage,
    StageChange,
    StageExitRequirement,
    StageVisit,
)


class StageInline(admin.TabularInline):
    model = Stage
    fields = ["order", "name", "probability", "expected_conversion", "rotting_days", "color"]
    extra = 0


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "is_default", "is_active"]
    inlines = [StageInline]


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 0


class ExitRequirementInline(admin.TabularInline):
    model = StageExitRequirement
    extra = 0


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "pipeline",
        "order",
        "probability",
        "expected_conversion",
        "rotting_days",
    ]
    list_filter = ["pipeline"]
    inlines = [PlaybookStepInline, ExitRequirementInline]


class ReadOnlyHistoryAdmin(ReadOnlyAdmin):
    """History is append-only: visible for support, never edited or deleted here."""


@admin.register(PlaybookStep)
class PlaybookStepAdmin(admin.ModelAdmin):
    list_display = ["title", "stage", "order"]
    list_filter = ["stage__pipeline"]


@admin.register(StageExitRequirement)
class StageExitRequirementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "stage", "kind"]
    list_filter = ["kind"]


@admin.register(PlaybookStepCompletion)
class PlaybookStepCompletionAdmin(admin.ModelAdmin):
    list_display = ["deal", "step", "done_by", "done_at"]
    raw_id_fields = ["deal", "step", "done_by"]


@admin.register(DealLineItem)
class DealLineItemAdmin(ReadOnlyHistoryAdmin):
    """Line items change the deal's amount, so they are edited on the deal card only."""

    list_display = ["deal", "product", "quantity", "unit_price"]
    list_select_related = ["deal", "product"]


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "is_active"]


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["deal", "kind", "from_stage", "to_stage", "amount", "changed_at", "changed_by"]
    list_filter = ["kind"]
    list_select_related = ["deal", "from_stage", "to_stage", "changed_by"]
    search_fields = ["deal__title"]
    date_hierarchy = "changed_at"


@admin.register(AmountChange)
class AmountChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["deal", "stage", "old_amount", "new_amount", "changed_at", "changed_by"]
    list_select_related = ["deal", "stage", "changed_by"]
    search_fields = ["deal__title"]


@admin.register(OwnerChange)
class OwnerChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["deal", "stage", "old_owner", "new_owner", "changed_at", "changed_by"]
    list_select_related = ["deal", "stage", "old_owner", "new_owner", "changed_by"]


@admin.register(StageVisit)
class StageVisitAdmin(ReadOnlyHistoryAdmin):
    list_display = ["deal", "stage", "owner", "entered_at", "left_at", "outcome"]
    list_filter = ["outcome", "pipeline"]
    list_select_related = ["deal", "stage", "owner"]


class LineItemInline(admin.TabularInline):
    model = DealLineItem
    extra = 0
    readonly_fields = ["product", "quantity", "unit_price"]

    def has_add_permission(self, request, obj=None):
        return False  # line items change the amount: the deal card does it through services


class StageChangeInline(admin.TabularInline):
    model = StageChange
    fields = ["kind", "from_stage", "to_stage", "amount", "changed_at", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "company",
        "pipeline",
        "stage",
        "status",
        "amount",
        "owner",
        "created_at",
    ]
    list_filter = ["status", "pipeline", "stage", "lead_source"]
    search_fields = ["title", "company__name", "external_id"]
    list_select_related = ["company", "pipeline", "stage", "owner"]
    raw_id_fields = ["company", "owner", "created_by"]
    filter_horizontal = ["contacts"]
    date_hierarchy = "created_at"
    inlines = [LineItemInline, StageChangeInline]
    readonly_fields = [
        "furthest_stage",
        "stage_entered_at",
        "initial_amount",
        "amount_change_count",
        "closed_at",
        "win_probability",
        "win_probability_note",
        "is_returning_customer",
        "version",
        "created_at",
        "updated_at",
    ]
    fields = [
        "title",
        "company",
        "contacts",
        "owner",
        "pipeline",
        "stage",
        "amount",
        "currency",
        "lead_source",
        "expected_close_date",
        "first_contact_at",
        "status",
        "lost_reason",
        "lost_comment",
        "description",
        "external_id",
        *readonly_fields,
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # a deal's history must stay; close it as lost instead

    def save_model(self, request, obj, form, change):
        try:
            self._save_through_services(request, obj, form, change)
        except DomainError as error:
            messages.error(request, error.message)
            raise PermissionDenied(error.message) from error

    def save_related(self, request, form, formsets, change):
        # Contacts are set by the services; the other inlines are read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _save_through_services(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            deal = services.deal_create(
                title=data["title"],
                owner=data["owner"],
                created_by=request.user,
                pipeline=data["pipeline"],
                stage=data["stage"],
                company=data.get("company"),
                contacts=data.get("contacts") or (),
                amount=data.get("amount") or 0,
                currency=data.get("currency") or "",
                lead_source=data.get("lead_source"),
                expected_close_date=data.get("expected_close_date"),
                first_contact_at=data.get("first_contact_at"),
                description=data.get("description") or "",
                external_id=data.get("external_id") or "",
            )
            obj.pk = deal.pk
            obj.refresh_from_db()
            return
        deal = Deal.objects.get(pk=obj.pk)
        expected_version = obj.version
        plain = {
            name: data[name]
            for name in services.EDITABLE_DEAL_FIELDS
            if name in form.changed_data and name in data
        }
        if plain or "contacts" in form.changed_data:
            services.deal_update(
                deal=deal,
                user=request.user,
                expected_version=expected_version,
                contacts=data.get("contacts") if "contacts" in form.changed_data else None,
                **plain,
            )
            expected_version = deal.version
        if "amount" in form.changed_data:
            services.deal_change_amount(
                deal=deal,
                amount=data["amount"],
                user=request.user,
                expected_version=expected_version,
            )
        if "owner" in form.changed_data:
            services.deal_reassign(deal=deal, new_owner=data["owner"], user=request.user)
        if "stage" in form.changed_data:
            services.deal_move_stage(deal=deal, stage=data["stage"], user=request.user)
        if "status" in form.changed_data:
            if data["status"] == "won":
                services.deal_win(deal=deal, user=request.user)
            elif data["status"] == "lost":
                services.deal_lose(
                    deal=deal,
                    user=request.user,
                    reason=data.get("lost_reason"),
                    comment=data.get("lost_comment") or "",
                )
            else:
                services.deal_reopen(deal=deal, user=request.user)
        obj.refresh_from_db()

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("pipeline")  # a deal never leaves its pipeline: its history is there
        return fields


admin.site.site_header = _("Voronka administration")
admin.site.site_title = _("Voronka")
