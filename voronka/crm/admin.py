from django.contrib import admin

from .models import Company, Contact, LeadSource, LeadSourceCost


class LeadSourceCostInline(admin.TabularInline):
    model = LeadSourceCost
    extra = 0


@admin.register(LeadSource)
class LeadSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    inlines = [LeadSourceCostInline]


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ["first_name", "last_name", "position", "phone", "email", "owner"]
    extra = 0
    raw_id_fields = ["owner"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "inn", "customer_type", "industry", "owner", "created_at"]
    list_filter = ["customer_type", "size"]
    search_fields = ["name", "inn", "email", "phone"]
    raw_id_fields = ["owner"]
    list_select_related = ["owner"]
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "company", "position", "phone", "email", "owner"]
    search_fields = ["first_name", "last_name", "email", "phone", "company__name"]
    raw_id_fields = ["company", "owner"]
    list_select_related = ["company", "owner"]


@admin.register(LeadSourceCost)
class LeadSourceCostAdmin(admin.ModelAdmin):
    list_display = ["source", "month", "amount"]
    list_filter = ["source"]
