"""The deal list page, its export (`?export=csv|xlsx`) and bulk actions."""

from django.urls import path

from .views import lists

urlpatterns = [
    path("deals/", lists.deal_list, name="deal_list"),
    path("deals/bulk/", lists.deal_bulk, name="deal_bulk"),
]
