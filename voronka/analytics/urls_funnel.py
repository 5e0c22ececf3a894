from django.urls import path

from . import views

urlpatterns: list = [
    path("funnel/", views.funnel_page, name="funnel"),
    path("transitions/", views.transitions_page, name="transitions"),
    path("velocity/", views.velocity_page, name="velocity"),
    path("win-probability/", views.win_probability_page, name="win-probability"),
    path("managers/", views.managers_page, name="managers"),
    path("managers/advice/", views.advice_page, name="advice"),
    path("managers/advice/apply/", views.advice_apply, name="advice-apply"),
]
