"""Analytics pages: funnel mechanics (funnel, transitions, velocity, effectiveness) and business
figures (inflow, channels, forecast, demand)."""

from . import urls_business, urls_funnel

app_name = "analytics"
urlpatterns = [*urls_funnel.urlpatterns, *urls_business.urlpatterns]
