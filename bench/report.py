"""Turn the newest bench/results/*.json into the tables of docs/performance.md.

Rewrites only the part of docs/performance.md between the `bench:start` and `bench:end`
markers: the issue-10 targets, each marked met / not met with its figure, then every page per
run. A target whose run is missing is marked "not measured".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
LOAD_REQUESTS = ("board", "deal card", "API deal list")
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
LIST_PAGES = {
    "board": lambda url: re.fullmatch(r"/pipelines/\d+/board/", url) is not None,
    "deal card": lambda url: re.fullmatch(r"/deals/\d+/", url) is not None,
    "deal list": lambda url: url == "/deals/",
    "companies list": lambda url: url == "/companies/",
    "home": lambda url: url == "/",
}


def newest_runs() -> dict[tuple[str, str], dict]:
    runs: dict[tuple[str, str], dict] = {}
    # By date; on one date the full runs first, then the quick runs that complete them in the
    # order they ran (an older day's quick run must not replace a newer full run, nor an
    # earlier quick run a later one).
    loaded = [(path, json.loads(path.read_text())) for path in RESULTS.glob("*.json")]
    ordered = sorted(
        loaded,
        key=lambda item: (
            item[0].name[:10],
            "-only-" in item[0].name,
            str(item[1].get("date", "")),
            item[0].name,
        ),
    )
    for path, data in ordered:
        key = ("load-" if "-load-" in path.name else "") + data["engine"], data["size"]
        if "machine" in data:
            # Each figure keeps the date and load of its own run (quick runs merge below).
            for row in data["rows"]:
                row.setdefault(
                    "run", f"{data['date'][:10]}, load {data['machine']['load_average'][0]:.1f}"
                )
        earlier = runs.get(key)
        if earlier and data.get("only") and not key[0].startswith("load-"):
            # A quick run of a few URLs completes the newest run: its rows replace those URLs'.
            rows = {_page_key(row): row for row in earlier["rows"]}
            rows.update({_page_key(row): row for row in data["rows"]})
            earlier["rows"] = list(rows.values())
            earlier.setdefault("completed_by", []).append(data["date"][:10])
            continue
        runs[key] = data  # sorted by date: the newest wins
    return runs


def _page_key(row) -> tuple[str, str]:
    """(role, page): a role's deal or company card is one page whichever record a run opened
    (the newest one the role sees), so a quick run's card replaces the earlier run's."""
    return row["role"], re.sub(r"^/(deals|companies)/\d+/$", r"/\1/<id>/", row["url"])


def worst(rows, match) -> dict | None:
    # Only answered pages: a manager's 404 on someone else's deal card is not a page view.
    chosen = [row for row in rows if match(row["url"]) and row["status"] == 200]
    return max(chosen, key=lambda row: row["p95_ms"]) if chosen else None


def load_average(run) -> str:
    """The 1-minute load average when the run ended: figures from a busy machine are slower."""
    return f"{run['machine']['load_average'][0]:.1f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def target_rows(runs) -> list[str]:
    lines = []

    def page_target(name, match, engine, size, limit):
        run = runs.get((engine, size))
        row = worst(run["rows"], match) if run else None
        label = f"{name}: p95 < {limit} ms at {size} on {engine}"
        if row is None:
            lines.append(f"| {label} | not measured | |")
            return
        # A quick run's row says its own date and load; the others, the run's load.
        when = row.get("run") or f"load average {load_average(run)}"
        figure = f"{row['p95_ms']:.0f} ms ({row['role']}, {row['queries']} queries; {when})"
        lines.append(f"| {label} | {figure} | {verdict(row['p95_ms'] < limit)} |")

    for name, match in LIST_PAGES.items():
        page_target(name, match, "postgres", "100k", 150)
        page_target(name, match, "postgres", "1m", 300)
        page_target(name, match, "sqlite", "100k", 300)
    for engine, size in (("postgres", "1m"), ("sqlite", "100k")):
        run = runs.get((engine, size))
        if not run:
            lines.append(f"| analytics pages < 1 s at {size} on {engine} | not measured | |")
            continue
        analytics = [
            row
            for row in run["rows"]
            if row["url"].startswith(("/analytics/", "/api/v1/analytics"))
        ]
        for row in sorted(analytics, key=lambda row: (row["url"], row["role"])):
            if row["role"] != "admin":
                continue
            ok = row["median_ms"] < 1000 and row["status"] == 200
            figure = f"{row['median_ms']:.0f} ms (HTTP {row['status']}"
            figure += f"; {row['run']})" if row.get("run") else ")"
            target = "< 1 s"
            if row["reference"] == "sql" and engine == "postgres":
                ok = ok and row["ratio"] <= 1.5
                figure += f", {row['ratio']:.2f}× its SQL ({row['reference_ms']:.0f} ms)"
                target += " and ≤ 1.5× its SQL"
            lines.append(
                f"| {row['url']} {target} at {size} on {engine} | {figure} | {verdict(ok)} |"
            )
    for engine in ("postgres", "sqlite"):
        run = runs.get((engine, "100k"))
        if not run:
            lines.append(f"| no page over 2 s, any role, 100k on {engine} | not measured | |")
            continue
        slow = [row for row in run["rows"] if row["p95_ms"] >= 2000]
        figure = ", ".join(f"{row['url']} {row['p95_ms']:.0f} ms ({row['role']})" for row in slow)
        top = max(run["rows"], key=lambda row: row["p95_ms"])
        figure = figure or f"slowest {top['url']} {top['p95_ms']:.0f} ms ({top['role']})"
        roles = ", ".join(sorted({row["role"] for row in run["rows"]}))
        figure += (
            f"; {len(run['rows'])} route × role rows ({roles}), load average {load_average(run)}"
        )
        lines.append(
            f"| no page over 2 s, any role, 100k on {engine} | {figure} | {verdict(not slow)} |"
        )
    for size in ("10k", "100k", "1m"):
        run = runs.get(("load-postgres", size))
        if not run:
            continue
        # The measured requests; the sign-in each simulated user does once is not one of them.
        measured = [row for row in run["rows"] if row["name"] in LOAD_REQUESTS]
        if not measured:
            continue
        failures = sum(row["failures"] for row in measured)
        p99 = max(row["p99_ms"] for row in measured)
        ok = failures == 0 and p99 < 500
        figure = (
            ", ".join(
                f"{row['name']} {row['requests_per_s']} req/s p50 {row['p50_ms']:.0f} / p95 "
                f"{row['p95_ms']:.0f} / p99 {row['p99_ms']:.0f} ms"
                for row in measured
            )
            + f"; {failures} errors"
        )
        lines.append(
            f"| load test {size} PostgreSQL: 0 errors, p99 < 500 ms | {figure} | {verdict(ok)} |"
        )
    return lines


def run_tables(runs) -> list[str]:
    lines = []
    for (engine, size), run in sorted(runs.items()):
        if engine.startswith("load-"):
            lines += [
                "",
                f"### Load test, {engine[5:]} {size} ({run['date']}, {run['users']} users, "
                f"{run['seconds']} s, {run['servers']})",
                "",
                "| request | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
                "|---|---|---|---|---|---|---|",
            ]
            for row in run["rows"]:
                lines.append(
                    f"| {row['name']} | {row['requests']} | {row['requests_per_s']} | "
                    f"{row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['p99_ms']:.0f} | "
                    f"{row['failures']} |"
                )
            continue
        machine = run["machine"]
        lines += [
            "",
            f"### {engine} {size}: {run['deals']} deals ({run['date']}; {machine['cpus']} CPUs "
            f"{machine['cpu']}, load average {machine['load_average'][0]:.1f}"
            + (
                f"; completed by quick runs of {', '.join(run['completed_by'])}, whose rows "
                "carry their own date and load)"
                if run.get("completed_by")
                else ")"
            ),
            "",
            "| role | url | HTTP | median ms | p95 ms | queries | × reference |",
            "|---|---|---|---|---|---|---|",
        ]
        own = f"{run['date'][:10]}, load {machine['load_average'][0]:.1f}"
        for row in run["rows"]:
            # Rows of a quick run that completed this one say which run they come from.
            other = f" [{row['run']}]" if row.get("run", own) != own else ""
            lines.append(
                f"| {row['role']} | {row['url']} | {row['status']} | {row['median_ms']:.0f} | "
                f"{row['p95_ms']:.0f} | {row['queries']} | {row['ratio']} ({row['reference']})"
                f"{other} |"
            )
    return lines


def main() -> None:
    runs = newest_runs()
    body = [
        START,
        "",
        "## Targets (issue 10), from the newest run of each kind",
        "",
        "| target | figure | verdict |",
        "|---|---|---|",
        *target_rows(runs),
        "",
        "## Every page and API list call",
        *run_tables(runs),
        "",
        END,
    ]
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{START}\n{END}\n"
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    DOC.write_text(before + "\n".join(body) + after)
    print(f"{DOC.relative_to(ROOT)} updated from {len(runs)} runs")


if __name__ == "__main__":
    main()
