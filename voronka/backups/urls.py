from django.urls import path

from . import views

app_name = "backups"
urlpatterns = [
    path("", views.backup_list, name="list"),
    path("start/", views.backup_start, name="start"),
    path("<int:pk>/progress/", views.backup_progress, name="progress"),
    path("<int:pk>/download/", views.backup_download, name="download"),
]
