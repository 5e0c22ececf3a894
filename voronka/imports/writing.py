"""Writing rows in batches: all or nothing per row, deals with their full history."""

from collections import defaultdict
from decimal import Decimal

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.visibility import visible_deals
from voronka.core.errors import DomainError
from voronka.crm.models import Company, LeadSource
from voronka.pipeline import services as deal_services
from voronka.pipeline.bulk import HistoricalDeal, NewDeal, NewLineItem, write_historical_deals
from voronka.pipeline.models import Deal, DealStatus, LostReason, Stage
from voronka.pipeline.services import MAX_AMOUNT, AmountTooLarge

from .cells import CENT
from .models import ImportJob, ImportKind, OnMatch
from .products import write_products
from .reading import Row, RowProblem
from .resolving import Resolver
from .rollback import remember_created
from .users import write_users
from .writing_parties import BATCH_SIZE, PartiesWriter, RowFailure


class RowWriter(PartiesWriter):
    """Writes batches of rows; keeps what earlier batches created so a file never duplicates."""

    def __init__(self, job: ImportJob, resolver: Resolver):
        self.job = job
        self.user = job.created_by
        self.resolver = resolver
        self.update = job.on_match == OnMatch.UPDATE
        self.deal_key_by_external_id = "external_id" in job.mapping and job.kind == ImportKind.DEALS
        # committed caches: key -> pk
        self.companies: dict[tuple, int] = {}
        self.contacts: dict[tuple, int] = {}
        self.deals: dict[tuple, int] = {}
        self.sees_everything = self.user.sees_everything
        self.hidden_companies: set[int] = set()  # matched, but not visible to the user
        self.hidden_contacts: set[int] = set()
        # Companies whose deals this import created or changed: their returning-customer
        # flags are computed once, after the whole file (never batch by batch).
        self.touched_companies: set[int] = set()

    # -- batch control
    def write_batch(self, rows: list[Row]) -> tuple[list[str], list[RowProblem]]:
        """Write rows in one transaction; if that fails, row by row in savepoints."""
        # Each batch looks up again the deals and companies its rows name, so the caches of
        # earlier batches are not needed; dropping them keeps memory flat over a long file.
        # (Contacts stay: one without a company is matched by name across the whole file.)
        self.deals.clear()
        self.companies.clear()
        snapshot = self._snapshot()
        try:
            with transaction.atomic():
                return self._write(rows), []
        except (RowFailure, DomainError, DatabaseError, ValueError):
            self._restore(snapshot)
        outcomes, problems = [], []
        for row in rows:
            snapshot = self._snapshot()
            try:
                with transaction.atomic():
                    outcomes += self._write([row])
            except RowFailure as error:
                self._restore(snapshot)
                problems.append(RowProblem(row.line, error.column, error.message))
            except DomainError as error:
                self._restore(snapshot)
                problems.append(RowProblem(row.line, error.field or "", str(error.message)))
            except (IntegrityError, DatabaseError, ValueError) as error:
                self._restore(snapshot)
                problems.append(
                    RowProblem(
                        row.line,
                        "",
                        _("Conflicts with existing data: %(error)s") % {"error": error},
                    )
                )
        return outcomes, problems

    def _snapshot(self):
        records = dict(self.job.created_records or {})
        return (dict(self.companies), dict(self.contacts), dict(self.deals), records)

    def _restore(self, snapshot) -> None:
        self.companies, self.contacts, self.deals, self.job.created_records = snapshot

    def _write(self, rows: list[Row]) -> list[str]:
        if self.job.kind == ImportKind.DEALS:
            return self._write_deals(rows)
        if self.job.kind == ImportKind.COMPANIES:
            return self._write_companies(rows)
        if self.job.kind in (ImportKind.PRODUCTS, ImportKind.USERS):
            write = write_products if self.job.kind == ImportKind.PRODUCTS else write_users
            made: dict[str, list[int]] = defaultdict(list)
            outcomes = write(rows, update=self.update, made=made)
            # In this batch's transaction: a resumed job, and rolling it back, know them.
            remember_created(self.job, made)
            return outcomes
        return self._write_contacts(rows)

    # -- deals
    def _deal_key(self, values: dict, company_id: int | None) -> tuple:
        if self.deal_key_by_external_id and values.get("external_id"):
            return ("ext", values["external_id"])
        return (
            "nat",
            values.get("title", ""),
            company_id,
            timezone.localtime(values["created_at"]).date(),
        )

    def _prefetch_deals(
        self, rows: list[Row], company_ids: dict[int, int | None]
    ) -> dict[int, Deal]:
        externals = {r.values["external_id"] for r in rows if r.values.get("external_id")}
        titles = {r.values.get("title", "") for r in rows} - {""}
        companies = {company_ids.get(r.line) for r in rows}
        query = Q(external_id__any_of=externals) if externals else Q(pk__in=[])
        natural = Q(title__any_of=titles) & (
            Q(company_id__any_of=companies - {None}) | Q(company__isnull=True)
            if None in companies
            else Q(company_id__any_of=companies)
        )
        if not self.deal_key_by_external_id or any(not r.values.get("external_id") for r in rows):
            query |= natural
        found = {}
        for deal in Deal.objects.filter(query).select_related(
            "stage", "furthest_stage", "pipeline"
        ):
            found[deal.pk] = deal
            if deal.external_id:
                self.deals.setdefault(("ext", deal.external_id), deal.pk)
            date = timezone.localtime(deal.created_at).date()
            self.deals.setdefault(("nat", deal.title, deal.company_id, date), deal.pk)
        if found and not self.sees_everything:
            self.visible_deal_ids = set(
                visible_deals(self.user).filter(pk__in=found).values_list("pk", flat=True)
            )
        else:
            self.visible_deal_ids = set(found)
        return found

    def _write_deals(self, rows: list[Row]) -> list[str]:
        companies = self._resolve_companies(rows, update=False)
        company_ids = {line: pk for line, (pk, _outcome) in companies.items()}
        contacts = self._resolve_contacts(rows, company_ids, update=False)
        existing = self._prefetch_deals(rows, company_ids)
        outcomes: dict[int, str] = {}
        new_items: list[tuple[Row, tuple, HistoricalDeal]] = []
        new_by_key: dict[tuple, HistoricalDeal] = {}
        for row in rows:
            values = row.values
            company_id = company_ids[row.line]
            key = self._deal_key(values, company_id)
            pk = self.deals.get(key)
            if pk is not None or key in new_by_key:
                if pk is None:  # the same deal again: the first row wins, its product adds a line
                    added = self._add_new_line(new_by_key[key], values.get("line_item"))
                    outcomes[row.line] = "updated" if added else "skipped"
                    continue
                if pk in existing and pk not in self.visible_deal_ids:
                    raise RowFailure(self._title_column(), _("Matches a deal you cannot see."))
                outcomes[row.line] = (
                    self._update_deal(existing[pk], values, company_id)
                    if self.update and pk in existing
                    else "skipped"
                )
                if existing.get(pk) is not None and existing[pk].company_id:
                    self.touched_companies.add(existing[pk].company_id)
                continue
            if not values.get("title"):
                raise RowFailure(
                    self._title_column() or str(_("External id")),
                    _("No deal you can see has this external id; give a title to create it."),
                )
            item = self._historical(values, company_id, contacts[row.line][0])
            new_by_key[key] = item
            new_items.append((row, key, item))
            outcomes[row.line] = "created"
        if new_items:
            self._mark_returning([item for _row, _key, item in new_items])
            deals = write_historical_deals(
                [item for _row, _key, item in new_items], batch_size=BATCH_SIZE
            )
            for (_row, key, _item), deal in zip(new_items, deals, strict=True):
                self.deals[key] = deal.pk
                if deal.company_id:
                    self.touched_companies.add(deal.company_id)
        return [outcomes[row.line] for row in rows]

    @staticmethod
    def _mark_returning(items: list[HistoricalDeal]) -> None:
        """Set each new deal's "returning customer" flag as the refresh after the whole file
        will find it in most files: its company won a deal at or before its creation, in the
        database or in this batch. The refresh then rewrites only the deals a later line of
        the file changes (a file sorted newest first), not every returning deal."""
        companies = {item.deal.company_id for item in items} - {None}
        if not companies:
            return
        first_win = dict(
            Deal.objects.filter(
                company_id__any_of=companies, status=DealStatus.WON, closed_at__isnull=False
            )
            .values("company_id")
            .annotate(first=Min("closed_at"))
            .values_list("company_id", "first")
            .order_by()
        )
        # Per company, the two earliest wins of the batch: a deal's own win never counts.
        batch_wins: dict[int, list[tuple]] = defaultdict(list)
        for index, item in enumerate(items):
            if item.outcome == DealStatus.WON and item.closed_at and item.deal.company_id:
                wins = batch_wins[item.deal.company_id]
                wins.append((item.closed_at, index))
                wins.sort()
                del wins[2:]
        for index, item in enumerate(items):
            company = item.deal.company_id
            if company is None:
                continue
            created = item.path[0][1]
            earliest = [first_win.get(company)]
            earliest += [won for won, other in batch_wins.get(company, ()) if other != index]
            item.deal.is_returning_customer = any(
                won is not None and won <= created for won in earliest
            )

    def _line(self, line_item) -> NewLineItem | None:
        if line_item is None:
            return None
        product = self.resolver.products.products[line_item.product_id]
        price = product.price if line_item.unit_price is None else line_item.unit_price
        return NewLineItem(product_id=product.pk, quantity=line_item.quantity, unit_price=price)

    def _add_new_line(self, item: HistoricalDeal, line_item) -> bool:
        """Another row of a deal being created: its product becomes one more line item."""
        line = self._line(line_item)
        if line is None or any(old.product_id == line.product_id for old in item.line_items):
            return False
        item.line_items = [*item.line_items, line]
        item.deal.amount = _line_total(item.line_items)
        return True

    def _add_existing_line(self, deal: Deal, line_item) -> bool:
        """A row of a deal imported before: its product is added once (a re-run adds nothing),
        through the deal card's service, so the amount becomes the sum of the lines."""
        line = self._line(line_item)
        if line is None or deal.line_items.filter(product_id=line.product_id).exists():
            return False
        deal_services.line_item_add(
            deal=deal,
            product=self.resolver.products.products[line.product_id],
            quantity=line.quantity,
            unit_price=line.unit_price,
            user=self.user,
        )
        return True

    def _title_column(self) -> str:
        index = self.job.mapping.get("title")
        return self.job.headers[index] if index is not None else ""

    def _historical(
        self, values: dict, company_id: int | None, contact_id: int | None
    ) -> HistoricalDeal:
        stage: Stage = values["stage"]
        pipeline_id = stage.pipeline_id
        first_stage = self.resolver.first_stage[pipeline_id]
        created = values["created_at"]
        path = [(first_stage, created)]
        if values.get("_passed_every_stage"):
            # The file says "won" and nothing more: the deal went through every stage.
            later = self.resolver.pipeline_stages[pipeline_id][1:]
            path += [(each, values["stage_entered_at"]) for each in later]
        elif stage.pk != first_stage.pk:
            path.append((stage, values["stage_entered_at"]))
        deal = NewDeal(
            title=values["title"],
            owner_id=values["owner"].pk,
            created_by_id=self.user.pk,
            pipeline_id=pipeline_id,
            company_id=company_id,
            amount=values["amount"],
            currency=values["currency"],
            lead_source_id=values.get("lead_source_id"),
            expected_close_date=values.get("expected_close_date"),
            first_contact_at=values.get("first_contact_at") or created,
            created_at=created,  # given, so that no default is computed (the path sets both)
            stage_entered_at=path[-1][1],
            description=values.get("description", ""),
            external_id=values.get("external_id", ""),
            custom_fields=values.get("custom_fields", {}),
            import_job_id=self.job.pk,
        )
        line = self._line(values.get("line_item"))
        if line is not None:  # the deal card's rule: the amount is the sum of the lines
            deal.amount = _line_total([line])
        return HistoricalDeal(
            deal=deal,
            line_items=[line] if line is not None else [],
            path=path,
            outcome=values["status"],
            closed_at=values["closed_at"],
            lost_reason_id=values.get("lost_reason_id"),
            lost_comment=values.get("lost_comment", ""),
            contact_ids=[contact_id] if contact_id else [],
            actor_id=values["owner"].pk,
        )

    def _update_deal(self, deal: Deal, values: dict, company_id: int | None) -> str:
        """Bring an existing deal in line with the row, through the deal services."""
        changed = self._add_existing_line(deal, values.get("line_item"))
        fields = {}
        for key in ("title", "currency", "expected_close_date", "description", "external_id"):
            if (
                key in values
                and values[key] not in (None, "")
                and getattr(deal, key) != values[key]
            ):
                fields[key] = values[key]
        if values.get("lead_source_id") and deal.lead_source_id != values["lead_source_id"]:
            fields["lead_source_id"] = values["lead_source_id"]
        if company_id and deal.company_id != company_id:
            fields["company_id"] = company_id
        if fields:
            plain = {
                key.removesuffix("_id"): value
                for key, value in fields.items()
                if not key.endswith("_id") or key == "external_id"
            }
            if "lead_source_id" in fields:
                plain["lead_source"] = LeadSource.objects.get(pk=fields["lead_source_id"])
            if "company_id" in fields:
                plain["company"] = Company.objects.get(pk=fields["company_id"])
            deal_services.deal_update(deal=deal, user=self.user, **plain)
            changed = True
        has_lines = "product_name" in self.job.mapping and deal.line_items.exists()
        if "amount" in self.job.mapping and not has_lines and deal.amount != values["amount"]:
            deal_services.deal_change_amount(deal=deal, amount=values["amount"], user=self.user)
            changed = True
        if values["owner"].pk != deal.owner_id and "owner" in self.job.mapping:
            deal_services.deal_reassign(deal=deal, new_owner=values["owner"], user=self.user)
            changed = True
        if deal.is_open:
            stage = values.get("stage")
            moves = stage is not None and "stage" in self.job.mapping
            if moves and not values.get("_stage_assumed") and stage.pk != deal.stage_id:
                at = max(values["stage_entered_at"], deal.stage_entered_at)
                deal_services.deal_move_stage(deal=deal, stage=stage, user=self.user, at=at)
                changed = True
            closed_at = values.get("closed_at")
            if values["status"] == DealStatus.WON:
                deal_services.deal_win(
                    deal=deal, user=self.user, at=max(closed_at, deal.stage_entered_at)
                )
                changed = True
            elif values["status"] == DealStatus.LOST:
                reason = LostReason.objects.get(pk=values["lost_reason_id"])
                deal_services.deal_lose(
                    deal=deal, user=self.user, reason=reason, comment=values.get("lost_comment", ""),
                    at=max(closed_at, deal.stage_entered_at),
                )  # fmt: skip
                changed = True
        return "updated" if changed else "skipped"


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())[-10:]


def _line_total(lines) -> Decimal:
    total = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    if total >= MAX_AMOUNT:
        raise AmountTooLarge(field="quantity")
    return total.quantize(CENT)
