"""One shared data set for the access matrix: everything owned by a manager of department A.

The actors look at it from outside: a viewer, another manager of department A, a manager and a
head of department B, and an administrator (plus anonymous).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DepartmentFactory,
    DirectionFactory,
    LeadSourceFactory,
    LostReasonFactory,
    PlaybookStepFactory,
    ProductFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)

ACTORS = ("anonymous", "viewer", "manager", "other_manager", "other_head", "admin")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)


def build_world() -> World:
    from axes.models import AccessAttempt

    from voronka.activities.services import activity_log
    from voronka.api.models import WebhookEndpoint
    from voronka.api.services import api_token_create
    from voronka.crm.models import LeadSourceCost
    from voronka.customfields.models import CustomFieldDefinition
    from voronka.documents.models import Document
    from voronka.emails.models import EmailTemplate
    from voronka.feedback.models import Feedback
    from voronka.imports.models import ImportJob
    from voronka.pipeline.models import DealLineItem, StageExitRequirement
    from voronka.plans.models import Plan

    world = World()
    home, away = DepartmentFactory(name="A"), DepartmentFactory(name="B")
    owner = UserFactory(role="manager", department=home, username="owner")
    world.users = {
        "owner": owner,
        "viewer": UserFactory(role="viewer", department=home, username="viewer"),
        "manager": UserFactory(role="manager", department=home, username="manager"),
        "other_manager": UserFactory(role="manager", department=away, username="other_manager"),
        "other_head": UserFactory(role="head", department=away, username="other_head"),
        "admin": UserFactory(
            role="admin", department=None, is_staff=True, is_superuser=True, username="admin"
        ),
    }
    pipeline = make_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    source = LeadSourceFactory()
    company = CompanyFactory(owner=owner)
    contact = ContactFactory(owner=owner, company=company)
    product = ProductFactory(direction=DirectionFactory())
    deal = make_deal(owner=owner, pipeline=pipeline, company=company, lead_source=source)
    deal.contacts.add(contact)
    line_item = DealLineItem.objects.create(
        deal=deal, product=product, quantity=1, unit_price=Decimal(10)
    )
    task = activity_log(
        kind="task",
        subject="Call",
        owner=owner,
        deal=deal,
        due_at=timezone.now() + timedelta(days=1),
    )
    document = Document.objects.create(
        deal=deal,
        kind="other",
        file=ContentFile(b"%PDF-1.4", name="offer.pdf"),
        original_name="offer.pdf",
        content_type="application/pdf",
        size=8,
        stage=deal.stage,
        uploaded_by=owner,
    )
    world.objects = {
        "pipeline": pipeline,
        "stage": stages[1],
        "step": PlaybookStepFactory(stage=stages[0]),
        "requirement": StageExitRequirement.objects.create(stage=stages[1], kind="playbook"),
        "lost_reason": LostReasonFactory(),
        "lead_source": source,
        "lead_cost": LeadSourceCost.objects.create(
            source=source, month=date(2026, 1, 1), amount=Decimal(100)
        ),
        "direction": product.direction,
        "product": product,
        "company": company,
        "contact": contact,
        "deal": deal,
        "line_item": line_item,
        "activity": task,
        "document": document,
        "email_template": EmailTemplate.objects.create(
            name="Hello", subject="Hi", body="Text", created_by=world.users["admin"]
        ),
        "plan": Plan.objects.create(
            period="month",
            period_start=date.today().replace(day=1),
            dimension="employee",
            user=owner,
            target_amount=Decimal(1000),
            created_by=world.users["admin"],
        ),
        "import_job": ImportJob.objects.create(
            kind="companies", created_by=owner, file_name="a.csv", content=b"name\nA\n"
        ),
        "feedback": Feedback.objects.create(deal=deal),
        "webhook": WebhookEndpoint.objects.create(
            url="https://hooks.example.com/x",
            secret="s" * 20,
            events=["deal.won"],
            created_by=world.users["admin"],
        ),
        "owner_token": api_token_create(user=owner, name="owner's").token,
        "lockout": AccessAttempt.objects.create(
            username="owner",
            ip_address="10.0.0.1",
            user_agent="test",
            http_accept="*/*",
            path_info="/accounts/login/",
            failures_since_start=9,
            get_data="",
            post_data="",
        ),
        "custom_field": CustomFieldDefinition.objects.create(
            entity="deal", code="region", label="Region", kind="text"
        ),
        "department": home,
        "user": owner,
    }
    for actor in ACTORS[1:]:
        world.tokens[actor] = api_token_create(user=world.users[actor], name="matrix").raw
    return world
