import csv
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from voronka.accounts.models import Role, User
from voronka.analytics.filters import AnalyticsFilter, default_period, default_pipeline
from voronka.analytics.reports import REPORTS
from voronka.core.tabular_export import export_row
from voronka.pipeline.models import Pipeline


def _everything_user() -> User:
    """An unsaved superuser: visibility lets it see every row (the CLI is an operator tool)."""
    return User(username="analytics-cli", role=Role.ADMIN, is_superuser=True, is_active=True)


class Command(BaseCommand):
    help = "Print an analytics report as an aligned table, or write it as CSV."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Report name: " + ", ".join(sorted(REPORTS)))
        parser.add_argument("--pipeline", type=int, default=None)
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat, default=None)
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat, default=None)
        parser.add_argument("--department", type=int, default=None)
        parser.add_argument("--owner", type=int, default=None)
        parser.add_argument("--source", type=int, default=None)
        parser.add_argument("--product", type=int, default=None)
        parser.add_argument("--customer-type", dest="customer_type", default="")
        parser.add_argument("--csv", dest="csv_path", default=None, help="Write CSV to this file.")

    def handle(self, *args, **options):
        name = options["name"]
        if name not in REPORTS:
            raise CommandError(
                f"Unknown report {name!r}; choose from: {', '.join(sorted(REPORTS))}."
            )
        if options["pipeline"] is not None:
            pipeline = Pipeline.objects.filter(pk=options["pipeline"]).first()
            if pipeline is None:
                raise CommandError(f"No pipeline with id {options['pipeline']}.")
        else:
            pipeline = default_pipeline()
            if pipeline is None:
                raise CommandError("There is no pipeline yet.")
        default_from, default_to = default_period(user=_everything_user(), pipeline=pipeline)
        date_from = options["date_from"] or default_from
        date_to = options["date_to"] or default_to
        if date_from > date_to:
            raise CommandError("--from must not be after --to.")
        analytics_filter = AnalyticsFilter(
            pipeline=pipeline,
            date_from=date_from,
            date_to=date_to,
            department_id=options["department"],
            owner_id=options["owner"],
            lead_source_id=options["source"],
            product_id=options["product"],
            customer_type=options["customer_type"] or "",
        )
        headers, rows = REPORTS[name](analytics_filter, _everything_user())
        if options["csv_path"]:
            with open(options["csv_path"], "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(export_row([str(h) for h in headers]))
                writer.writerows([export_row(row) for row in rows])
            self.stdout.write(f"Wrote {len(rows)} rows to {options['csv_path']}.")
            return
        self.stdout.write(format_table(headers, rows))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return str(value)


def format_table(headers, rows) -> str:
    table = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]

    def render(line, numeric):
        return "  ".join(
            cell.rjust(width) if numeric and index else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()

    out = [render(table[0], False), "  ".join("-" * w for w in widths)]
    out += [render(line, True) for line in table[1:]]
    return "\n".join(out)
