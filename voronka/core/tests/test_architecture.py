"""The architecture rules of docs/architecture.md, checked over the source tree.

1. Writes go through services: no `.save()`, `.delete()`, `.create()`, `.update()`,
   `bulk_create()` … on a model outside a service module, migrations, the bulk writer, the demo
   generator and tests, except the few documented exceptions below (each with its reason).
2. Views and routers read domain rows through a visibility helper or a selector, never through
   `<Model>.objects` of a row-level-visible model (reference data such as stages is allowed).
3. No module passes ~600 lines.
4. The apps form layers (`LAYERS`): a module imports only its own app and apps of lower layers,
   never a higher or a sibling one (a higher app reaches down through hooks, `core/hooks.py`,
   or events, `core/events.py`).
"""

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]  # voronka/
MAX_LINES = 600
# Known exceptions to the size rule, each to be split by its owner (none now).
LONG_MODULES: dict[str, str] = {}

WRITE_METHODS = {
    "save",
    "delete",
    "create",
    "update",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
# Receivers whose `.save()`/`.delete()` are not model writes.
NOT_MODELS = {"workbook", "default_storage", "storage", "cache", "session", "zip_file"}
QUERYSET_METHODS = {"objects", "_base_manager", "filter", "exclude", "all", "select_for_update"}

# Modules that write models by design, and why. Keep this list short.
WRITE_EXCEPTIONS = {
    "pipeline/bulk.py": "the bulk writer (list-page bulk actions write many deals in one go)",
    "demo/reference.py": "the demo generator's reference data, plans and feedback, in bulk",
    "pipeline/blueprints.py": "installs a pipeline template; called by administration services",
    "pipeline/lost_reasons.py": "the built-in «Reason not given» lost reason, made on first use",
    "core/models.py": "Organisation.current() creates the singleton row on first use",
    "backups/archive.py": "restoring a backup writes the archived rows as they were",
    "accounts/lockouts.py": "django-axes' own AccessAttempt rows, not a domain model",
    "api/auth.py": "bookkeeping: a token's last use is stamped on each request",
    "api/webhooks.py": "the delivery log row of each webhook attempt",
    "analytics/win_probability.py": "the cached win-probability column, recomputed in bulk",
    "analytics/summary.py": "the pre-aggregated analytics tables (a cache, rebuilt in bulk)",
    # The importer (IMPORT-A's rewrite): job bookkeeping and the bulk path for companies/contacts.
    "imports/running.py": "import-job bookkeeping (status, progress) while a job runs",
    "imports/checking.py": "import-job bookkeeping (the check's report)",
    "imports/writing_parties.py": "the importer's bulk writer for companies and contacts",
    "imports/resolving.py": "the importer creates a lead source or lost reason named in a file",
    "imports/people.py": "the users import kind",
    "imports/users.py": "the users import kind (accounts are made as the file says)",
    "imports/rollback.py": "rolling an import back deletes what it created in set-based DELETEs, "
    "including the append-only history of the deals it created (the only deleter of history)",
}

# Row-level-visible models: views and routers reach them through visibility helpers/selectors.
VISIBLE_MODELS = {
    "Deal",
    "Company",
    "Contact",
    "Activity",
    "Document",
    "Plan",
    "DealLineItem",
    "StageChange",
    "StageVisit",
    "AmountChange",
    "OwnerChange",
    "Feedback",
    "ImportJob",
    "User",
}
# (module, model) pairs a view or router may query directly, and why.
READ_EXCEPTIONS = {
    ("administration/views/pipelines.py", "Deal"): "admin-only settings: open-deal counts",
    ("administration/views/users.py", "User"): "admin-only settings: the user list",
    ("administration/views/start.py", "User"): "admin-only first-run page: are there users",
    ("administration/views/start.py", "Deal"): "admin-only first-run page: are there deals",
    ("feedback/views.py", "Feedback"): "the public answer page: its token is the key",
    ("imports/views.py", "ImportJob"): "import jobs: the importer's own (its creator or admins)",
}


# The apps from the bottom up; an app imports only from its own and from lower layers.
LAYERS = (
    ("core",),
    ("accounts",),
    ("catalog", "customfields"),
    ("crm",),
    ("pipeline",),
    ("activities", "documents", "plans"),
    ("emails",),
    ("feedback",),
    ("analytics", "backups"),
    ("administration",),
    ("api", "imports", "demo"),
)
# (module, app) pairs that import upwards, and why. Keep this list short.
LAYER_EXCEPTIONS = {
    **{
        ("accounts/visibility.py", app): "the one row-level visibility module reads every "
        "domain's model (imported inside each helper, at call time)"
        for app in ("crm", "pipeline", "activities", "documents", "feedback")
    },
    ("crm/selectors.py", "pipeline"): "a company's maturity and its card read the company's deals",
    ("crm/selectors.py", "activities"): "a company's card lists the activities of the company, "
    "its deals and its people (one UNION of index searches)",
    ("customfields/views.py", "crm"): "the custom values form saves through company_update",
    ("customfields/views.py", "pipeline"): "the custom values form saves through deal_update",
    ("pipeline/views/deal.py", "activities"): "the deal card lists the deal's activities and "
    "closes its open tasks after a win or a loss",
}


def _modules():
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        parts = relative.split("/")
        if "tests" in parts or "migrations" in parts:
            continue
        yield relative, path


def _is_service_module(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return name == "services.py" or name.endswith("_services.py") or "/services/" in relative


def _is_documented_command(relative: str) -> bool:
    return "/management/commands/" in relative


def _receiver_chain(node: ast.AST) -> list[str]:
    """Names along `a.b(...).c` from the outermost receiver: ["a", "b", "c"]."""
    names = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return list(reversed(names))
        else:
            return list(reversed(names))


def model_writes(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        if method not in WRITE_METHODS:
            continue
        chain = _receiver_chain(node.func.value)
        if not chain or chain[0] == "super" or chain[-1] in NOT_MODELS:
            continue
        if chain[0] in {"router", "api"} or chain[-1] in {"router", "api"}:
            continue  # @router.delete(...) declares a route
        through_queryset = bool(QUERYSET_METHODS & set(chain))
        if method in {"save", "delete"} or through_queryset:
            found.append((node.lineno, ".".join(chain) + f".{method}()"))
    return found


def test_domain_models_are_written_only_in_services():
    offences = []
    for relative, path in _modules():
        if _is_service_module(relative) or relative in WRITE_EXCEPTIONS:
            continue
        if _is_documented_command(relative):
            continue
        tree = ast.parse(path.read_text(), filename=relative)
        offences += [f"{relative}:{line}: {call}" for line, call in model_writes(tree)]
    assert offences == []


def test_the_write_scan_finds_the_writes_it_is_meant_to_find():
    tree = ast.parse(
        "deal.save()\n"
        "Deal.objects.filter(pk=1).update(title='x')\n"
        "Company.objects.create(name='x')\n"
        "context.update({'a': 1})\n"
        "workbook.save(response)\n"
        "@router.delete('/x')\ndef f(): pass\n"
    )
    assert [line for line, _call in model_writes(tree)] == [1, 2, 3]


def _is_view_or_router(relative: str) -> bool:
    parts = relative.split("/")
    return parts[-1] == "views.py" or "views" in parts[:-1] or "routers" in parts[:-1]


def direct_reads(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"objects", "_base_manager"}
            and isinstance(node.value, ast.Name)
            and node.value.id in VISIBLE_MODELS
        ):
            found.append((node.lineno, node.value.id))
    return found


def test_views_and_routers_read_visible_models_through_helpers_or_selectors():
    offences = []
    for relative, path in _modules():
        if not _is_view_or_router(relative):
            continue
        tree = ast.parse(path.read_text(), filename=relative)
        offences += [
            f"{relative}:{line}: {model}.objects"
            for line, model in direct_reads(tree)
            if (relative, model) not in READ_EXCEPTIONS
        ]
    assert offences == []


HISTORY_MODELS = {"StageChange", "StageVisit", "AmountChange", "OwnerChange"}
# The one module allowed to delete history rows (and to use `_raw_delete`), and why.
HISTORY_DELETERS = {
    "imports/rollback.py": "rolling an import back removes the deals it created, with their history",
}


def history_deletes(tree: ast.AST) -> list[tuple[int, str]]:
    """Calls that can delete history: `_raw_delete` on anything, `.delete()` through a chain
    that names a history model."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        chain = _receiver_chain(node.func.value)
        if node.func.attr == "_raw_delete" or (
            node.func.attr == "delete" and HISTORY_MODELS & set(chain)
        ):
            found.append((node.lineno, ".".join(chain) + f".{node.func.attr}()"))
    return found


def test_history_is_deleted_only_by_the_import_rollback():
    offences = []
    for relative, path in _modules():
        if relative in HISTORY_DELETERS:
            continue
        tree = ast.parse(path.read_text(), filename=relative)
        offences += [f"{relative}:{line}: {call}" for line, call in history_deletes(tree)]
    assert offences == []
    scan = ast.parse("StageChange.objects.filter(deal=d).delete()\nqs._raw_delete(qs.db)\n")
    assert [line for line, _call in history_deletes(scan)] == [1, 2]


def test_no_module_passes_600_lines():
    too_long = {
        relative: length
        for relative, path in _modules()
        if (length := len(path.read_text().splitlines())) > MAX_LINES
        and relative not in LONG_MODULES
    }
    assert too_long == {}


def _layer_of() -> dict[str, int]:
    return {app: level for level, apps in enumerate(LAYERS) for app in apps}


def imported_apps(relative: str, tree: ast.AST) -> list[tuple[int, str]]:
    """(line, app) of every `voronka.<app>` module imported, relative imports resolved; imports
    inside functions count too."""
    package = ["voronka", *relative.removesuffix(".py").split("/")][:-1]
    if relative.endswith("__init__.py"):
        package = ["voronka", *relative.split("/")[:-1]]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            names = [".".join([*base, node.module] if node.module else base)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "voronka" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def test_every_app_has_a_layer():
    apps = {path.parent.name for path in SOURCE.glob("*/apps.py")}
    assert apps - set(_layer_of()) == set()


def test_no_module_imports_from_a_higher_or_sibling_layer():
    layer = _layer_of()
    offences = []
    for relative, path in _modules():
        app = relative.split("/")[0]
        if app not in layer:
            continue  # voronka/__init__.py and the like
        tree = ast.parse(path.read_text(), filename=relative)
        for line, target in imported_apps(relative, tree):
            if target == app or target not in layer or layer[target] < layer[app]:
                continue
            if (relative, target) not in LAYER_EXCEPTIONS:
                offences.append(f"{relative}:{line}: {app} imports {target}")
    assert offences == []


def test_the_layer_scan_resolves_relative_and_nested_imports():
    tree = ast.parse(
        "from voronka.analytics.summary import x\n"
        "from ..models import Deal\n"
        "from . import charts\n"
        "def f():\n    import voronka.api.tasks\n"
    )
    assert imported_apps("pipeline/views/deal.py", tree) == [
        (1, "analytics"),
        (2, "pipeline"),
        (3, "pipeline"),
        (5, "api"),
    ]
    assert imported_apps("analytics/__init__.py", ast.parse("from .charts import x")) == [
        (1, "analytics")
    ]


def test_every_layer_exception_is_still_needed():
    used = set()
    for relative, path in _modules():
        app = relative.split("/")[0]
        for _line, target in imported_apps(relative, ast.parse(path.read_text())):
            if (relative, target) in LAYER_EXCEPTIONS and target != app:
                used.add((relative, target))
    assert set(LAYER_EXCEPTIONS) - used == set()


def test_every_write_and_read_exception_is_still_needed():
    writes, reads = set(), set()
    for relative, path in _modules():
        tree = ast.parse(path.read_text(), filename=relative)
        if relative in WRITE_EXCEPTIONS and model_writes(tree):
            writes.add(relative)
        reads |= {(relative, model) for _line, model in direct_reads(tree)}
    assert set(WRITE_EXCEPTIONS) - writes == set()
    assert set(READ_EXCEPTIONS) - reads == set()
