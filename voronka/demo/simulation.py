"""The demo's deals and their history: weekly inflow, each deal's path through the stages
(skill of its managers, source, customer type, load, budget cuts, stalls), its activities and
playbook progress. A part of `DemoGenerator` (generator.py), which holds the run's state."""

import math
from datetime import datetime, timedelta
from decimal import Decimal

from voronka.activities.models import ActivityKind

from .rows import LOST, OPEN, WON, SimulatedDeal
from .vocabulary import CUSTOMER_TYPES, LOST_REASON_WEIGHTS, SOURCES, STAGE_DAYS, WEEKS


class DealSimulation:
    """The generator's deal-simulation steps (mixed into `DemoGenerator`)."""

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
