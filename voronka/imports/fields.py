"""What each kind of import can fill, how columns are recognised, and how cells are read."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import ImportKind


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str
    synonyms: tuple[str, ...]
    required: bool = False


_EXTERNAL_ID = ImportField(
    "external_id",
    _("External id"),
    ("external id", "внешний id", "внешний код", "id", "ид", "код", "opportunity id",
     "deal id", "record id", "id сделки", "ид сделки", "номер сделки", "deal number"),
)  # fmt: skip
_OWNER = ImportField(
    "owner",
    _("Owner"),
    ("ответственный", "менеджер", "владелец", "owner", "manager", "responsible", "sales agent",
     "sales rep", "rep", "agent", "account manager", "account owner", "deal owner", "assigned to",
     "assigned", "salesperson", "sales person", "seller", "продавец", "ответственный менеджер",
     "менеджер сделки", "ответственный за сделку"),
)  # fmt: skip
_COMPANY_NAME = ImportField(
    "company_name",
    _("Company"),
    ("компания", "организация", "клиент", "контрагент", "company", "company name", "account",
     "account name", "customer", "client", "organization", "organisation", "название компании",
     "компания контакта"),
)  # fmt: skip
_COMPANY_INN = ImportField(
    "company_inn", _("Company INN"), ("инн", "inn", "tax id", "инн компании", "taxpayer id")
)
_CONTACT_NAME = ImportField(
    "contact_name",
    _("Contact name"),
    ("контакт", "контактное лицо", "фио", "contact", "contact name", "contact person",
     "основной контакт", "primary contact", "full name", "фио контакта"),
)  # fmt: skip
_PHONE = ImportField(
    "phone",
    _("Phone"),
    ("телефон", "тел", "phone", "phone number", "мобильный", "рабочий телефон", "mobile",
     "work phone"),
)  # fmt: skip
_EMAIL = ImportField(
    "email",
    _("Email"),
    ("email", "e-mail", "почта", "эл почта", "электронная почта", "email address",
     "рабочий email", "work email"),
)  # fmt: skip
_POSITION = ImportField("position", _("Position"), ("должность", "position", "job title"))
_PRODUCT_NAME = ImportField(
    "product_name",
    _("Product"),
    ("товар", "продукт", "товары", "продукция", "номенклатура", "product", "product name",
     "item", "название товара", "наименование товара", "products"),
)  # fmt: skip
_NOTES = ImportField(
    "notes", _("Notes"), ("примечание", "комментарий", "заметки", "notes", "comment")
)

FIELDS: dict[str, tuple[ImportField, ...]] = {
    ImportKind.DEALS: (
        _EXTERNAL_ID,
        ImportField(
            "title",
            _("Deal title"),
            (
                "название сделки",
                "сделка",
                "название",
                "наименование",
                "title",
                "deal",
                "deal name",
                "name",
                "opportunity",
                "opportunity name",
                "deal title",
                "subject",
                "тема",
            ),
            required=True,
        ),  # fmt: skip
        ImportField(
            "amount",
            _("Amount"),
            (
                "сумма",
                "бюджет",
                "сумма сделки",
                "amount",
                "value",
                "sum",
                "close value",
                "deal value",
                "deal amount",
                "revenue",
                "expected revenue",
                "opportunity amount",
                "стоимость",
                "выручка",
            ),
        ),  # fmt: skip
        ImportField("currency", _("Currency"), ("валюта", "currency", "валюта сделки")),
        ImportField(
            "pipeline",
            _("Pipeline"),
            (
                "воронка",
                "направление",
                "pipeline",
                "funnel",
                "sales pipeline",
                "воронка продаж",
                "направление сделки",
            ),
        ),  # fmt: skip
        ImportField(
            "stage",
            _("Stage"),
            (
                "этап",
                "стадия",
                "этап сделки",
                "stage",
                "deal stage",
                "стадия сделки",
                "sales stage",
                "stage name",
                "dealstage",
                "статус сделки",
            ),
        ),  # fmt: skip
        ImportField(
            "closed_stage",
            _("Stage when closed"),
            (
                "этап закрытия",
                "последний этап",
                "этап при закрытии",
                "этап до закрытия",
                "stage when closed",
                "last stage",
                "stage before close",
                "closed at stage",
                "lost at stage",
            ),
        ),  # fmt: skip
        ImportField(
            "status",
            _("Status (open/won/lost)"),
            (
                "статус",
                "результат",
                "status",
                "outcome",
                "deal status",
                "result",
                "won lost",
                "семантика стадии",
                "итог",
            ),
        ),  # fmt: skip
        _OWNER,
        ImportField(
            "lead_source",
            _("Lead source"),
            (
                "источник",
                "канал",
                "источник сделки",
                "source",
                "lead source",
                "channel",
                "origin",
                "lead origin",
                "deal source",
                "utm source",
                "канал привлечения",
                "источник лида",
                "источник обращения",
            ),
        ),  # fmt: skip
        ImportField(
            "created_at",
            _("Created"),
            (
                "дата создания",
                "создана",
                "создано",
                "created",
                "created at",
                "date created",
                "create date",
                "created date",
                "creation date",
                "created on",
                "created time",
                "дата создания сделки",
                "дата заведения",
            ),
        ),  # fmt: skip
        ImportField(
            "first_contact_at",
            _("First contact"),
            (
                "первый контакт",
                "дата первого контакта",
                "first contact",
                "first contact date",
                "engage date",
                "engagement date",
                "engaged",
                "engaged at",
                "date of first contact",
                "first touch",
                "first touch date",
                "дата обращения",
                "дата первого обращения",
            ),
        ),  # fmt: skip
        ImportField(
            "stage_entered_at",
            _("In stage since"),
            (
                "дата перехода на этап",
                "на этапе с",
                "stage entered",
                "in stage since",
                "stage date",
                "stage change date",
                "last stage change",
                "дата изменения этапа",
                "дата смены этапа",
                "дата изменения стадии",
            ),
        ),  # fmt: skip
        ImportField(
            "expected_close_date",
            _("Expected close date"),
            (
                "ожидаемая дата закрытия",
                "плановая дата закрытия",
                "дата закрытия план",
                "expected close date",
                "expected close",
                "предполагаемая дата закрытия",
                "estimated close date",
                "target close date",
            ),
        ),  # fmt: skip
        ImportField(
            "closed_at",
            _("Closed"),
            (
                "дата закрытия",
                "закрыта",
                "closed",
                "closed at",
                "close date",
                "date closed",
                "closed date",
                "closed on",
                "close time",
                "won date",
                "lost date",
                "дата закрытия сделки",
                "дата завершения",
            ),
        ),  # fmt: skip
        ImportField(
            "lost_reason",
            _("Lost reason"),
            (
                "причина отказа",
                "причина проигрыша",
                "причина",
                "lost reason",
                "loss reason",
                "reason lost",
                "closed lost reason",
                "причина провала",
                "причина закрытия",
            ),
        ),  # fmt: skip
        ImportField(
            "lost_comment",
            _("Why lost, in words"),
            ("комментарий к отказу", "lost comment", "loss comment"),
        ),
        ImportField(
            "description",
            _("Description"),
            ("описание", "комментарий", "примечание", "description", "notes", "comment"),
        ),
        _PRODUCT_NAME,
        ImportField(
            "quantity", _("Quantity"), ("количество", "кол во", "quantity", "qty", "units")
        ),
        ImportField(
            "unit_price",
            _("Unit price"),
            ("цена", "цена за единицу", "unit price", "price", "sales price", "list price"),
        ),
        _COMPANY_NAME,
        _COMPANY_INN,
        _CONTACT_NAME,
        _POSITION,
        _PHONE,
        _EMAIL,
    ),
    ImportKind.COMPANIES: (
        _EXTERNAL_ID,
        ImportField(
            "company_name",
            _("Company name"),
            (
                "название",
                "наименование",
                "компания",
                "организация",
                "name",
                "company",
                "company name",
                "account",
                "account name",
            ),
            required=True,
        ),  # fmt: skip
        _COMPANY_INN,
        ImportField("industry", _("Industry"), ("отрасль", "сфера", "industry", "sector")),
        _PHONE,
        _EMAIL,
        ImportField("website", _("Website"), ("сайт", "website", "web", "url")),
        ImportField("address", _("Address"), ("адрес", "address")),
        _OWNER,
        _NOTES,
    ),
    ImportKind.CONTACTS: (
        _EXTERNAL_ID,
        _CONTACT_NAME,
        ImportField("first_name", _("First name"), ("имя", "first name", "given name")),
        ImportField(
            "last_name", _("Last name"), ("фамилия", "last name", "surname", "family name")
        ),
        _POSITION,
        _PHONE,
        _EMAIL,
        _COMPANY_NAME,
        _COMPANY_INN,
        _OWNER,
        _NOTES,
    ),
    ImportKind.PRODUCTS: (
        ImportField(
            "product_name",
            _("Product"),
            ("название", "наименование", "товар", "продукт", "name", "product", "product name"),
            required=True,
        ),
        ImportField("sku", _("SKU"), ("артикул", "sku", "код товара", "product code", "code")),
        ImportField(
            "unit_price", _("Price"), ("цена", "price", "unit price", "list price", "стоимость")
        ),
        ImportField("unit", _("Unit"), ("единица", "ед изм", "unit", "uom")),
        ImportField(
            "direction",
            _("Product line"),
            ("направление", "линейка", "категория", "product line", "category", "series"),
        ),
    ),
    ImportKind.USERS: (
        ImportField(
            "user_name",
            _("Full name"),
            (
                "фио",
                "сотрудник",
                "пользователь",
                "full name",
                "name",
                "employee",
                "user",
                "sales agent",
            ),
        ),  # fmt: skip
        ImportField("first_name", _("First name"), ("имя", "first name", "given name")),
        ImportField("last_name", _("Last name"), ("фамилия", "last name", "surname")),
        _EMAIL,
        _PHONE,
        ImportField("role", _("Role"), ("роль", "role", "должность в системе", "access")),
        ImportField(
            "department",
            _("Department"),
            ("отдел", "команда", "группа", "department", "team", "regional team", "sales team"),
        ),
        ImportField(
            "parent_department",
            _("Parent department"),
            (
                "офис",
                "филиал",
                "регион",
                "вышестоящий отдел",
                "office",
                "regional office",
                "parent department",
                "division",
            ),
        ),  # fmt: skip
    ),
}

# Fields whose values are looked up among existing records (and mapped by the user when unknown).
VALUE_FIELDS = (
    "pipeline", "stage", "closed_stage", "owner", "lead_source", "lost_reason", "product_name",
)  # fmt: skip


def fields_for(kind: str) -> tuple[ImportField, ...]:
    """The kind's fields, then one per active custom field of its entity."""
    from .custom import custom_import_fields

    custom = tuple(
        ImportField(key, label, synonyms) for key, label, synonyms in custom_import_fields(kind)
    )
    return FIELDS[kind] + custom


