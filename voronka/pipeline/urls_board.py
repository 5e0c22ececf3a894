"""The pipeline board and the moves it posts."""

from django.urls import path

from .views import board, board_actions

urlpatterns = [
    path("board/", board.board_default, name="board_default"),
    path("pipelines/<int:pipeline_id>/board/", board.board, name="board"),
    path(
        "pipelines/<int:pipeline_id>/board/stages/<int:stage_id>/",
        board.board_column,
        name="board_column",
    ),
    path("board/deals/<int:pk>/move/", board_actions.board_move, name="board_move"),
    path("board/deals/<int:pk>/win/", board_actions.board_win, name="board_win"),
    path("board/deals/<int:pk>/lose/", board_actions.board_lose, name="board_lose"),
]
