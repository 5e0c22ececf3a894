from django.urls import path

from . import views_business

urlpatterns: list = [
    path("inflow/", views_business.inflow_page, name="inflow"),
    path("channels/", views_business.channels_page, name="channels"),
    path("forecast/", views_business.forecast_page, name="forecast"),
    path("repeat/", views_business.repeat_page, name="repeat"),
]
