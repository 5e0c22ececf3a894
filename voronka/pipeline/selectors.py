"""Reads of deals that are not a page of their own."""

from django.db.models import Max

from voronka.pipeline.models import Deal


def deals_data_stamp():
    """The latest change to any deal (every write path sets `updated_at`; an index serves it).

    Cached figures over deals use it in their key, so any create or change counts anew."""
    return Deal.objects.aggregate(stamp=Max("updated_at"))["stamp"]
