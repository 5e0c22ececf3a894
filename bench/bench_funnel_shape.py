"""Why the deal carries its furthest stage: the funnel from that column vs from raw history.

Reference: the funnel computed by grouping the append-only StageChange log per deal (the
furthest stage each deal reached), which is what a schema without the column must do.
"""

from _setup import median_seconds
from django.db.models import Count, Max

from voronka.pipeline.models import Deal, Pipeline, StageChange


def funnel_from_column(pipeline):
    return dict(
        Deal.objects.filter(pipeline=pipeline)
        .values_list("furthest_stage__order")
        .annotate(n=Count("id"))
    )


def funnel_from_history(pipeline):
    per_deal = (
        StageChange.objects.filter(deal__pipeline=pipeline)
        .values("deal")
        .annotate(top=Max("to_stage__order"))
    )
    counts: dict[int, int] = {}
    for row in per_deal.values_list("top", flat=True).iterator(chunk_size=10000):
        counts[row] = counts.get(row, 0) + 1
    return counts


def main():
    pipeline = Pipeline.objects.get(is_default=True)
    deals = Deal.objects.filter(pipeline=pipeline).count()
    changes = StageChange.objects.filter(deal__pipeline=pipeline).count()
    column = median_seconds(lambda: funnel_from_column(pipeline))
    history = median_seconds(lambda: funnel_from_history(pipeline), repeat=5)
    print(f"deals in pipeline: {deals}, stage changes: {changes}")
    print(f"funnel from Deal.furthest_stage: median {column * 1000:.1f} ms")
    print(f"funnel from StageChange history (reference): median {history * 1000:.1f} ms")
    print(f"ratio reference / column: {history / column:.1f}x")


if __name__ == "__main__":
    main()
