"""The demo's fixed vocabulary: the team, lead sources, customer types, product lines, lost
reasons and the words company and person names are drawn from. Data only: the generator's
modules draw from it with the run's seeded random generator."""

from voronka.crm.models import CompanySize, CustomerType

DEMO_PASSWORD = "voronka-demo"
# How long the simulated history runs.
WEEKS = 104

DEPARTMENTS = ("Москва", "Санкт-Петербург", "Регионы")

# (username, first name, last name, department index, per-stage skill profile name)
MANAGERS = (
    ("ivanov", "Алексей", "Иванов", 0, "closer"),
    ("petrova", "Мария", "Петрова", 0, "opener"),
    ("smirnov", "Дмитрий", "Смирнов", 0, "steady"),
    ("kuznetsova", "Елена", "Кузнецова", 0, "star"),
    ("volkov", "Сергей", "Волков", 1, "steady"),
    ("sokolova", "Анна", "Соколова", 1, "closer"),
    ("popov", "Игорь", "Попов", 1, "newcomer"),
    ("lebedeva", "Ольга", "Лебедева", 1, "opener"),
    ("kozlov", "Николай", "Козлов", 2, "steady"),
    ("novikova", "Татьяна", "Новикова", 2, "newcomer"),
    ("morozov", "Павел", "Морозов", 2, "closer"),
    ("fedorova", "Ирина", "Фёдорова", 2, "steady"),
)
HEADS = (
    ("head.msk", "Виктор", "Орлов", 0),
    ("head.spb", "Светлана", "Зайцева", 1),
    ("head.reg", "Андрей", "Белов", 2),
)
# Multipliers on the chance to advance from stage 1..5 (padded for shorter pipelines).
SKILL_PROFILES = {
    "opener": (1.25, 1.15, 0.95, 0.85, 0.9),
    "closer": (0.85, 0.9, 1.05, 1.25, 1.15),
    "steady": (1.0, 1.0, 1.0, 1.0, 1.0),
    "star": (1.15, 1.15, 1.15, 1.15, 1.1),
    "newcomer": (0.9, 0.8, 0.8, 0.75, 0.9),
}

# name, share of inflow, quality multiplier, monthly cost (0 = free channel)
SOURCES = (
    ("Сайт", 0.30, 1.0, 60_000),
    ("Контекстная реклама", 0.22, 0.8, 180_000),
    ("Холодный звонок", 0.18, 0.65, 90_000),
    ("Выставка", 0.10, 1.15, 250_000),
    ("Рекомендация", 0.12, 1.45, 0),
    ("Партнёры", 0.08, 1.2, 40_000),
)

# customer type: share, conversion multiplier, size multiplier, cycle multiplier, sizes
CUSTOMER_TYPES = {
    CustomerType.SMALL: (0.50, 1.1, 0.6, 0.8, (CompanySize.MICRO, CompanySize.SMALL)),
    CustomerType.MEDIUM: (0.30, 1.0, 1.3, 1.0, (CompanySize.SMALL, CompanySize.MEDIUM)),
    CustomerType.ENTERPRISE: (0.15, 0.8, 3.5, 1.6, (CompanySize.LARGE, CompanySize.HUGE)),
    CustomerType.PUBLIC: (0.05, 0.7, 2.5, 1.9, (CompanySize.MEDIUM, CompanySize.LARGE)),
}

DIRECTIONS = {
    "Оборудование": (
        ("Сервер стоечный R-200", "EQ-R200", 420_000),
        ("СХД S-50", "EQ-S50", 780_000),
        ("Коммутатор K-48", "EQ-K48", 95_000),
        ("ИБП U-3000", "EQ-U3000", 65_000),
    ),
    "Программное обеспечение": (
        ("Лицензия ERP, 10 мест", "SW-ERP10", 350_000),
        ("Модуль аналитики", "SW-BI", 180_000),
        ("Лицензия CRM, 10 мест", "SW-CRM10", 120_000),
        ("Подписка на обновления, год", "SW-UPD", 60_000),
    ),
    "Сервис и обучение": (
        ("Внедрение под ключ", "SV-IMPL", 500_000),
        ("Техническая поддержка, год", "SV-SUP", 150_000),
        ("Обучение сотрудников", "SV-EDU", 45_000),
        ("Аудит инфраструктуры", "SV-AUD", 90_000),
    ),
}

# Lost-reason weights by stage position (early … late).
LOST_REASON_WEIGHTS = (
    (1, 1, 2, 5, 5, 1),
    (2, 2, 3, 3, 3, 1),
    (5, 4, 3, 1, 1, 1),
    (3, 4, 2, 0.5, 1, 3),
    (1, 2, 3, 0.5, 1, 3),
)
# Typical days in each stage (median of the lognormal), by stage position.
STAGE_DAYS = (5, 14, 10, 18, 10)

COMPANY_PREFIXES = ("ООО", "АО", "ПАО", "ИП", "ООО", "ООО")
COMPANY_WORDS = (
    "Альфа",
    "Вектор",
    "Горизонт",
    "Гранит",
    "Дельта",
    "Енисей",
    "Заря",
    "Интеграл",
    "Квант",
    "Легион",
    "Меридиан",
    "Нева",
    "Омега",
    "Прогресс",
    "Ритм",
    "Сигма",
    "Технополис",
    "Урал",
    "Феникс",
    "Эталон",
    "Север",
    "Восток",
    "Сибирь",
    "Волга",
    "Орбита",
    "Полюс",
    "Стандарт",
)
COMPANY_SUFFIXES = (
    "Трейд",
    "Строй",
    "Логистик",
    "Софт",
    "Пром",
    "Агро",
    "Медиа",
    "Системс",
    "Групп",
    "Энерго",
)
INDUSTRIES = (
    "Производство",
    "Розничная торговля",
    "Логистика",
    "Строительство",
    "Финансы",
    "ИТ",
    "Медицина",
    "Образование",
    "Энергетика",
    "Госсектор",
)
FIRST_NAMES = (
    "Александр",
    "Екатерина",
    "Михаил",
    "Наталья",
    "Юрий",
    "Ксения",
    "Роман",
    "Людмила",
    "Олег",
    "Вера",
    "Кирилл",
    "Дарья",
    "Степан",
    "Полина",
)
# Women's first names among FIRST_NAMES: their surname takes the feminine ending («Вера
# Алексеева», not «Вера Алексеев»); every surname below ends in -ов/-ёв/-ев/-ин.
FEMALE_FIRST_NAMES = frozenset(
    {"Екатерина", "Наталья", "Ксения", "Людмила", "Вера", "Дарья", "Полина"}
)
LAST_NAMES = (
    "Григорьев",
    "Никитин",
    "Захаров",
    "Королёв",
    "Макаров",
    "Андреев",
    "Ковалёв",
    "Ильин",
    "Гусев",
    "Титов",
    "Кузьмин",
    "Баранов",
    "Куликов",
    "Алексеев",
)
POSITIONS = (
    "Генеральный директор",
    "Финансовый директор",
    "ИТ-директор",
    "Руководитель закупок",
    "Главный инженер",
    "Менеджер по закупкам",
)
