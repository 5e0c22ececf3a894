"""Cell readers: numbers, dates and outcomes as Russian and international files write them.

Each reader raises CellError with a message for the per-row report.
"""

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.pipeline.models import DealStatus

CENT = Decimal("0.01")


class CellError(ValueError):
    """A cell that cannot be read; the message is shown in the per-row report."""


_NUMBER_JUNK = re.compile(r"[\s\u00a0\u202f'₽$€]|руб\.?|р\.|rub", re.IGNORECASE)


def parse_decimal(text: str) -> Decimal:
    cleaned = _NUMBER_JUNK.sub("", text)
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(_("«%(value)s» is not a number.") % {"value": text}) from None
    if not value.is_finite():
        raise CellError(_("«%(value)s» is not a number.") % {"value": text})
    if value < 0:
        raise CellError(_("The amount must be zero or positive."))
    if value >= Decimal("1e12"):
        raise CellError(_("The amount is too large."))
    return value.quantize(CENT)


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y", "%Y/%m/%d")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M")


_PLAIN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$|^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_datetime(text: str) -> datetime:
    """A local date or date-time in the usual Russian and ISO forms, made time-zone aware.

    A date alone means the start of that day (see `parse_moment` to know which it was).
    """
    return parse_moment(text)[0]


def parse_moment(text: str, zone: str | None = None) -> tuple[datetime, bool]:
    """(aware moment, True when the cell gave a date without a time of day), in `zone` (the
    current time zone's name, which a reader of many rows looks up once)."""
    # A file repeats the same dates many times: read each once per time zone.
    return _parse_moment(text, zone or timezone.get_current_timezone_name())


@lru_cache(maxsize=8192)
def _parse_moment(text: str, _zone: str) -> tuple[datetime, bool]:
    plain = _PLAIN_DATE.match(text.strip())
    if plain:
        day_, month_, year_, iso_year, iso_month, iso_day = plain.groups()
        try:
            day = (
                date(int(year_), int(month_), int(day_))
                if year_
                else date(int(iso_year), int(iso_month), int(iso_day))
            )
        except ValueError:
            day = None
        if day is not None and 1990 <= day.year <= 2100:
            return timezone.make_aware(datetime.combine(day, time.min)), True
    value = text.strip().replace("T", " ")
    value = re.sub(r"(\.\d+)?([+-]\d\d:?\d\d|Z)?$", "", value) if " " in value else value
    parts = value.split(" ", 1)
    for date_format in _DATE_FORMATS:
        try:
            day = datetime.strptime(parts[0], date_format).date()
        except ValueError:
            continue
        moment, bare = time.min, True
        if len(parts) == 2 and parts[1].strip():
            for time_format in _TIME_FORMATS:
                try:
                    moment = datetime.strptime(parts[1].strip(), time_format).time()
                    bare = False
                    break
                except ValueError:
                    continue
            else:
                break
        if not 1990 <= day.year <= 2100:
            break
        return timezone.make_aware(datetime.combine(day, moment)), bare
    raise CellError(
        _("«%(value)s» is not a date (use 31.12.2025 or 2025-12-31).") % {"value": text}
    )


def parse_date(text: str) -> date:
    return timezone.localtime(parse_datetime(text)).date()


_STATUS_WORDS = {
    DealStatus.OPEN: {
        "open",
        "открыта",
        "открыт",
        "в работе",
        "активна",
        "active",
        "in progress",
        "new",
    },
    DealStatus.WON: {
        "won",
        "выиграна",
        "выигран",
        "успешно",
        "успешна",
        "успех",
        "успешно реализовано",
        "закрыта успешно",
        "win",
        "оплачено",
        "closed won",
        "сделка успешна",
        "успешно завершена",
        "реализовано",
        "выполнена",
    },
    DealStatus.LOST: {
        "lost",
        "проиграна",
        "проигран",
        "отказ",
        "неуспешно",
        "закрыта неуспешно",
        "провал",
        "lose",
        "закрыто и не реализовано",
        "closed lost",
        "закрыта и не реализована",
        "сделка провалена",
        "провалена",
        "не реализовано",
        "неудача",
        "отказались",
    },
}


def _normalise(text: str) -> str:
    """Lower case, ё as е, punctuation and underscores as single spaces."""
    text = text.strip().lower().replace("ё", "е")
    return re.sub(r"[\s_\-.,:;()*/\\#№]+", " ", text).strip()


@lru_cache(maxsize=1)
def _status_by_word() -> dict[str, str]:
    return {_normalise(word): status for status, words in _STATUS_WORDS.items() for word in words}


def parse_status(text: str) -> str:
    status = _status_by_word().get(_normalise(text))
    if status is not None:
        return status
    raise CellError(_("Unknown status «%(value)s» (use open, won or lost).") % {"value": text})
