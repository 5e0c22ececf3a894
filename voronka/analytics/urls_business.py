from django.urls import path

from .views import channels, forecast, inflow, repeat

urlpatterns: list = [
    path("inflow/", inflow.inflow_page, name="inflow"),
    path("channels/", channels.channels_page, name="channels"),
    path("forecast/", forecast.forecast_page, name="forecast"),
    path("repeat/", repeat.repeat_page, name="repeat"),
]
