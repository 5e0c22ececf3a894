"""The demo's reference data and what hangs on it: the organisation, departments and users,
pipelines, lead sources, products, lost reasons, email templates, companies and contacts, and,
after the deals, the plans and the customer feedback. A part of `DemoGenerator`
(generator.py), which holds the run's state."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from voronka.accounts.models import Department, Role, User
from voronka.catalog.models import Direction, Product
from voronka.core.models import Organisation
from voronka.core.row_copy import RowWriter, table_next_id
from voronka.crm.models import Company, Contact, LeadSource, LeadSourceCost
from voronka.emails.models import EmailTemplate
from voronka.feedback.models import Feedback
from voronka.pipeline.blueprints import (
    AIDA,
    B2B_SALES,
    DEFAULT_LOST_REASONS,
    pipeline_create_from_blueprint,
)
from voronka.pipeline.models import Deal, DealStatus, LostReason, Pipeline
from voronka.plans.models import Plan, PlanDimension, PlanPeriod

from .vocabulary import (
    COMPANY_PREFIXES,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    CUSTOMER_TYPES,
    DEMO_PASSWORD,
    DEPARTMENTS,
    DIRECTIONS,
    FEMALE_FIRST_NAMES,
    FIRST_NAMES,
    HEADS,
    INDUSTRIES,
    LAST_NAMES,
    MANAGERS,
    POSITIONS,
    SKILL_PROFILES,
    SOURCES,
    WEEKS,
)


@dataclass(frozen=True, slots=True)
class DemoCompany:
    pk: int
    name: str
    customer_type: str
    owner_id: int


class ReferenceData:
    """The generator's reference-data steps (mixed into `DemoGenerator`)."""

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
            for order, name in enumerate(DEFAULT_LOST_REASONS)
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
                if first in FEMALE_FIRST_NAMES:
                    last += "а"
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