def _normalise(text: str) -> str:
    """Header text as words: «Sales_Agent», «salesAgent» and «sales-agent» all read "sales agent"."""
    text = re.sub(r"(?<=[a-zа-яё])(?=[A-ZА-ЯЁ])", " ", text.strip())
    text = text.lower().replace("ё", "е")
    text = re.sub(r"[\s_\-.,:;()*/\\#№]+", " ", text)
    return text.strip()


# Fields that hold a name: a column of numbers or yes/no answers is never guessed as one.
NAME_FIELDS = frozenset(
    {"title", "company_name", "contact_name", "first_name", "last_name", "owner", "product_name"}
)
_YES_NO = frozenset(
    {"yes", "no", "y", "n", "true", "false", "да", "нет", "0", "1", "+", "-", "x", "д", "н"}
)
_NUMBER_LIKE = re.compile(r"^[\d\s.,%+\-₽$€:/]+$")


def _looks_like_a_name(values: list[str]) -> bool:
    """False for a column whose sample values are all numbers, dates or yes/no answers."""
    filled = [value.strip().lower() for value in values if value.strip()]
    if not filled:
        return True
    return not all(value in _YES_NO or _NUMBER_LIKE.match(value) for value in filled)


def guess_mapping(
    kind: str, headers: list[str], samples: list[list[str]] | None = None
) -> dict[str, int]:
    """{field key: column index} from header names; exact synonyms first, then containment.

    `samples` (a few values per column) keeps numeric and yes/no columns away from names.
    """
    mapping: dict[str, int] = {}
    used: set[int] = set()
    normalised = [_normalise(header) for header in headers]
    for exact in (True, False):
        for field in fields_for(kind):
            if field.key in mapping:
                continue
            synonyms = [_normalise(synonym) for synonym in field.synonyms]
            for index, header in enumerate(normalised):
                if index in used or not header:
                    continue
                if exact:
                    hit = header in synonyms
                else:
                    hit = any(
                        len(synonym) > 3 and re.search(rf"\b{re.escape(synonym)}\b", header)
                        for synonym in synonyms
                    )
                if (
                    hit
                    and field.key in NAME_FIELDS
                    and samples is not None
                    and index < len(samples)
                    and not _looks_like_a_name(samples[index])
                ):
                    hit = False
                if hit:
                    mapping[field.key] = index
                    used.add(index)
                    break
    return mapping
