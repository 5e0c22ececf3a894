from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("deal/<int:deal_pk>/upload/", views.document_upload, name="upload"),
    path("<int:pk>/download/", views.document_download, name="download"),
    path("<int:pk>/delete/", views.document_delete, name="delete"),
]
