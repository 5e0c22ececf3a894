"""Value resolution: which pipeline, stage, owner, source or lost reason a file's word means.

Lookups start from what the importing user may see; the user's value-mapping choices win over
name matches. Each lookup raises CellError with a message for the per-row report.
"""

from collections import defaultdict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import Role, User
from voronka.accounts.visibility import visible_deals, visible_users
from voronka.crm.models import LeadSource
from voronka.pipeline.lost_reasons import lost_reason_not_given
from voronka.pipeline.models import DealStatus, LostReason, Pipeline, Stage

from .cells import CellError, parse_status
from .models import ImportJob
from .parsing import cell
from .people import new_owner, owners_create
from .products import ProductResolver

NEW = "new"  # value-map choice: create a lead source / lost reason with the file's name
# Value-map choices for the stage column: the value is an outcome, not an open stage.
OUTCOME_CHOICES = (DealStatus.WON.value, DealStatus.LOST.value)
# Translated only when a row needs them (every row asks for its source and reason).
UNKNOWN_SOURCE = gettext_lazy("Unknown lead source «%(value)s»; map it or create it.")
UNKNOWN_REASON = gettext_lazy("Unknown lost reason «%(value)s»; map it or create it.")
NOT_GIVEN = -2  # lost-reason id placeholder: the built-in «Reason not given», made when writing


def outcome_word(raw: str) -> str | None:
    """ "won"/"lost" for a value that names an outcome (Won, Closed Lost, «Проиграна»…)."""
    try:
        status = parse_status(raw)
    except CellError:
        return None
    return status if status in OUTCOME_CHOICES else None


def normalise_word(text: str) -> str:
    return " ".join(text.strip().lower().replace("ё", "е").split())


def owner_candidates(user: User):
    return visible_users(user).exclude(role=Role.VIEWER)


