"""Named hooks: a higher app keeps what it derives from a lower app's rows, without the lower
app importing it (the pipeline never imports analytics).

A higher app registers its functions in its AppConfig.ready(); the lower app's services call
the hook. Every hook here runs INSIDE the writing service's transaction: what it writes
commits or rolls back with the rows it derives from, and an error in it undoes the write.
Work that must wait for the commit (webhooks, recomputing a cached probability) subscribes to
`core/events.py` instead.

- `deal_write`: around one deal service call. A hook is `before(deal | None) -> after`: called
  before the service with the deal as it was (None when the service creates it), it returns
  `after(deal)`, called with the deal as written. (Analytics: its stage summary cells.)
- `deals_added`: `hook(deals, visits, stage_changes)` after the bulk writer inserted a batch of
  new deals with their whole history: the rows just written (saved deals, and the visits and
  stage changes as tuples with the models' attribute names), so nothing need be read back.
  (Analytics: the new deals' summary rows.)
- `deals_changed`: `hook(deal_ids)` after a bulk update flipped these deals' returning-customer
  flag, each one once (`pipeline.bulk.refresh_returning_customers`). (Analytics: their channel
  summary rows.)
- `customer_type_changed`: `hook(company_ids)` after these companies' customer type changed
  (`crm.services.company_update`), which moves their deals between channel summary rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.db.models import Model

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    """A named, ordered list of functions; registering the same function twice keeps one."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._functions: list[F] = []

    def register(self, function: F) -> F:
        if function not in self._functions:
            self._functions.append(function)
        return function

    def unregister(self, function: F) -> None:
        if function in self._functions:
            self._functions.remove(function)

    @property
    def functions(self) -> tuple[F, ...]:
        return tuple(self._functions)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._functions)} function(s)>"


After = Callable[[Any], None]
Before = Callable[[Any], After]

deal_write: Hook[Before] = Hook("deal_write")
deals_added: Hook[Callable[[list, list, list], None]] = Hook("deals_added")
deals_changed: Hook[Callable[[list], None]] = Hook("deals_changed")
customer_type_changed: Hook[Callable[[list], None]] = Hook("customer_type_changed")


def around_write(hook: Hook[Before], *, model: type[Model], argument: str):
    """Decorate a service so it and the hook's functions run in one transaction.

    The row before is the service's keyword `argument` (None when absent: a creation); the row
    after is what the service returns when it is a `model`, else that same argument.
    """

    def decorate(service):
        @functools.wraps(service)
        def wrapper(*args, **kwargs):
            before = kwargs.get(argument)
            before = before if isinstance(before, model) and before.pk else None
            with transaction.atomic():
                afters = [function(before) for function in hook.functions]
                result = service(*args, **kwargs)
                written = result if isinstance(result, model) else kwargs.get(argument)
                if isinstance(written, model) and written.pk:
                    for after in afters:
                        after(written)
            return result

        return wrapper

    return decorate


def run(hook: Hook[Callable[..., None]], *args: Any) -> None:
    """Call every function of a hook that returns nothing (inside the caller's transaction)."""
    for function in hook.functions:
        function(*args)
