from django.urls import path

from . import views

app_name = "customfields"
urlpatterns = [
    path("settings/custom-fields/", views.custom_fields, name="settings"),
    path("settings/custom-fields/<int:pk>/", views.custom_field_edit, name="edit"),
    path("deals/<int:pk>/custom-fields/", views.deal_custom_fields, name="deal"),
    path("companies/<int:pk>/custom-fields/", views.company_custom_fields, name="company"),
]
