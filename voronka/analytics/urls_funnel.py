from django.urls import path

from .views import funnel, managers, transitions, velocity, win_probability

urlpatterns: list = [
    path("funnel/", funnel.funnel_page, name="funnel"),
    path("transitions/", transitions.transitions_page, name="transitions"),
    path("velocity/", velocity.velocity_page, name="velocity"),
    path("win-probability/", win_probability.win_probability_page, name="win-probability"),
    path("managers/", managers.managers_page, name="managers"),
    path("managers/advice/", managers.advice_page, name="advice"),
    path("managers/advice/apply/", managers.advice_apply, name="advice-apply"),
]