class Resolver:
    """Looks up pipelines, stages, owners, sources and lost reasons by the file's words."""

    def __init__(self, job: ImportJob, *, use_value_map: bool = True):
        self.job = job
        self.value_map = job.value_map if use_value_map else {}
        self.pipelines = {p.pk: p for p in Pipeline.objects.all()}
        self.pipeline_by_name = {normalise_word(p.name): p for p in self.pipelines.values()}
        self.default_pipeline = next(
            (p for p in self.pipelines.values() if p.is_default), None
        ) or next(iter(self.pipelines.values()), None)
        self.stages = {s.pk: s for s in Stage.objects.order_by("pipeline_id", "order")}
        self._stage_or_outcome_seen: dict[tuple, tuple | CellError] = {}
        self.stage_by_name: dict[tuple[int, str], Stage] = {}
        self.stages_named: dict[str, list[Stage]] = defaultdict(list)
        self.first_stage: dict[int, Stage] = {}
        self.last_stages: dict[int, Stage] = {}
        self.pipeline_stages: dict[int, list[Stage]] = defaultdict(list)
        for stage in self.stages.values():
            self.stage_by_name.setdefault((stage.pipeline_id, normalise_word(stage.name)), stage)
            self.stages_named[normalise_word(stage.name)].append(stage)
            self.first_stage.setdefault(stage.pipeline_id, stage)
            self.last_stages[stage.pipeline_id] = stage
            self.pipeline_stages[stage.pipeline_id].append(stage)
        self.owners = {u.pk: u for u in owner_candidates(job.created_by)}
        self.owner_by_word: dict[str, User] = {}
        for owner in self.owners.values():
            for word in (
                owner.username,
                owner.email,
                f"{owner.first_name} {owner.last_name}",
                f"{owner.last_name} {owner.first_name}",
            ):
                if normalise_word(word):
                    self.owner_by_word.setdefault(normalise_word(word), owner)
        self.sources = {s.pk: s for s in LeadSource.objects.all()}
        self.source_by_name = {normalise_word(s.name): s.pk for s in self.sources.values()}
        self.reasons = {r.pk: r for r in LostReason.objects.all()}
        self.reason_by_name = {normalise_word(r.name): r.pk for r in self.reasons.values()}
        self.created_new: dict[tuple[str, str], int] = {}
        # What create_new_values made (not what it found): rolling the import back removes it.
        self.created_records: dict[str, list[int]] = defaultdict(list)
        self.products = ProductResolver(self.value_map)
        self.new_owners: dict[str, User] = {}
        self._reason_not_given: int | None = None
        self._external_ids: set[str] | None = None

    # -- choices from the value map
    def valid_choice(self, key: str, choice: str) -> bool:
        if key == "stage" and choice in OUTCOME_CHOICES:
            return True
        if key == "product_name":
            return self.products.valid_choice(choice)
        if not choice.isdigit():
            return False
        pk = int(choice)
        table = {
            "pipeline": self.pipelines,
            "stage": self.stages,
            "closed_stage": self.stages,
            "owner": self.owners,
            "lead_source": self.sources,
            "lost_reason": self.reasons,
        }[key]
        return pk in table

    def _mapped(self, key: str, raw: str) -> str:
        return str(self.value_map.get(key, {}).get(raw, ""))

    def knows(self, key: str, raw: str, cells: list[str]) -> bool:
        if key == "product_name":
            return self.products.known(raw)
        try:
            getattr(self, "stage_or_outcome" if key == "stage" else key)(raw, cells)
        except CellError:
            return False
        return True

    # -- lookups; each raises CellError with a message for the report
    def pipeline(self, raw: str, cells=None) -> Pipeline:
        if not raw:
            if self.default_pipeline is None:
                raise CellError(_("There is no pipeline to import into."))
            return self.default_pipeline
        choice = self._mapped("pipeline", raw)
        if choice:
            return self.pipelines[int(choice)]
        found = self.pipeline_by_name.get(normalise_word(raw))
        if found is None:
            raise CellError(
                _("Unknown pipeline «%(value)s»; map it to a pipeline.") % {"value": raw}
            )
        return found

    def _row_pipeline(self, cells) -> Pipeline | None:
        index = self.job.mapping.get("pipeline")
        if cells is None or index is None:
            return None
        try:
            return self.pipeline(cell(cells, index))
        except CellError:
            return None

    def stage_or_outcome(
        self, raw: str, cells=None, pipeline: Pipeline | None = None
    ) -> tuple[Stage | None, str | None]:
        """A stage-column value: (stage, None), or (None, "won"/"lost") when it is an outcome.

        The user's mapping wins; then a stage of that name; then an outcome word. A file
        repeats a few values many times: each (value, pipeline) is resolved once.
        """
        if cells is not None:
            return self._stage_or_outcome(raw, cells, pipeline)
        key = (raw, pipeline.pk if pipeline is not None else None)
        known = self._stage_or_outcome_seen.get(key)
        if known is None:
            try:
                known = self._stage_or_outcome(raw, None, pipeline)
            except CellError as error:
                known = error
            self._stage_or_outcome_seen[key] = known
        if isinstance(known, CellError):
            raise CellError(str(known))
        return known

    def _stage_or_outcome(self, raw: str, cells, pipeline) -> tuple[Stage | None, str | None]:
        choice = self._mapped("stage", raw) if raw else ""
        if choice in OUTCOME_CHOICES:
            return None, choice
        try:
            return self.stage(raw, cells, pipeline), None
        except CellError:
            outcome = outcome_word(raw) if raw and not choice else None
            if outcome is None:
                raise
            return None, outcome

    def closed_stage(self, raw: str, cells=None, pipeline: Pipeline | None = None) -> Stage:
        """The stage a closed deal ended at, from its own column (mapped like the stage)."""
        return self.stage(raw, cells, pipeline, map_key="closed_stage")

    def stage(
        self, raw: str, cells=None, pipeline: Pipeline | None = None, *, map_key: str = "stage"
    ) -> Stage:
        pipeline = pipeline or self._row_pipeline(cells)
        if not raw:
            pipeline = pipeline or self.default_pipeline
            if pipeline is None or pipeline.pk not in self.first_stage:
                raise CellError(_("The pipeline has no stages."))
            return self.first_stage[pipeline.pk]
        choice = self._mapped(map_key, raw)
        if choice in OUTCOME_CHOICES:
            raise CellError(_("«%(value)s» is an outcome, not a stage.") % {"value": raw})
        if choice:
            stage = self.stages[int(choice)]
        elif pipeline is not None:
            stage = self.stage_by_name.get((pipeline.pk, normalise_word(raw)))
        else:
            named = self.stages_named.get(normalise_word(raw), [])
            in_default = [
                s
                for s in named
                if self.default_pipeline and s.pipeline_id == self.default_pipeline.pk
            ]
            stage = (in_default or named or [None])[0]
        if stage is None:
            raise CellError(_("Unknown stage «%(value)s»; map it to a stage.") % {"value": raw})
        if pipeline is not None and stage.pipeline_id != pipeline.pk:
            raise CellError(
                _("Stage «%(stage)s» is not in pipeline «%(pipeline)s».")
                % {"stage": raw, "pipeline": pipeline.name}
            )
        return stage

    def owner(self, raw: str, cells=None) -> User:
        if not raw:
            importer = self.job.created_by
            if importer.role == Role.VIEWER or not importer.is_active:
                raise CellError(_("Choose an owner."))
            return importer
        choice = self._mapped("owner", raw)
        if choice == NEW:  # a user made by this import (saved just before writing)
            return self.new_owners.setdefault(raw, new_owner(raw))
        if choice:
            return self.owners[int(choice)]
        found = self.owner_by_word.get(normalise_word(raw))
        if found is None:
            raise CellError(_("Unknown owner «%(value)s»; map it to a user.") % {"value": raw})
        return found

    def _named(
        self, key: str, raw: str, by_name: dict[str, int], unknown_message: str
    ) -> int | None:
        if not raw:
            return None
        choice = self._mapped(key, raw)
        if choice == NEW:
            return self.created_new.get((key, raw), -1)
        if choice:
            return int(choice)
        found = by_name.get(normalise_word(raw))
        if found is None:
            raise CellError(unknown_message % {"value": raw})
        return found

    def lead_source(self, raw: str, cells=None) -> int | None:
        return self._named("lead_source", raw, self.source_by_name, UNKNOWN_SOURCE)

    def deal_exists(self, external_id: str | None) -> bool:
        """Whether the user can see a deal with this external id (loaded on first use)."""
        if not external_id:
            return False
        if self._external_ids is None:
            self._external_ids = set(
                visible_deals(self.job.created_by)
                .exclude(external_id="")
                .values_list("external_id", flat=True)
            )
        return external_id in self._external_ids

    def last_stage(self, pipeline_id: int) -> Stage:
        return self.last_stages[pipeline_id]

    def lost_reason(self, raw: str, cells=None) -> int | None:
        return self._named("lost_reason", raw, self.reason_by_name, UNKNOWN_REASON)

    def reason_not_given(self) -> int:
        """The built-in «Reason not given» (made on first use)."""
        if self._reason_not_given is None:
            self._reason_not_given = lost_reason_not_given().pk
        return self._reason_not_given

    def create_new_values(self) -> None:
        """Create the owners, lead sources and lost reasons the user chose to add (before
        writing)."""
        for raw, choice in self.value_map.get("owner", {}).items():
            if choice == NEW:
                self.owner(raw)
        owners_create(
            owners=list(self.new_owners.values()),
            department_id=(self.job.options or {}).get("owner_department"),
            user=self.job.created_by,
        )
        for raw, choice in self.value_map.get("lead_source", {}).items():
            if choice == NEW:
                source, created = LeadSource.objects.get_or_create(name=raw.strip()[:120])
                self.created_new[("lead_source", raw)] = source.pk
                if created:
                    self.created_records["lead_source"].append(source.pk)
        for raw, choice in self.value_map.get("lost_reason", {}).items():
            if choice == NEW:
                reason, created = LostReason.objects.get_or_create(name=raw.strip()[:150])
                self.created_new[("lost_reason", raw)] = reason.pk
                if created:
                    self.created_records["lost_reason"].append(reason.pk)
        self.created_records["user"] = [owner.pk for owner in self.new_owners.values()]
