"""The built-in lost reason «Причина не указана» / "Reason not given".

Most exports from other CRMs say that a deal was lost but not why. Such deals get this one
reason (created on first use, at most one: a unique constraint on `is_not_given`), so that the
lost-reasons analytics show them as a reason of their own instead of refusing the rows.
"""

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from voronka.core.models import Organisation

from .models import LostReason

NOT_GIVEN_ORDER = 999  # listed after the reasons people chose


def lost_reason_not_given() -> LostReason:
    """The organisation's "Reason not given" lost reason, created on first use.

    Its name is written in the organisation's language (analytics show names as stored). A
    reason someone already made with that name becomes the built-in one.
    """
    reason = LostReason.objects.filter(is_not_given=True).first()
    if reason is not None:
        return reason
    with translation.override(Organisation.current().language or None):
        name = _("Reason not given")
    try:
        with transaction.atomic():
            reason, _created = LostReason.objects.get_or_create(
                name=name, defaults={"order": NOT_GIVEN_ORDER}
            )
            reason.is_not_given = True
            reason.save(update_fields=["is_not_given"])
    except IntegrityError:  # another import made it at the same moment
        reason = LostReason.objects.get(is_not_given=True)
    return reason
