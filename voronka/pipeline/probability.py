"""The one definition of a deal's effective probability, shared by the board, the home page, the
forecast and the win-probability page.

A deal's probability now is its computed win probability (`Deal.win_probability`, 0..1, see
`voronka.analytics.win_probability`) or, while it has none yet, its stage's manual percentage.
"""

from django.db.models import F, FloatField, Value
from django.db.models.functions import Cast, Coalesce


def effective_probability(deal_path: str = ""):
    """The expression (0..1) for the deal reached through `deal_path` ("" or e.g. "deal__")."""
    return Coalesce(
        F(f"{deal_path}win_probability"),
        Cast(F(f"{deal_path}stage__probability"), FloatField()) / Value(100.0),
        output_field=FloatField(),
    )
