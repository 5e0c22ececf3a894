"""Domain events published after commit: webhooks and notifications subscribe here.

Services call `publish` inside their transaction; receivers run only once it commits, so a
rolled-back change never reaches the outside world. Receivers register in AppConfig.ready().
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

DEAL_CREATED = "deal.created"
DEAL_STAGE_CHANGED = "deal.stage_changed"
DEAL_WON = "deal.won"
DEAL_LOST = "deal.lost"
ALL_EVENTS = (DEAL_CREATED, DEAL_STAGE_CHANGED, DEAL_WON, DEAL_LOST)
# Internal: they refresh what the app derives from a deal (its win probability) and are not
# offered to webhooks.
DEAL_AMOUNT_CHANGED = "deal.amount_changed"
DEAL_REOPENED = "deal.reopened"

Receiver = Callable[[str, dict[str, Any]], None]
_receivers: dict[str, list[Receiver]] = defaultdict(list)


def subscribe(event: str, receiver: Receiver) -> None:
    if receiver not in _receivers[event]:
        _receivers[event].append(receiver)


def publish(event: str, payload: dict[str, Any]) -> None:
    def deliver() -> None:
        for receiver in list(_receivers[event]):
            receiver(event, payload)

    transaction.on_commit(deliver)
