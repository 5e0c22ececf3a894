from django.contrib import admin

from voronka.core.service_admin import ServiceWriteAdmin

from . import services
from .models import Company, Contact, LeadSource, LeadSourceCost


class LeadSourceCostInline(admin.TabularInline):
    model = LeadSourceCost
    extra = 0


@admin.register(LeadSource)
class LeadSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    inlines = [LeadSourceCostInline]


class ContactInline(admin.TabularInline):
    """Read-only: a contact is added and changed on its own page, through the service."""

    model = Contact
    fields = ["first_name", "last_name", "position", "phone", "email", "owner"]
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Company)
class CompanyAdmin(ServiceWriteAdmin):
    list_display = ["name", "inn", "customer_type", "industry", "owner", "created_at"]
    list_filter = ["customer_type", "size"]
    search_fields = ["name", "inn", "email", "phone"]
    raw_id_fields = ["owner"]
    list_select_related = ["owner"]
    inlines = [ContactInline]
    # Custom fields have their own page (customfields app); the JSON is not edited raw here.
    fields = sorted(services.COMPANY_FIELDS - {"custom_fields"})
    service_fields = services.COMPANY_FIELDS

    def service_create(self, request, fields):
        return services.company_create(user=request.user, **fields)

    def service_update(self, request, obj, fields):
        return services.company_update(company=obj, user=request.user, **fields)

    def service_delete(self, request, obj):
        services.company_delete(company=obj, user=request.user)


@admin.register(Contact)
class ContactAdmin(ServiceWriteAdmin):
    list_display = ["__str__", "company", "position", "phone", "email", "owner"]
    search_fields = ["first_name", "last_name", "email", "phone", "company__name"]
    raw_id_fields = ["company", "owner"]
    list_select_related = ["company", "owner"]
    fields = sorted(services.CONTACT_FIELDS - {"custom_fields"})
    service_fields = services.CONTACT_FIELDS

    def service_create(self, request, fields):
        return services.contact_create(user=request.user, **fields)

    def service_update(self, request, obj, fields):
        return services.contact_update(contact=obj, user=request.user, **fields)

    def service_delete(self, request, obj):
        services.contact_delete(contact=obj, user=request.user)


@admin.register(LeadSourceCost)
class LeadSourceCostAdmin(admin.ModelAdmin):
    list_display = ["source", "month", "amount"]
    list_filter = ["source"]
