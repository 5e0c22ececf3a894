from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.start, name="start"),
    path("<int:pk>/columns/", views.columns, name="columns"),
    path("<int:pk>/values/", views.values, name="values"),
    path("<int:pk>/check/", views.check, name="check"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/errors/", views.job_errors, name="job_errors"),
    path("<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("<int:pk>/resume/", views.job_resume, name="job_resume"),
    path("<int:pk>/roll-back/", views.job_roll_back, name="job_roll_back"),
    path("export/<slug:entity>.<str:fmt>", views.export, name="export"),
]
