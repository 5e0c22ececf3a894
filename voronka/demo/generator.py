"""A deterministic, realistic demo data set: two years of a B2B sales team's work.

Analytics are judged on this data, so it has structure rather than uniform noise:
- inbound volume varies by week (seasonality, campaign spikes) and conversion falls when the
  week's volume rises (the seeds' law: ВСЕГДА);
- managers differ in skill per stage (an "opener", a "closer", a weak newcomer…);
- lead sources and customer types differ in quality, deal size and cycle length;
- returning customers convert better; budget cuts and long stalls lower the chance to win;
- deals skip stages, go back a stage, are lost with stage-typical reasons, or stay open
  (censored) when the simulated clock passes the end date.
The same seed and end date always give the same data.
"""

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from voronka.accounts.models import Department, Role, User
from voronka.activities.models import Activity, ActivityKind
from voronka.analytics.summary import summary_rebuild
from voronka.catalog.models import Direction, Product
from voronka.core.models import Organisation
from voronka.core.row_copy import (
    RowWriter,
    secondary_indexes_rebuilt,
    table_next_id,
    table_sync_id_sequence,
)
from voronka.crm.models import (
    Company,
    CompanySize,
    Contact,
    CustomerType,
    LeadSource,
    LeadSourceCost,
)
from voronka.emails.models import EmailTemplate
from voronka.feedback.models import Feedback
from voronka.pipeline.blueprints import AIDA, B2B_SALES, pipeline_create_from_blueprint
from voronka.pipeline.models import (
    Deal,
    DealStatus,
    LostReason,
    Pipeline,
    PlaybookStepCompletion,
    Stage,
)
from voronka.plans.models import Plan, PlanDimension, PlanPeriod

from .rows import HISTORY_TABLES, LOST, OPEN, WON, SimulatedDeal, history_rows

DEMO_PASSWORD = "voronka-demo"
WEEKS = 104
CHUNK = 5000


@dataclass(frozen=True)
class DemoConfig:
    deals: int = 5000
    seed: int = 42
    end: date | None = None  # the last day of the simulation (default: today)
    activities: bool = True


@dataclass(frozen=True, slots=True)
class DemoCompany:
    pk: int
    name: str
    customer_type: str
    owner_id: int


ACTIVITY_COLUMNS = (
    "kind",
    "subject",
    "deal_id",
    "company_id",
    "stage_id",
    "owner_id",
    "created_at",
    "done_at",
    "due_at",
)
PLAYBOOK_COLUMNS = ("deal_id", "step_id", "done_by_id", "done_at")


@dataclass
class DemoSummary:
    counts: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------- reference data

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

LOST_REASONS = (
    "Дорого",
    "Выбрали конкурента",
    "Нет бюджета",
    "Не вышли на ЛПР",
    "Пропала потребность",
    "Не устроили сроки",
)
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


class _Progress:
    """A text progress bar for the terminal; silent when no writer is given."""

    def __init__(self, total: int, write: Callable[[str], None] | None):
        self.total, self.write, self.started = total, write, timezone.now()

    def update(self, done: int) -> None:
        if not self.write:
            return
        width = 30
        filled = int(width * done / max(self.total, 1))
        seconds = (timezone.now() - self.started).total_seconds()
        self.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * done / max(self.total, 1):5.1f}% "
            f"{done}/{self.total} deals, {seconds:.0f} s"
        )


