"""Pipeline pages, split by area so each stays small: the board, the deal card, the lists."""

from . import urls_board, urls_deal, urls_lists

app_name = "pipeline"
urlpatterns = [*urls_board.urlpatterns, *urls_deal.urlpatterns, *urls_lists.urlpatterns]
