"""Analytics read endpoints (filled in once the analytics functions exist)."""

from ninja import Router

router = Router(tags=["Analytics"])
