"""The deal card in a real browser: upload, playbook, log a call, move the stage; all survive a reload."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.helpers import screenshot, sign_in, wait_until
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadSourceFactory,
    LostReasonFactory,
    PlaybookStepFactory,
    ProductFactory,
    UserFactory,
    make_pipeline,
)
from voronka.activities.models import Activity
from voronka.activities.services import activity_log
from voronka.documents.models import Document
from voronka.pipeline import services
from voronka.pipeline.models import (
    Deal,
    ExitRequirementKind,
    PlaybookStepCompletion,
    StageExitRequirement,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Screenshots are for a person to look at; they never go into the repository.


@pytest.fixture
def rich_deal(db):
    """A deal as a manager sees it mid-way: history, products, a playbook, documents, a timeline."""
    manager = UserFactory(first_name="Анна", last_name="Смирнова")
    pipeline = make_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    stages[0].rotting_days = 7
    stages[0].save()
    for title in ("Выявить ЛПР", "Уточнить бюджет и сроки", "Назначить встречу"):
        PlaybookStepFactory(stage=stages[1], title=title)
    StageExitRequirement.objects.create(
        stage=stages[1], kind=ExitRequirementKind.DOCUMENT, document_kind="proposal"
    )
    StageExitRequirement.objects.create(
        stage=stages[1], kind=ExitRequirementKind.FIELD, field_name="expected_close_date"
    )
    LostReasonFactory(name="Дорого")
    company = CompanyFactory(name="ООО «Северный ветер»", owner=manager)
    contact = ContactFactory(
        first_name="Игорь", last_name="Волков", position="Директор", company=company, owner=manager
    )
    started = timezone.now() - timedelta(days=12)
    deal = services.deal_create(
        title="Поставка станков ЧПУ",
        owner=manager,
        created_by=manager,
        pipeline=pipeline,
        company=company,
        contacts=[contact],
        amount=Decimal("1250000"),
        lead_source=LeadSourceFactory(name="Выставка"),
        description="Клиент модернизирует цех, нужен запуск до конца квартала.",
        at=started,
    )
    services.deal_move_stage(
        deal=deal, stage=stages[1], user=manager, at=started + timedelta(days=3)
    )
    services.deal_change_amount(
        deal=deal, amount=Decimal("1480000"), user=manager, at=started + timedelta(days=4)
    )
    services.line_item_add(
        deal=deal,
        product=ProductFactory(name="Станок ЧПУ VX-500", price=Decimal("640000")),
        quantity=Decimal(2),
        unit_price=None,
        user=manager,
    )
    ProductFactory(name="Пусконаладка", price=Decimal("85000"))
    services.playbook_step_complete(deal=deal, step=stages[1].playbook_steps.first(), user=manager)
    activity_log(
        kind="call",
        subject="Первый звонок: интерес подтверждён",
        body="Обсудили объём, ждут КП.",
        owner=manager,
        deal=deal,
        at=started + timedelta(days=1),
    )
    activity_log(
        kind="meeting",
        subject="Встреча на производстве",
        owner=manager,
        deal=deal,
        at=started + timedelta(days=5),
    )
    activity_log(
        kind="task",
        subject="Отправить КП",
        owner=manager,
        deal=deal,
        due_at=timezone.now() + timedelta(days=1),
    )
    deal.refresh_from_db()
    return deal


def _open_card(page, deal, user, language="ru"):
    sign_in(page, user, language)
    page.goto(f"{page.base_url}/deals/{deal.pk}/")
    page.wait_for_selector("#deal-card")


def test_deal_card_actions_survive_a_reload(page, rich_deal, tmp_path):
    deal = rich_deal
    _open_card(page, deal, deal.owner)
    screenshot(page, "deal_card_ru")

    # Upload a proposal: it lists with its stage and satisfies the exit requirement.
    proposal = tmp_path / "kp.pdf"
    proposal.write_bytes(b"%PDF-1.4 test proposal")
    page.select_option("#deal-documents select[name=kind]", "proposal")
    page.set_input_files("[data-testid=document-file]", str(proposal))
    page.click("[data-testid=document-upload]")
    page.wait_for_selector("#deal-documents .doc-name:has-text('kp.pdf')")

    # Complete the second playbook step.
    step = deal.stage.playbook_steps.order_by("order", "pk")[1]
    page.click(f"[data-testid=playbook-step-{step.pk}]")
    page.wait_for_selector(f"[data-testid=playbook-step-{step.pk}][aria-checked=true]")

    # Log a call from the composer.
    page.check("[data-testid=composer-call]", force=True)
    page.fill("[data-testid=composer-subject]", "Звонок: согласовали сроки")
    page.click("[data-testid=composer-save]")
    page.wait_for_selector("#deal-timeline :text('Звонок: согласовали сроки')")

    # Moving forward is refused while the close date is empty; the reason shows.
    next_stage = deal.pipeline.stages.get(order=3)
    page.click(f"[data-stage='{next_stage.pk}']")
    page.wait_for_selector("[data-testid=stage-error]")
    assert "Expected close date" in page.inner_text(
        "[data-testid=stage-error]"
    ) or "закрытия" in page.inner_text("[data-testid=stage-error]")

    # Fill the date inline, then move through the progress bar.
    page.click("[data-testid=edit-expected_close_date]")
    page.fill("[data-testid=inline-edit-expected_close_date] input[type=date]", "2030-03-31")
    page.click("[data-testid=save-expected_close_date]")
    page.wait_for_selector("[data-testid=value-expected_close_date]:not(:has-text('—'))")
    page.click(f"[data-stage='{next_stage.pk}']")
    page.wait_for_selector(f".stage-step.current [data-stage='{next_stage.pk}']")

    page.reload()
    page.wait_for_selector("#deal-card")
    assert page.locator("#deal-documents .doc-name", has_text="kp.pdf").count() == 1
    assert page.locator("#deal-timeline", has_text="Звонок: согласовали сроки").count() == 1
    assert page.locator(f".stage-step.current [data-stage='{next_stage.pk}']").count() == 1

    deal.refresh_from_db()
    assert deal.stage_id == next_stage.pk
    assert Document.objects.filter(deal=deal, kind="proposal", stage__order=2).count() == 1
    assert PlaybookStepCompletion.objects.filter(deal=deal, step=step).exists()
    assert Activity.objects.filter(deal=deal, kind="call", subject__contains="сроки").count() == 1
    assert Deal.objects.get(pk=deal.pk).expected_close_date.isoformat() == "2030-03-31"
    screenshot(page, "deal_card_ru_after")


def test_deal_card_in_english(page, rich_deal):
    _open_card(page, rich_deal, rich_deal.owner, language="en")
    assert page.locator("h2", has_text="Timeline").count() == 1
    screenshot(page, "deal_card_en")

    # Inline editing shows the validation message in place, then saves a good value.
    page.click("[data-testid=edit-amount]")
    page.fill("[data-testid=inline-edit-amount] input[name=amount]", "a lot")
    page.click("[data-testid=save-amount]")
    page.wait_for_selector("#field-amount .errorlist :text('Enter a number.')")
    screenshot(page, "deal_card_en_inline_error")
    page.fill("[data-testid=inline-edit-amount] input[name=amount]", "2 500 000")
    page.click("[data-testid=save-amount]")
    page.wait_for_selector("[data-testid=deal-amount]:has-text('2,500,000.00\u00a0₽')")
    assert Deal.objects.get(pk=rich_deal.pk).amount == Decimal("2500000.00")


def test_lost_asks_for_a_reason_then_reopen_and_complete_a_task(page, rich_deal):
    deal = rich_deal
    _open_card(page, deal, deal.owner, language="en")
    task = Activity.objects.get(deal=deal, kind="task")
    page.click(f"[data-testid=task-done-{task.pk}]")
    page.wait_for_selector(f"#deal-timeline :text('{task.subject}')")
    assert page.locator(f"#deal-task-{task.pk}").count() == 0

    page.click("[data-testid=deal-lose-open]")
    screenshot(page, "deal_card_en_lost_popover")
    # The reason is required: the browser keeps the form until one is chosen.
    page.click("[data-testid=deal-lose]")
    assert Deal.objects.get(pk=deal.pk).status == "open"
    page.select_option("#lost-reason", label="Дорого")
    page.fill(".lose-popover textarea[name=comment]", "Выбрали конкурента")
    page.click("[data-testid=deal-lose]")
    page.wait_for_selector("[data-testid=deal-reopen]")
    assert "Lost" in page.inner_text("[data-testid=stage-bar]")
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason.name, deal.lost_comment) == (
        "lost",
        "Дорого",
        "Выбрали конкурента",
    )
    page.click("[data-testid=deal-reopen]")
    page.wait_for_selector("[data-testid=deal-win]")
    assert Deal.objects.get(pk=deal.pk).status == "open"
    assert Activity.objects.get(pk=task.pk).done_at is not None


def test_send_a_templated_email_from_the_deal(page, rich_deal):
    from voronka.emails.services import email_template_save

    template = email_template_save(
        name="КП",
        subject="Предложение: {deal.title}",
        body="Здравствуйте, {contact.name}! Сумма: {deal.amount}. {manager.name}",
    )
    deal = rich_deal
    _open_card(page, deal, deal.owner)
    page.click("[data-testid=email-compose]")
    page.wait_for_selector("#id_template")
    page.select_option("#id_template", str(template.pk))
    wait_until(page, "document.querySelector('#id_subject').value.startsWith('Предложение')")
    assert page.input_value("#id_subject") == "Предложение: Поставка станков ЧПУ"
    assert page.input_value("#id_body") == (
        "Здравствуйте, Игорь Волков! Сумма: 1\u00a0280\u00a0000,00 RUB. Анна Смирнова"
    )
    screenshot(page, "email_compose_ru")
    page.click("button:has-text('Отправить'), button:has-text('Send')")
    page.wait_for_selector("#deal-timeline :text('Предложение: Поставка станков ЧПУ')")
    email = Activity.objects.get(deal=deal, kind="email")
    assert email.contact.full_name == "Игорь Волков"


def test_my_tasks_page(page, rich_deal):
    deal = rich_deal
    activity_log(
        kind="call",
        subject="Перезвонить по договору",
        owner=deal.owner,
        deal=deal,
        due_at=timezone.now() - timedelta(days=2),
    )
    for language in ("en", "ru"):
        sign_in(page, deal.owner, language)
        page.goto(f"{page.base_url}/activities/?tab=overdue")
        page.wait_for_selector("table.tasks-table")
        screenshot(page, f"my_tasks_{language}")
    overdue = Activity.objects.get(subject="Перезвонить по договору")
    page.click(f"[data-testid=toggle-{overdue.pk}]")
    page.wait_for_selector(f"#task-{overdue.pk}.is-done")
    assert Activity.objects.get(pk=overdue.pk).done_at is not None