class DemoGenerator:
    def __init__(self, config: DemoConfig, progress: Callable[[str], None] | None = None):
        self.config = config
        self.random = random.Random(config.seed)
        self.end_date = config.end or timezone.localdate()
        tz = timezone.get_current_timezone()
        self.now = timezone.now()
        # Never the future: on today's date the simulated evening has not come yet.
        self.end = min(datetime.combine(self.end_date, time(19, 0), tzinfo=tz), self.now)
        self.start = self.end - timedelta(weeks=WEEKS)
        self.tz = tz
        self.progress = _Progress(config.deals, progress)
        self.summary = DemoSummary()

    # ------------------------------------------------------------ reference data
    def _reference_data(self) -> None:
        organisation = Organisation.current()
        organisation.name = "ООО «Воронка Демо»"
        organisation.save()
        self.departments = [Department.objects.get_or_create(name=name)[0] for name in DEPARTMENTS]
        password = make_password(DEMO_PASSWORD)
        users = []
        for username, first, last, dept in HEADS:
            users.append(
                User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    role=Role.HEAD,
                    department=self.departments[dept],
                    password=password,
                    email=f"{username}@voronka.example",
                )
            )
        for username, first, last, dept, _profile in MANAGERS:
            users.append(
                User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    role=Role.MANAGER,
                    department=self.departments[dept],
                    password=password,
                    email=f"{username}@voronka.example",
                    capacity=self.random.choice((50, 60, 70)),
                )
            )
        users.append(
            User(
                username="analyst",
                first_name="Галина",
                last_name="Аналитикова",
                role=Role.VIEWER,
                password=password,
                email="analyst@voronka.example",
            )
        )
        User.objects.bulk_create(users, ignore_conflicts=True)
        by_name = {
            user.username: user
            for user in User.objects.filter(username__in=[user.username for user in users])
        }
        self.managers = [by_name[row[0]] for row in MANAGERS]
        self.skills = {by_name[row[0]].pk: SKILL_PROFILES[row[4]] for row in MANAGERS}
        self.heads = [by_name[row[0]] for row in HEADS]

        self.sources = []
        for name, _share, _quality, _cost in SOURCES:
            self.sources.append(LeadSource.objects.get_or_create(name=name)[0])
        costs = []
        month = date(self.start.year, self.start.month, 1)
        while month <= self.end_date:
            for source, (_name, _share, _quality, cost) in zip(self.sources, SOURCES, strict=True):
                if cost:
                    jitter = Decimal(self.random.uniform(0.85, 1.15))
                    costs.append(
                        LeadSourceCost(
                            source=source,
                            month=month,
                            amount=(Decimal(cost) * jitter).quantize(Decimal(1)),
                        )
                    )
            month = (month + timedelta(days=32)).replace(day=1)
        LeadSourceCost.objects.bulk_create(costs, ignore_conflicts=True)

        self.products = []
        for direction_name, products in DIRECTIONS.items():
            direction = Direction.objects.get_or_create(name=direction_name)[0]
            for name, sku, price in products:
                product, _ = Product.objects.get_or_create(
                    sku=sku, defaults={"name": name, "direction": direction, "price": price}
                )
                self.products.append(product)

        self.lost_reasons = [
            LostReason.objects.get_or_create(name=name, defaults={"order": order})[0]
            for order, name in enumerate(LOST_REASONS)
        ]
        if not Pipeline.objects.filter(name=B2B_SALES.name).exists():
            pipeline_create_from_blueprint(B2B_SALES, is_default=True)
        if not Pipeline.objects.filter(name=AIDA.name).exists():
            pipeline_create_from_blueprint(AIDA)
        self.pipelines = [
            Pipeline.objects.get(name=B2B_SALES.name),
            Pipeline.objects.get(name=AIDA.name),
        ]
        self.stages = {
            pipeline.pk: list(pipeline.stages.order_by("order")) for pipeline in self.pipelines
        }
        self.base_conversion = {
            pipeline.pk: [
                (stage.expected_conversion or 50) / 100 for stage in self.stages[pipeline.pk]
            ]
            for pipeline in self.pipelines
        }
        self._email_templates()

    def _email_templates(self) -> None:
        templates = (
            (
                "Коммерческое предложение",
                "Коммерческое предложение: {deal.title}",
                "Здравствуйте, {contact.name}!\n\nНаправляю коммерческое предложение по сделке "
                "«{deal.title}» для {company.name}. Сумма: {deal.amount}.\n\n"
                "С уважением,\n{manager.name}\n{manager.phone}",
            ),
            (
                "Напоминание о встрече",
                "Встреча по проекту {deal.title}",
                "Здравствуйте, {contact.name}!\n\nНапоминаю о нашей встрече. "
                "Если время нужно изменить — ответьте на это письмо.\n\n{manager.name}",
            ),
            (
                "Договор на согласование",
                "Проект договора: {deal.title}",
                "Здравствуйте, {contact.name}!\n\nВо вложении проект договора для {company.name}. "
                "Будем рады вашим комментариям.\n\n{manager.name}, {manager.email}",
            ),
        )
        for name, subject, body in templates:
            EmailTemplate.objects.get_or_create(
                name=name, defaults={"subject": subject, "body": body}
            )

    # ------------------------------------------------------------ companies
    def _companies(self) -> None:
        count = max(40, int(self.config.deals * 0.45))
        type_names = list(CUSTOMER_TYPES)
        type_weights = [CUSTOMER_TYPES[name][0] for name in type_names]
        company_writer = RowWriter(
            Company,
            (
                "id",
                "name",
                "inn",
                "customer_type",
                "industry",
                "size",
                "phone",
                "email",
                "owner_id",
                "created_at",
            ),
            now=self.now,
        )
        next_id = table_next_id(Company)
        companies, rows = [], []
        for index in range(count):
            customer_type = self.random.choices(type_names, type_weights)[0]
            name = (
                f"{self.random.choice(COMPANY_PREFIXES)} «{self.random.choice(COMPANY_WORDS)}"
                f"-{self.random.choice(COMPANY_SUFFIXES)}» №{index + 1}"
            )
            owner = self.random.choice(self.managers)
            industry = self.random.choice(INDUSTRIES)
            size = self.random.choice(CUSTOMER_TYPES[customer_type][4])
            phone = (
                f"+7 495 {self.random.randint(100, 999)}-{self.random.randint(10, 99)}-"
                f"{self.random.randint(10, 99)}"
            )
            company = DemoCompany(next_id + index, name, customer_type, owner.pk)
            companies.append(company)
            rows.append(
                (
                    company.pk,
                    name,
                    f"77{index + 1:08d}",
                    str(customer_type.value),
                    industry,
                    str(size.value),
                    phone,
                    f"info{index + 1}@client{index + 1}.example",
                    owner.pk,
                    self.start,
                )
            )
        company_writer.write(rows)
        self.companies = companies
        contact_writer = RowWriter(
            Contact,
            (
                "id",
                "company_id",
                "first_name",
                "last_name",
                "position",
                "phone",
                "email",
                "owner_id",
                "created_at",
            ),
            now=self.now,
        )
        next_contact_id = table_next_id(Contact)
        rows = []
        self.contacts_by_company: dict[int, list[int]] = {}
        for company in companies:
            for _ in range(self.random.choice((1, 1, 2, 3))):
                first = self.random.choice(FIRST_NAMES)
                last = self.random.choice(LAST_NAMES)
                position = self.random.choice(POSITIONS)
                phone = (
                    f"+7 9{self.random.randint(10, 99)} {self.random.randint(100, 999)}-"
                    f"{self.random.randint(10, 99)}-{self.random.randint(10, 99)}"
                )
                contact_id = next_contact_id + len(rows)
                rows.append(
                    (
                        contact_id,
                        company.pk,
                        first,
                        last,
                        position,
                        phone,
                        f"{len(rows) + 1}@client{company.pk}.example",
                        company.owner_id,
                        self.start,
                    )
                )
                self.contacts_by_company.setdefault(company.pk, []).append(contact_id)
        contact_writer.write(rows)
        # company pk -> first moment it bought (for returning-customer maturity)
        self.first_win: dict[int, datetime] = {}

    # ------------------------------------------------------------ inflow
    def _weekly_volumes(self) -> list[int]:
        """Deals created per week: seasonality, campaign spikes and noise, summing to N."""
        weights = []
        for week in range(WEEKS):
            week_start = self.start + timedelta(weeks=week)
            season = 1 + 0.25 * math.sin(2 * math.pi * (week_start.timetuple().tm_yday / 365) - 1.2)
            if week_start.month == 1 and week_start.day < 12:
                season *= 0.45  # New Year holidays
            spike = self.random.uniform(1.6, 2.3) if self.random.random() < 0.1 else 1.0
            noise = math.exp(self.random.gauss(0, 0.15))
            weights.append(season * spike * noise)
        total = sum(weights)
        volumes = [int(self.config.deals * weight / total) for weight in weights]
        for index in range(self.config.deals - sum(volumes)):
            volumes[index % WEEKS] += 1
        return volumes

    # ------------------------------------------------------------ one deal
    def _simulate(self, created_at: datetime, load_factor: float) -> SimulatedDeal:
        rnd = self.random
        pipeline = self.pipelines[0] if rnd.random() < 0.85 else self.pipelines[1]
        stages = self.stages[pipeline.pk]
        base = self.base_conversion[pipeline.pk]
        owner = rnd.choice(self.managers)
        skill = self.skills[owner.pk]
        source_index = rnd.choices(range(len(SOURCES)), [row[1] for row in SOURCES])[0]
        source_quality = SOURCES[source_index][2]

        returning = False
        if self.first_win and rnd.random() < 0.25:
            company = self.companies_by_pk[rnd.choice(self.won_company_ids)]
            returning = self.first_win[company.pk] < created_at
        else:
            company = rnd.choice(self.companies)
        type_share, type_conversion, type_size, type_cycle, _sizes = CUSTOMER_TYPES[
            company.customer_type
        ]

        line_items = []
        for product in rnd.sample(self.products, rnd.choice((1, 1, 2, 2, 3))):
            quantity = max(1, round(rnd.lognormvariate(0, 0.6) * type_size))
            line_items.append((product, quantity, product.price))
        amount = sum((quantity * price for _product, quantity, price in line_items), Decimal(0))

        path = [(stages[0], created_at)]
        moment = created_at
        position = 0
        amount_changes: list[tuple[datetime, Decimal]] = []
        current_amount = amount
        budget_cut = False
        back_moves = 0
        outcome, closed_at, lost_reason = OPEN, None, None
        while True:
            typical = STAGE_DAYS[min(position, len(STAGE_DAYS) - 1)] * type_cycle
            stall = rnd.lognormvariate(0, 0.7)
            days = typical * stall
            leave_at = moment + timedelta(days=days, hours=rnd.uniform(0, 8))
            if position == 2 and rnd.random() < 0.35 and leave_at <= self.end:
                change_at = moment + (leave_at - moment) / 2
                factor = Decimal(str(round(rnd.uniform(0.75, 1.12), 3)))
                new_amount = (current_amount * factor).quantize(Decimal("0.01"))
                if new_amount != current_amount:
                    budget_cut = budget_cut or new_amount < current_amount
                    amount_changes.append((change_at, new_amount))
                    current_amount = new_amount
            if leave_at > self.end:
                break  # still in this stage at the end: an open (censored) deal
            chance = base[position] * skill[min(position, 4)] * type_conversion
            chance *= source_quality ** (0.6 if position < 2 else 0.25)
            chance *= 1.3 if returning else 1.0
            chance *= load_factor if position < 2 else load_factor**0.5
            chance *= 0.85 if budget_cut and position >= 2 else 1.0
            chance *= math.exp(-0.12 * max(stall - 1.5, 0))  # long stalls rarely end well
            chance = min(max(chance, 0.02), 0.97)
            roll = rnd.random()
            if roll < chance:
                if position == len(stages) - 1:
                    outcome, closed_at = WON, leave_at
                    break
                step = 2 if position + 2 < len(stages) and rnd.random() < 0.07 else 1
                position += step
                path.append((stages[position], leave_at))
                moment = leave_at
            elif position > 0 and back_moves < 2 and rnd.random() < 0.12:
                back_moves += 1
                position -= 1
                path.append((stages[position], leave_at))
                moment = leave_at
            else:
                outcome, closed_at = LOST, leave_at
                weights = LOST_REASON_WEIGHTS[min(position, 4)]
                lost_reason = rnd.choices(self.lost_reasons, weights)[0]
                break

        if outcome == WON and company.pk not in self.first_win:
            self.first_win[company.pk] = closed_at
            self.won_company_ids.append(company.pk)

        expected_cycle = sum(STAGE_DAYS) * type_cycle * rnd.uniform(0.7, 1.5)
        title = f"{rnd.choice(line_items)[0].name} для {company.name.split(' №')[0]}"
        deal = SimulatedDeal(
            id=self.next_deal_id,
            title=title,
            company_id=company.pk,
            owner_id=owner.pk,
            pipeline_id=pipeline.pk,
            lead_source_id=self.sources[source_index].pk,
            expected_close_date=(created_at + timedelta(days=expected_cycle)).date(),
            is_returning_customer=returning,
            initial_amount=amount,
            path=path,
            outcome=outcome,
            closed_at=closed_at,
            lost_reason_id=lost_reason.pk if lost_reason else None,
            amount_changes=amount_changes,
            line_items=[(product.pk, quantity, price) for product, quantity, price in line_items],
            contact_ids=self.contacts_by_company.get(company.pk, [])[:1],
        )
        self.next_deal_id += 1
        deal.derive(self.stages[pipeline.pk][-1])
        return deal

    # ------------------------------------------------------------ activities
    def _activities(self, items: list[SimulatedDeal]) -> list[tuple]:
        """Rows for `ACTIVITY_COLUMNS`: one or two per stay, and an open task per open deal."""
        rnd = self.random
        rows = []
        kinds = (
            ActivityKind.CALL,
            ActivityKind.CALL,
            ActivityKind.EMAIL,
            ActivityKind.MEETING,
            ActivityKind.NOTE,
        )
        subjects = {
            ActivityKind.CALL: "Звонок клиенту",
            ActivityKind.EMAIL: "Письмо клиенту",
            ActivityKind.MEETING: "Встреча с клиентом",
            ActivityKind.NOTE: "Заметка по сделке",
            ActivityKind.TASK: "Перезвонить клиенту",
        }
        values = {kind: str(kind.value) for kind in subjects}
        for deal in items:
            ends = [at for _stage, at in deal.path[1:]] + [deal.closed_at or self.end]
            for (stage, entered), left in zip(deal.path, ends, strict=True):
                for _ in range(1 if rnd.random() < 0.6 else 2):
                    kind = rnd.choice(kinds)
                    at = entered + (left - entered) * rnd.random()
                    rows.append(
                        (
                            values[kind],
                            subjects[kind],
                            deal.id,
                            deal.company_id,
                            stage.pk,
                            deal.owner_id,
                            at,
                            at,
                            None,
                        )
                    )
            if deal.outcome == OPEN:
                due = self.end + timedelta(days=rnd.randint(-6, 10), hours=rnd.randint(-8, 0))
                rows.append(
                    (
                        values[ActivityKind.TASK],
                        subjects[ActivityKind.TASK],
                        deal.id,
                        deal.company_id,
                        deal.stage.pk,
                        deal.owner_id,
                        min(due, self.end) - timedelta(days=2),
                        None,
                        due,  # a task may be due later: that is a plan, not history
                    )
                )
        return rows

    def _playbook_progress(self, items: list[SimulatedDeal]) -> list[tuple]:
        """Rows for `PLAYBOOK_COLUMNS`: the first few checklist steps of each open deal's stage."""
        rows = []
        for deal in items:
            if deal.outcome != OPEN:
                continue
            steps = self.steps_by_stage.get(deal.stage.pk, [])
            for step_id in steps[: self.random.randint(0, len(steps))]:
                done_at = deal.stage_entered_at + timedelta(hours=self.random.randint(1, 48))
                rows.append((deal.id, step_id, deal.owner_id, min(done_at, self.end)))
        return rows

    # ------------------------------------------------------------ plans & feedback
    def _plans(self) -> None:
        plans = []
        month = date(self.end_date.year, self.end_date.month, 1)
        months = [month]
        for _ in range(3):
            months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
        months.append((month + timedelta(days=32)).replace(day=1))
        average_won = Decimal(self.config.deals) * Decimal("180000") / Decimal(WEEKS / 4.35) / 12
        for period_start in months:
            for manager in self.managers:
                target = (average_won * Decimal(self.random.uniform(0.9, 1.3))).quantize(
                    Decimal(1000)
                )
                plans.append(
                    Plan(
                        period=PlanPeriod.MONTH,
                        period_start=period_start,
                        dimension=PlanDimension.EMPLOYEE,
                        user=manager,
                        target_amount=target,
                        target_count=max(1, self.config.deals // 1500),
                    )
                )
        quarter_start = date(self.end_date.year, 3 * ((self.end_date.month - 1) // 3) + 1, 1)
        for department in self.departments:
            plans.append(
                Plan(
                    period=PlanPeriod.QUARTER,
                    period_start=quarter_start,
                    dimension=PlanDimension.DEPARTMENT,
                    department=department,
                    target_amount=(average_won * 12).quantize(Decimal(1000)),
                )
            )
        for direction in Direction.objects.all():
            plans.append(
                Plan(
                    period=PlanPeriod.QUARTER,
                    period_start=quarter_start,
                    dimension=PlanDimension.DIRECTION,
                    direction=direction,
                    target_amount=(average_won * 10).quantize(Decimal(1000)),
                )
            )
        Plan.objects.bulk_create(plans)

    def _feedback(self) -> None:
        won = list(
            Deal.objects.filter(status=DealStatus.WON)
            .order_by("-closed_at")
            .values_list("pk", "closed_at")[:200]
        )
        feedback = []
        for deal_id, closed_at in won:
            submitted = self.random.random() < 0.7
            feedback.append(
                Feedback(
                    deal_id=deal_id,
                    token=f"demo-{deal_id}-{self.random.getrandbits(64):016x}",
                    requested_at=min(closed_at + timedelta(days=1), self.end),
                    score=self.random.choices(range(1, 11), (1, 1, 1, 1, 2, 3, 5, 8, 9, 6))[0]
                    if submitted
                    else None,
                    comment="Спасибо, всё прошло хорошо" if submitted else "",
                    submitted_at=min(closed_at + timedelta(days=3), self.end)
                    if submitted
                    else None,
                )
            )
        Feedback.objects.bulk_create(feedback)

    # ------------------------------------------------------------ run
    def run(self) -> DemoSummary:
        if Deal.objects.exists():
            raise ValueError("The database already has deals; demo data goes into an empty one.")
        if connection.vendor == "postgresql":
            # Waiting for each commit's WAL flush doubled the run time; a crash mid-run leaves a
            # partial demo set either way (rerun into an empty database).
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
            self._skip_foreign_key_checks()
        with transaction.atomic():
            self._reference_data()
            with secondary_indexes_rebuilt([Company, Contact]):
                self._companies()
        self.companies_by_pk = {company.pk: company for company in self.companies}
        self.won_company_ids: list[int] = []
        self.steps_by_stage: dict[int, list[int]] = {}
        for stage_id, step_id in Stage.objects.filter(pipeline__in=self.pipelines).values_list(
            "pk", "playbook_steps"
        ):
            if step_id:
                self.steps_by_stage.setdefault(stage_id, []).append(step_id)
        for steps in self.steps_by_stage.values():
            steps.sort()
        self.next_deal_id = table_next_id(Deal)
        self.writers = {
            model: RowWriter(model, columns, now=self.now) for model, columns in HISTORY_TABLES
        }
        self.writers[Activity] = RowWriter(Activity, ACTIVITY_COLUMNS, now=self.now)
        self.writers[PlaybookStepCompletion] = RowWriter(
            PlaybookStepCompletion, PLAYBOOK_COLUMNS, now=self.now
        )
        volumes = self._weekly_volumes()
        # One transaction: a failed run leaves nothing behind (and the indexes in place).
        with transaction.atomic(), secondary_indexes_rebuilt(list(self.writers)):
            self._deals(volumes)
        for model in (Company, Contact, Deal):
            table_sync_id_sequence(model)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
                if self.skipped_foreign_key_checks:
                    cursor.execute("RESET session_replication_role")
        summary_rebuild()
        self._plans()
        self._feedback()
        if self.progress.write:
            self.progress.write("\n")
        self.summary.counts = {
            "deals": Deal.objects.count(),
            "companies": Company.objects.count(),
            "contacts": Contact.objects.count(),
            "activities": Activity.objects.count(),
            "users": User.objects.count(),
        }
        return self.summary

    def _deals(self, volumes: list[int]) -> None:
        mean_volume = sum(volumes) / len(volumes)
        done = 0
        batch: list[SimulatedDeal] = []
        for week, volume in enumerate(volumes):
            # Conversion falls when inflow rises: the team's attention per lead is finite.
            load_factor = (mean_volume / max(volume, 1)) ** 0.35
            week_start = self.start + timedelta(weeks=week)
            moments = sorted(
                week_start
                + timedelta(
                    days=self.random.choice((0, 0, 1, 1, 2, 2, 3, 3, 4, 5)),
                    hours=self.random.uniform(1, 10),
                )
                for _ in range(volume)
            )
            for created_at in moments:
                batch.append(self._simulate(min(created_at, self.end), load_factor))
            if len(batch) >= CHUNK or week == len(volumes) - 1:
                self._write(batch)
                done += len(batch)
                batch = []
                self.progress.update(done)

    def _skip_foreign_key_checks(self) -> None:
        """Every generated reference points at a row written just before, and checking them
        one by one at each commit took most of the run on PostgreSQL. Skipping the checks needs
        a superuser; without one they simply run."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            self.skipped_foreign_key_checks = True
        except DatabaseError:
            self.skipped_foreign_key_checks = False

    def _write(self, batch: list[SimulatedDeal]) -> None:
        rows: dict[type, list[tuple]] = {model: [] for model, _columns in HISTORY_TABLES}
        for deal in batch:
            history_rows(deal, rows)
        for model, model_rows in rows.items():
            self.writers[model].write(model_rows)
        if self.config.activities:
            self.writers[Activity].write(self._activities(batch))
        self.writers[PlaybookStepCompletion].write(self._playbook_progress(batch))


def generate_demo_data(config: DemoConfig, progress: Callable[[str], None] | None = None):
    return DemoGenerator(config, progress).run()
