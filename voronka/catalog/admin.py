from django.contrib import admin

from .models import Direction, Product


@admin.register(Direction)
class DirectionAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "direction", "price", "is_active"]
    list_filter = ["direction", "is_active"]
    search_fields = ["name", "sku"]
