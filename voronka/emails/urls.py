from django.urls import path

from . import views

app_name = "emails"
urlpatterns = [
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("deal/<int:deal_pk>/compose/", views.compose, name="compose"),
]
