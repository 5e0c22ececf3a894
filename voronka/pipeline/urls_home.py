"""The home page, outside the pipeline namespace: its URL name is plain "home"."""

from django.urls import path

from .views import home

urlpatterns = [
    path("", home.home, name="home"),
]
