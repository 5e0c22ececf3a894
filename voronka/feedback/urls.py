from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("", views.feedback_list, name="list"),
    path("deal/<int:deal_pk>/request/", views.request_feedback, name="request"),
    path("<str:token>/", views.public, name="public"),
]
