"""The deal card: /deals/<pk>/ and the actions it posts to."""

from django.urls import path

from .views import deal

urlpatterns = [
    path("deals/new/", deal.deal_create, name="deal_create"),
    path("deals/options/<slug:kind>/", deal.deal_options, name="deal_options"),
    path("deals/<int:pk>/", deal.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/move/", deal.deal_move, name="deal_move"),
    path("deals/<int:pk>/win/", deal.deal_win, name="deal_win"),
    path("deals/<int:pk>/lose/", deal.deal_lose, name="deal_lose"),
    path("deals/<int:pk>/reopen/", deal.deal_reopen, name="deal_reopen"),
    path("deals/<int:pk>/tasks/done/", deal.deal_tasks_done, name="deal_tasks_done"),
    path("deals/<int:pk>/edit/<slug:field>/", deal.deal_edit_field, name="deal_edit_field"),
    path("deals/<int:pk>/line-items/", deal.line_item_add, name="deal_line_item_add"),
    path(
        "deals/<int:pk>/line-items/<int:item_pk>/",
        deal.line_item_update,
        name="deal_line_item_update",
    ),
    path(
        "deals/<int:pk>/line-items/<int:item_pk>/remove/",
        deal.line_item_remove,
        name="deal_line_item_remove",
    ),
    path(
        "deals/<int:pk>/playbook/<int:step_pk>/done/",
        deal.playbook_step_complete,
        name="deal_playbook_done",
    ),
    path(
        "deals/<int:pk>/playbook/<int:step_pk>/undo/",
        deal.playbook_step_reopen,
        name="deal_playbook_undo",
    ),
]
